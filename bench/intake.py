"""A bot's intake: events recorded and receipted per second, and filling a gap.

Brings up a fresh network of three authorities without bot processes and runs the
Mexican consultation bot in this process (``build_bot``). The Swiss officer sends mixed
events (six in ten plain, a quarter structured identity exchanges, the rest malformed)
as fast as the client sends them, one after the other:

* intake: a burst of ``--events`` with the bot running; time from the first send until
  the bot has recorded every event and its signed receipt for every structured one
  (rejections answered too), with the gap filling from history on and, as a baseline in
  the same run, off (``remembers_events = False``: no history requests);
* gap: the bot is stopped, ``--gap`` events are sent, the bot is started again; time from
  the start until everything is recorded and receipted (the sync resumes from the saved
  token, limited, and the gap is filled from the room's history). The officer's client
  sends about 8 events a second, so the live burst measures whether the bot keeps up;
  a gap measures what the bot itself can take in.

    .venv/bin/python bench/intake.py [--events 1000] [--gap 500 ...] [--skip-baseline]
                                     [--base-address 127.0.0.121]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receipts import open_officer as open_restored  # noqa: E402

from bots.consultation.bot import ConsultationBot  # noqa: E402
from bots.consultation.runner import build_bot  # noqa: E402
from coopnet.matrix import CoopNetClient  # noqa: E402
from coopnet.matrix.audit import audit_room  # noqa: E402
from coopnet.network import Network, lifecycle  # noqa: E402
from coopnet.protocol import PAYLOAD_KEY  # noqa: E402
from tests.bots.burst import MALFORMED, held_count, mixed_burst, open_room_with_bots  # noqa: E402
from tests.bots.record_reader import receipted_event, room_entries  # noqa: E402


async def open_officer(network: Network, authority_id: str) -> CoopNetClient:
    client = await open_restored(network, authority_id)
    await client.sync_once()
    client.start()
    return client


async def start_bot(network: Network, gap_filling: bool = True) -> ConsultationBot:
    bot = build_bot(network, "mx")
    if not gap_filling:
        bot.remembers_events = False  # type: ignore[misc]  # the baseline: no history requests
    await bot.start()
    return bot


LAG_LIMIT = 120.0
"""Seconds after the last send that a bot may take to record the burst before the events
it still lacks count as missed (without gap filling some never come)."""


def structured(contents: list[dict]) -> list[int]:
    """Positions of the well-formed structured events (those the bot receipts)."""
    return [
        i for i, c in enumerate(contents) if PAYLOAD_KEY in c and c[PAYLOAD_KEY] is not MALFORMED
    ]


def all_in(db: Path, room: str, sent: list[str], receipted: list[str]) -> Callable[[], bool]:
    def done() -> bool:
        if held_count(db, sent) < len(sent):
            return False
        got = {receipted_event(e) for e in room_entries(db, room)}
        return set(receipted) <= got

    return done


def opened(db: Path, room: str) -> Callable[[], bool]:
    return lambda: bool(room_entries(db, room))


async def until(done: Callable[[], bool], what: str, timeout: float = 900) -> float:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(done):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not done within {timeout:.0f} s")
        await asyncio.sleep(0.1)
    return time.perf_counter()


async def settled_audit(ch: CoopNetClient, db: Path, room: str, timeout: float = 60) -> str:
    """The audit once the bot's last answers have crossed to the officer's homeserver (an
    answer is recorded when sent, so for a moment the room there lacks it)."""
    deadline = time.monotonic() + timeout
    report = await audit_room(ch, db, room)
    while not report.ok and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        report = await audit_room(ch, db, room)
    return str(report)


async def burst(ch: CoopNetClient, room: str, count: int, tag: str) -> tuple[list[str], list[str]]:
    contents = mixed_burst(count, tag)
    sent = [await ch.send(room, content) for content in contents]
    return sent, [sent[i] for i in structured(contents)]


async def intake(
    network: Network, ch: CoopNetClient, mx: CoopNetClient, count: int, gap_filling: bool
) -> None:
    bot = await start_bot(network, gap_filling)
    try:
        room = await open_room_with_bots(network, ch, mx, [bot.user_id], "BENCH-INTAKE")
        await until(opened(bot.records_path, room), "the opening")
        t0 = time.perf_counter()
        sent, receipted = await burst(ch, room, count, room)
        t_sent = time.perf_counter()
        label = "gap filling on " if gap_filling else "gap filling off"
        try:
            t_done = await until(
                all_in(bot.records_path, room, sent, receipted), "the burst", LAG_LIMIT
            )
        except TimeoutError:
            held = held_count(bot.records_path, sent)
            print(
                f"intake, {label}: {count} events sent in {t_sent - t0:6.1f} s "
                f"({count / (t_sent - t0):5.1f}/s); {LAG_LIMIT:.0f} s after the last one the "
                f"record holds {held} of them ({count - held} missed)",
                flush=True,
            )
            return
        audit = await settled_audit(ch, bot.records_path, room)
        print(
            f"intake, {label}: {count} events ({len(receipted)} receipted) sent in "
            f"{t_sent - t0:6.1f} s ({count / (t_sent - t0):5.1f}/s), all recorded and "
            f"receipted after {t_done - t0:6.1f} s: {count / (t_done - t0):5.1f} events/s; "
            f"audit: {audit}",
            flush=True,
        )
    finally:
        await bot.stop()


async def gap(network: Network, ch: CoopNetClient, mx: CoopNetClient, count: int) -> None:
    bot = await start_bot(network)
    room = await open_room_with_bots(network, ch, mx, [bot.user_id], "BENCH-GAP")
    db = bot.records_path
    await until(opened(db, room), "the opening")
    await bot.stop()
    sent, receipted = await burst(ch, room, count, room)
    t0 = time.perf_counter()
    bot = await start_bot(network)
    try:
        t_started = time.perf_counter()
        t_done = await until(all_in(db, room, sent, receipted), "the gap")
        audit = await settled_audit(ch, db, room)
        print(
            f"gap of {count} events ({len(receipted)} receipted) after a restart: bot started "
            f"(sync + history catch-up) in {t_started - t0:5.1f} s, all recorded and "
            f"receipted after {t_done - t0:5.1f} s ({count / (t_done - t0):5.1f} events/s); "
            f"audit: {audit}",
            flush=True,
        )
    finally:
        await bot.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--gap", type=int, nargs="+", default=[500], help="gap sizes to fill")
    parser.add_argument("--base-address", default="127.0.0.121")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coopnet-bench-intake-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(base_address=args.base_address)
        network = await lifecycle.up(directory, options, with_bots=False)
        clients: list[CoopNetClient] = []
        try:
            ch = await open_officer(network, "ch")
            mx = await open_officer(network, "mx")
            clients += [ch, mx]
            for size in args.gap:
                await gap(network, ch, mx, size)
            if args.events:
                await intake(network, ch, mx, args.events, gap_filling=True)
            if args.events and not args.skip_baseline:
                await intake(network, ch, mx, args.events, gap_filling=False)
        finally:
            for client in clients:
                await client.close()
            await asyncio.to_thread(lifecycle.down, directory)


if __name__ == "__main__":
    asyncio.run(main())
