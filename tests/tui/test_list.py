"""The consultation list redraws only changed cells, and a longer value widens its column."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.seed import seeded_service
from tui.service import RoomsChanged


async def test_changed_cells_are_redrawn_and_columns_widen() -> None:
    service = seeded_service(rooms=3, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        longer = "CN-CH-2026-0100-WITH-A-MUCH-LONGER-REFERENCE"
        service.consultation("!invite:127.0.0.12").case_ref = longer
        service.emit(RoomsChanged())
        await until(pilot, lambda: str(table.get_cell("!invite:127.0.0.12", "col.case"))
                    == longer, "the new reference")
        await pilot.pause()
        assert table.columns["col.case"].content_width >= len(longer)
        assert table.row_count == 4
