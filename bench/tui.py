"""Benchmark of the terminal client (tui/), driven by Textual's pilot on seeded data.

Measures, against baselines in the same run on the same machine:

* start → consultation list shown with 500 consultations (target <= 1 s); baseline: a
  bare Textual app showing a 500-row DataTable of plain strings; measured twice: with
  each consultation's stage and deadlines already derived today (as after the first
  refresh of the list; the client derives them once a day) and on a fresh service, where
  the start derives them all (the program's first start);
* open a consultation of 10,000 events (target <= 200 ms, lazy rendering: only the
  newest page is mounted); baseline: pushing a screen with the same number of plain
  Static messages as the client mounts. By default every fourth slot of the
  consultation is a structured exchange (an identity card) with its signed receipt, so
  the newest page holds cards with their receipt marks (``--cards-every 0``: chat only);
* memory: RSS with the 500 consultations seeded and after opening the big one (measured
  first, while the process has run one app, like the program), and the peak of what
  opening it allocates (tracemalloc, in a separate untimed run: tracing slows Python
  down several times).

The timed part excludes seeding (parsing and validating every structured event), which
is reported on its own. Each measurement is repeated; medians are printed.

Run:  .venv/bin/python bench/tui.py [--rooms 500] [--events 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import VerticalScroll  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import DataTable, Footer, Header, Static  # noqa: E402

from tui.app import CoopNetApp  # noqa: E402
from tui.screens.consultation import ConsultationScreen  # noqa: E402
from tui.seed import seeded_service  # noqa: E402
from tui.widgets.timeline import PAGE, Timeline  # noqa: E402

SIZE = (160, 50)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


Times = tuple[float, float]  # (wall clock, CPU time of this process), seconds


def clock() -> Times:
    return time.perf_counter(), time.process_time()


def since(start: Times) -> Times:
    """Wall clock and CPU time since ``start``: CPU time is what the client itself spent,
    which stays meaningful when other programs load the machine."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


async def until(pilot, condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await pilot.pause(0.001)


# ---------------------------------------------------------------- list
async def client_list(service) -> Times:  # type: ignore[no-untyped-def]
    rows = len(service.rooms)
    start = clock()
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot, lambda: any(t.row_count == rows for t in app.list_screen.query(DataTable))
        )
        await pilot.pause()  # rendered
        elapsed = since(start)
    return elapsed


class BareList(App[None]):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("case", "counterpart", "kind", "stage", "deadline", "unread")
        for i in range(self.rows):
            table.add_row(
                f"CH-CN-2026-{i:04d}", "cn", "Extradition", "Provisional arrest", "Jun 26, 2026", ""
            )


async def bare_list(rows: int) -> Times:
    start = clock()
    app = BareList(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        await until(pilot, lambda: table.row_count == rows)
        await pilot.pause()
        elapsed = since(start)
    return elapsed


# ---------------------------------------------------------------- open
async def client_open(service, room_id: str) -> tuple[Times, int]:  # type: ignore[no-untyped-def]
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = clock()
        app.open_consultation(room_id)
        await until(pilot, lambda: opened(app))
        await pilot.pause()  # laid out and rendered
        elapsed = since(start)
        mounted = app.screen.query_one(Timeline).shown
        app.pop_screen()
        await pilot.pause()
    return elapsed, mounted


def opened(app: CoopNetApp) -> bool:
    """The consultation screen shows its timeline, scrolled to the newest entries."""
    return isinstance(app.screen, ConsultationScreen) and any(
        t.shown > 0 and t.is_vertical_scroll_end for t in app.screen.query(Timeline)
    )


async def open_memory(service, room_id: str, trace: bool) -> float:  # type: ignore[no-untyped-def]
    """RSS after opening the consultation (MB), or with ``trace`` the peak of what the
    opening allocates (MB, tracemalloc; tracing slows Python down, so never timed)."""
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if trace:
            tracemalloc.start()
        app.open_consultation(room_id)
        await until(pilot, lambda: opened(app))
        await pilot.pause()
        if not trace:
            return rss_mb()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 1e6


class PlainScreen(Screen[None]):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            for i in range(self.count):
                yield Static(f"officer1  127.0.0.12\nMessage {i}: documents follow.")
        yield Footer()


async def bare_open(count: int) -> Times:
    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = clock()
        screen = PlainScreen(count)
        app.push_screen(screen)
        await until(pilot, lambda: app.screen is screen and bool(screen.query(Static)))
        await pilot.pause()
        return since(start)


def median_ms(values: list[Times]) -> str:
    wall = [v[0] * 1000 for v in values]
    cpu = [v[1] * 1000 for v in values]
    return (
        f"{statistics.median(wall):7.1f} ms (min {min(wall):.1f}; CPU {statistics.median(cpu):.1f})"
    )


def ratio(client: list[Times], bare: list[Times]) -> str:
    wall = statistics.median(v[0] for v in client) / statistics.median(v[0] for v in bare)
    cpu = statistics.median(v[1] for v in client) / statistics.median(v[1] for v in bare)
    return f"client/baseline {wall:.2f}× wall, {cpu:.2f}× CPU"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cards-every",
        type=int,
        default=4,
        help="a card (with its receipt) every N slots of the big consultation; 0: chat only",
    )
    args = parser.parse_args()

    base = rss_mb()
    start = time.perf_counter()
    service = seeded_service(
        rooms=args.rooms,
        events_per_room=12,
        big_room_events=args.events,
        invite=False,
        big_room_cards_every=args.cards_every,
    )
    seeded = time.perf_counter() - start
    big = service.consultation("!room1:127.0.0.11")
    print(
        f"seeded {args.rooms} consultations, the first with {len(big.entries)} events: "
        f"{seeded:.1f} s (not timed below); RSS {base:.0f} → {rss_mb():.0f} MB"
    )
    # Memory first, while this process holds one app like the program does.
    memory = await open_memory(service, "!room1:127.0.0.11", trace=False)
    peak = await open_memory(service, "!room1:127.0.0.11", trace=True)
    print(
        f"memory: RSS after opening the {len(big.entries)}-event consultation {memory:.0f} MB "
        f"(first app of the process); allocated while opening: peak {peak:.1f} MB "
        f"(tracemalloc)"
    )

    lists, bare_lists = [], []
    for _ in range(args.repeat):
        lists.append(await client_list(service))
        bare_lists.append(await bare_list(args.rooms))
    print(
        f"start → list of {args.rooms}:     client {median_ms(lists)}   "
        f"bare DataTable {median_ms(bare_lists)}   target ≤ 1000 ms"
    )
    print(f"  {ratio(lists, bare_lists)}")

    opens, bare_opens, mounted = [], [], 0
    for _ in range(args.repeat):
        elapsed, mounted = await client_open(service, "!room1:127.0.0.11")
        opens.append(elapsed)
        bare_opens.append(await bare_open(PAGE))
    print(
        f"open {len(big.entries)}-event consultation: client {median_ms(opens)}   "
        f"plain screen of {PAGE} Statics {median_ms(bare_opens)}   target ≤ 200 ms"
    )
    print(f"  {ratio(opens, bare_opens)}")
    cards = sum(1 for e in big.entries[-mounted:] if e.event is not None)
    print(f"  loaded {mounted} of {len(big.entries)} entries (lazy), {cards} of them structured")

    # Last: the fresh services leave garbage that would disturb the measurements above.
    firsts = []
    for _ in range(args.repeat):
        fresh = seeded_service(
            rooms=args.rooms, events_per_room=12, big_room_events=args.events, invite=False
        )  # seeding not timed
        firsts.append(await client_list(fresh))
    print(
        f"first start → list of {args.rooms} (stages and deadlines derived at start): "
        f"client {median_ms(firsts)}"
    )
    print(f"  {ratio(firsts, bare_lists)} (the bare DataTable above)")


if __name__ == "__main__":
    asyncio.run(main())
