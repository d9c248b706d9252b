"""The statistics screen (issue 18, part 5): reached from the palette, it shows the figures
of the authority's real record (seeded with the record store, verified on reading) as
charts and tables; a record that does not verify shows why, and nothing else."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Static
from textual_plotext import PlotextPlot

from coopnet.stats import as_document
from coopnet.stats.record import figures_of_record
from tests.tui.conftest import palette_screen, until
from tests.unit.stats_seed import seed
from tests.unit.test_records_support import attacker_connection
from tests.unit.test_stats import KEYS, PERIOD, ROSTER
from tui.app import CoopNetApp
from tui.screens.statistics import StatisticsScreen, chart_data
from tui.seed import seeded_service


def app_with_record(path: Path) -> CoopNetApp:
    service = seeded_service(rooms=2, events_per_room=3, invite=False)
    service.statistics_source = lambda: as_document(figures_of_record(path, ROSTER, period=PERIOD))
    return CoopNetApp(service)


async def open_from_palette(pilot: Any, app: CoopNetApp) -> StatisticsScreen:
    return await palette_screen(pilot, app, "Statistics", StatisticsScreen)


def drawn(widget: Static) -> str:
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_the_palette_opens_charts_of_the_verified_record(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    seed(path, ROSTER, KEYS["ch"], KEYS)
    app = app_with_record(path)
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await open_from_palette(pilot, app)
        await until(pilot, lambda: screen.document is not None, "the figures")
        head = drawn(screen.query_one("#stats-head", Static))
        assert "Consultation statistics · ch · 2026-01-01 – 2026-06-30" in head
        assert "Consultations: 3" in head
        data = chart_data(screen.document, "en")  # type: ignore[arg-type]
        assert data["counterparts"][:2] == (["China", "Mexico"], [[1.0, 2.0]])
        assert data["deadlines"][1] == [[3.0, 4.0, 1.0, 0.0, 0.0]]
        assert data["assurances"][1] == [[1.0, 1.0, 1.0, 1.0]]
        stages = dict(zip(data["stages"][0], zip(*data["stages"][1], strict=True), strict=True))
        assert stages["Consultation before the request"] == (2.0, 5.0)
        # The charts are drawn: plotext holds the bars and renders them.
        for chart in ("counterparts", "stages", "deadlines", "assurances"):
            plot = screen.query_one(f"#chart-{chart}", PlotextPlot)
            assert plot.plt.build().strip(), chart
        tables = drawn(screen.query_one("#stats-tables", Static))
        assert "Nationality of the person" in tables and "Arrest warrant" in tables
        # In French at once (ctrl+l is the app's; the screen relabels itself).
        app.set_language("fr")
        await pilot.pause()
        assert "Statistiques des consultations" in drawn(screen.query_one("#stats-head", Static))
        assert "Mandat d'arrêt" in drawn(screen.query_one("#stats-tables", Static))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, StatisticsScreen), "closed")


async def test_a_record_that_does_not_verify_shows_why_and_no_figures(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    seed(path, ROSTER, KEYS["ch"], KEYS)
    conn = attacker_connection(path)
    conn.execute("DELETE FROM entries WHERE seq = 4")
    conn.close()
    app = app_with_record(path)
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await open_from_palette(pilot, app)
        head = screen.query_one("#stats-head", Static)
        await until(pilot, lambda: "No statistics" in drawn(head), "the refusal")
        assert "does not verify" in drawn(head)
        assert screen.document is None


async def test_without_a_record_the_screen_says_so() -> None:
    app = CoopNetApp(seeded_service(rooms=1, events_per_room=2, invite=False))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_palette(pilot, app)
        head = screen.query_one("#stats-head", Static)
        await until(pilot, lambda: "started without" in drawn(head), "the explanation")
