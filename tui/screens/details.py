"""The details of one timeline entry: raw ids, hashes and its receipts in full.

The timeline names people and authorities and shows receipts as marks; this is where the
ids behind them are (``i`` on a selected entry), e.g. to quote an event id to a
counterpart or check a receipt with ``coopnet receipts verify``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import t
from tui.localize import Localized
from tui.model import Consultation, Entry
from tui.names import Names
from tui.widgets.cards import details


class DetailsScreen(Localized, ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "key.close"), Binding("i", "close", show=False)]
    DEFAULT_CSS = """
    DetailsScreen { align: center middle; }
    DetailsScreen > VerticalScroll { width: 90%; max-width: 120; height: auto;
        max-height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, entry: Entry, consultation: Consultation, names: Names, lang: str) -> None:
        super().__init__()
        self.entry = entry
        self.consultation = consultation
        self.names = names
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="details")

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        self.lang = str(getattr(self.app, "lang", self.lang))
        self.query_one(VerticalScroll).border_title = t("details.title", self.lang)
        self.query_one("#details", Static).update(
            details(self.entry, self.consultation, self.names, self.lang)
        )

    def action_close(self) -> None:
        self.dismiss(None)
