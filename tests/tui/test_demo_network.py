"""The seeded demo (``coopnet net up --seed-demo``) in the client, as issue 18 asks ("the
seeded demo includes an internal room, a library entry and a statistics view"): Switzerland's
officer sees the demo consultation with its internal coordination room listed under it,
the practice library in its own section (never as a consultation) with the demo's
entries, and the palette's statistics drawn from Switzerland's verified bot record."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from coopnet.network import lifecycle
from coopnet.network.demo import CASE_REF
from coopnet.profiles import demo_library
from tests.harness import FAILURE_BASE_ADDRESS, wait_for
from tests.tui.conftest import palette_command, service_for, until
from tests.tui.test_statistics import drawn
from tui.app import CoopNetApp
from tui.screens.library import LibraryScreen
from tui.screens.statistics import StatisticsScreen

pytestmark = pytest.mark.integration

BASE = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 50)  # + 50..52
TIMEOUT = 180.0  # history of every room at start, on a shared machine


async def test_the_demo_shows_an_internal_room_a_library_and_statistics(tmp_path: Path) -> None:
    net_dir = tmp_path / "demo-net"
    options = lifecycle.NetworkOptions(base_address=BASE)
    network = await lifecycle.up(net_dir, options, seed_demo=True)
    try:
        officer = network.authority("ch").officers()[0].user_id
        service = service_for(str(net_dir), officer)
        app = CoopNetApp(service)
        async with app.run_test(size=(140, 50)) as pilot:
            table = app.list_screen.query_one("#consultations", DataTable)

            def cells() -> list[list[str]]:
                return [[str(c) for c in table.get_row(row)] for row in table.rows]

            def listed() -> bool:  # the histories read: the stage and the internal room known
                rows = cells()
                return [row[0] for row in rows] == [CASE_REF, f"  ↳ {CASE_REF} (internal)"] and (
                    rows[0][3] == "Provisional arrest executed"
                )

            await wait_for(
                listed,
                "the consultation with its internal room",
                TIMEOUT,
                pause=pilot.pause,
                explain=lambda: (
                    f"{cells()}; {[(c.case_ref, len(c.entries)) for c in service.rooms.values()]}"
                ),
            )
            assert cells()[1][3] == "internal coordination room"

            library = app.list_screen.query_one("#library-rooms", DataTable)
            await until(pilot, lambda: library.row_count == 1, "the library section", TIMEOUT)
            assert [str(c) for c in library.get_row_at(0)][0] == "Case law and practice"
            library.focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
            screen = app.screen
            assert isinstance(screen, LibraryScreen)
            citations = sorted(entry.citation for entry in demo_library())
            await until(
                pilot,
                lambda: sorted(i.entry.citation for i in screen.found) == citations,
                "the demo's entries",
                TIMEOUT,
            )
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.list_screen, "back to the list")

            await palette_command(pilot, app, "Statistics")
            await until(pilot, lambda: isinstance(app.screen, StatisticsScreen), "statistics")
            stats = app.screen
            assert isinstance(stats, StatisticsScreen)
            await until(pilot, lambda: stats.document is not None, "the figures", TIMEOUT)
            assert "Consultations: 1" in drawn(stats.query_one("#stats-head", Static))
    finally:
        await asyncio.to_thread(lifecycle.down, net_dir)
