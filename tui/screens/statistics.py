"""Statistics: the figures of the authority's record, with charts (textual-plotext).

The figures are a ``coopnet.stats`` document (``coopnet stats --json`` prints the same):
the service reads and verifies the authority's record in a thread worker, so the screen
never blocks and never computes state itself. Four charts (consultations by counterpart
State, median and 90th-percentile days in each stage, deadlines, assurances) and two
tables (refusals by ground, documents exchanged and certified); every label follows the
interface language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from coopnet.errors import CoopNetError
from coopnet.protocol import label
from tui.i18n import show, t
from tui.localize import Localized, app_lang
from tui.service import Service
from tui.widgets.keybar import KeyBar

CHARTS = ("counterparts", "stages", "deadlines", "assurances")
DEADLINES = ("met", "missed", "extended", "pending", "cancelled")
OUTCOMES = ("kept", "breached", "not_given", "open")
Series = tuple[list[str], list[list[float]], list[str]]
"""(bar names, one list of values per series, series names)."""


def _name(prefix: str, value: str, lang: str) -> str:
    return show(label("stats.other" if value == "other" else f"{prefix}.{value}", lang))


def chart_data(document: Mapping[str, Any], lang: str) -> dict[str, Series]:
    """What each chart draws, from a figures document, labelled in ``lang``."""
    c = document["consultations"]
    stages = document["stages"]
    totals = document["deadlines"]["total"]
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for cells in document["assurances"].values():
        for outcome, n in cells.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    return {
        "counterparts": (
            [show(s) if s != "other" else _name("stats", s, lang) for s in c["by_counterpart"]],
            [[float(n) for n in c["by_counterpart"].values()]],
            [show(label("stats.consultations", lang))],
        ),
        "stages": (
            [_name("stage", s["stage"], lang) for s in stages],
            [
                [float(s["median_days"] or 0) for s in stages],
                [float(s["p90_days"] or 0) for s in stages],
            ],
            [show(label("stats.median_days", lang)), show(label("stats.p90_days", lang))],
        ),
        "deadlines": (
            [show(label(f"stats.{o}", lang)) for o in DEADLINES],
            [[float(totals.get(o, 0)) for o in DEADLINES]],
            [show(label("stats.deadlines", lang))],
        ),
        "assurances": (
            [show(label(f"stats.{o}", lang)) for o in OUTCOMES],
            [[float(outcomes[o]) for o in OUTCOMES]],
            [show(label("stats.assurances", lang))],
        ),
    }


TITLES = {
    "counterparts": "stats.consultations",
    "stages": "stats.stages",
    "deadlines": "stats.deadlines",
    "assurances": "stats.assurances",
}


def tables(document: Mapping[str, Any], lang: str) -> RenderableType:
    """Refusals by ground and documents exchanged, as tables."""

    def head(key: str) -> Text:
        return Text(show(label(key, lang)), style="bold")

    refusals = document["refusals"]
    grounds = Table(title=show(label("stats.refusals", lang)), expand=True)
    for key in ("stats.ground", "stats.refused", "stats.partly"):
        grounds.add_column(head(key))
    for ground in dict.fromkeys([*refusals["by_ground"], *refusals["partial_by_ground"]]):
        grounds.add_row(
            _name("refusal_ground", ground, lang),
            str(refusals["by_ground"].get(ground, 0)),
            str(refusals["partial_by_ground"].get(ground, 0)),
        )
    docs = document["documents"]
    documents = Table(title=show(label("stats.documents", lang)), expand=True)
    measures = ("sent", "received", "certified")
    documents.add_column(head("stats.document_kind"))
    for m in measures:
        documents.add_column(head(f"stats.{m}"))
    for kind, cells in docs["by_kind"].items():
        documents.add_row(
            _name("document_kind", kind, lang), *(str(cells.get(m, 0)) for m in measures)
        )
    documents.add_row(
        Text(show(label("stats.total", lang)), style="bold"),
        *(str(docs["total"][m]) for m in measures),
    )
    return Group(grounds, Text(""), documents)


class StatisticsScreen(Localized, ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "key.close"),
        Binding("o", "app.observations", "key.observations"),
    ]
    DEFAULT_CSS = """
    StatisticsScreen { align: center middle; }
    StatisticsScreen > VerticalScroll { width: 95%; height: 95%;
        border: thick $primary; background: $surface; padding: 0 1; }
    StatisticsScreen Grid { grid-size: 2; grid-gutter: 1; height: auto; }
    StatisticsScreen PlotextPlot { height: 16; }
    """

    def __init__(self, service: Service, lang: str = "en") -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        self.document: dict[str, Any] | None = None
        self.loading = True

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(t("stats.loading", self.lang), id="stats-head")
            with Grid():
                for chart in CHARTS:
                    yield PlotextPlot(id=f"chart-{chart}")
            yield Static("", id="stats-tables")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            document = self.service.statistics()
        except CoopNetError as exc:
            self.app.call_from_thread(self.failed, str(exc))
            return
        self.app.call_from_thread(self.loaded, document)

    def failed(self, reason: str) -> None:
        self.loading = False
        self.query_one("#stats-head", Static).update(t("stats.failed", self.lang, reason=reason))
        self.notify(reason, severity="error")

    def loaded(self, document: dict[str, Any] | None) -> None:
        self.document, self.loading = document, False
        self.relabel()

    def relabel(self) -> None:
        """Draw the figures in the app's (new) language."""
        self.lang = lang = app_lang(self, self.lang)
        head = self.query_one("#stats-head", Static)
        document = self.document
        if document is None:
            if not self.loading:
                head.update(t("stats.none", lang))
            return
        period = document["period"]
        head.update(
            Text(
                show(
                    f"{label('stats.title', lang)} · {document['authority']} · "
                    f"{period['from'] or '…'} – {period['to'] or '…'} · "
                    f"{label('stats.consultations', lang)}: {document['consultations']['total']}"
                ),
                style="bold",
            )
        )
        for chart, (names, series, legends) in chart_data(document, lang).items():
            plot = self.query_one(f"#chart-{chart}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(show(label(TITLES[chart], lang)))
            if names and len(series) == 1:
                plt.bar(names, series[0], orientation="horizontal", width=0.3)
            elif names:
                plt.multiple_bar(  # type: ignore[call-arg]  # the typed stub lacks labels=
                    names, series, labels=legends, orientation="horizontal"
                )
            plot.refresh()
        self.query_one("#stats-tables", Static).update(tables(document, lang))

    def action_close(self) -> None:
        self.dismiss(None)
