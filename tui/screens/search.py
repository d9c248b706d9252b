"""Search decrypted content held on this device, in one consultation or in all of them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import show, t
from tui.localize import Localized, app_lang
from tui.service import Service

MAX_RESULTS = 200


class SearchScreen(Localized, ModalScreen[tuple[str, str] | None]):
    """Returns (room id, event id) of the chosen hit."""

    BINDINGS = [Binding("escape", "cancel", "key.close")]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical { width: 90%; max-width: 110; height: 80%;
        border: thick $primary; background: $surface; padding: 0 1; }
    SearchScreen OptionList { height: 1fr; }
    """

    def __init__(self, service: Service, lang: str, room_id: str | None = None) -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        self.room_id = room_id
        self.hits: list[tuple[str, str]] = []
        self._found = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Input(id="query")
            yield Static("", id="count")
            yield OptionList(id="results")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#query", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; the query and its results stay."""
        self.lang = app_lang(self, self.lang)
        scope = self.service.consultation(self.room_id).case_ref if self.room_id else "*"
        self.query_one("#title", Static).update(f"[b]{t('search.title', self.lang)}[/b] · {scope}")
        self.query_one("#query", Input).placeholder = t("search.placeholder", self.lang)
        if self.hits or len(self.query_one("#query", Input).value.strip()) >= 2:
            self.query_one("#count", Static).update(
                t("search.results", self.lang, count=self._found)
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        results = self.query_one("#results", OptionList)
        results.clear_options()
        self.hits = []
        if len(query) < 2:
            self.query_one("#count", Static).update("")
            return
        if self.room_id:
            consultation = self.service.consultation(self.room_id)
            found = [(consultation, e) for e in consultation.find(query)]
        else:
            found = self.service.search(query)
        options = []
        names = self.service.names
        for consultation, entry in found[-MAX_RESULTS:]:
            line = (entry.body or "").replace("\n", " ")[:90]
            if not entry.trusted:  # never found as if the officer had said it
                line = f"⚠ {t('entry.untrusted', self.lang, device=entry.device_id or '?')}: {line}"
            who = names.person(entry.sender, self.lang)
            counterpart = consultation.counterpart()
            where = consultation.case_ref
            if counterpart:
                where += f" · {show(names.authority(counterpart, short=True))}"
            options.append(Option(f"{where}  {show(who)}: {show(line)}"))
            self.hits.append((consultation.room_id, entry.event_id))
        results.add_options(options)
        self._found = len(found)
        self.query_one("#count", Static).update(t("search.results", self.lang, count=len(found)))

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        if self.hits:
            results = self.query_one("#results", OptionList)
            results.focus()
            results.highlighted = len(self.hits) - 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
