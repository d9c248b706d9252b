"""The practice library: case law and practice from every room this device reads, found
by topic, jurisdiction and words; opened from a consultation, an entry can be linked to
one of its assurances ("relied on")."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from coopnet.consultation import LibraryEntry, reliance
from coopnet.errors import CoopNetError
from coopnet.protocol.vocab import LibraryTopic
from tui.i18n import date_text, label, show, t, value_label
from tui.localize import Localized, app_lang
from tui.service import Service

MAX_RESULTS = 200


def entry_line(item: LibraryEntry, lang: str) -> str:
    """One result: jurisdiction, date, citation, court."""
    entry = item.entry
    when = date_text(entry.date, lang) if entry.date else "—"
    return f"{entry.jurisdiction or '—'} · {when} · {entry.citation} · {entry.court}"


def entry_details(item: LibraryEntry, lang: str) -> str:
    entry = item.entry
    topics = ", ".join(value_label(topic, lang) for topic in entry.topics) or "—"
    rows = [
        (label("field.citation", lang), entry.citation),
        (label("field.court", lang), entry.court),
        (label("field.jurisdiction", lang), entry.jurisdiction or "—"),
        (label("field.topics", lang), topics),
        (label("field.summary", lang), entry.summary or "—"),
        (label("field.url", lang), entry.url or "—"),
    ]
    return "\n".join(show(f"{name}: {value}") for name, value in rows)


class LibraryScreen(Localized, ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "cancel", "key.close"),
        Binding("ctrl+n", "rely", "key.rely"),
        Binding("ctrl+s", "new_entry", "key.new_entry"),
    ]
    DEFAULT_CSS = """
    LibraryScreen { align: center middle; }
    LibraryScreen > Vertical { width: 95%; max-width: 130; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    LibraryScreen #filters { height: auto; }
    LibraryScreen #words { width: 2fr; }
    LibraryScreen #filters Select { width: 1fr; }
    LibraryScreen OptionList { height: 1fr; }
    LibraryScreen #entry { height: auto; max-height: 9; }
    LibraryScreen #hint { color: $text-muted; }
    """

    def __init__(
        self, service: Service, lang: str, room_id: str | None = None, post_to: str | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        self.room_id = room_id  # a consultation, whose assurances may rely on an entry
        self.post_to = post_to  # a library room, where new entries are posted
        self.found: list[LibraryEntry] = []

    def _assurances(self) -> list[tuple[str, str]]:
        if self.room_id is None:
            return []
        held = self.service.consultation(self.room_id).assurances()
        return [
            (show(f"{key} · {value_label(a.assurance_type, self.lang)}"), key)
            for key, a in held.items()
        ]

    def _topic_options(self) -> list[tuple[str, str]]:
        return [(show(value_label(topic, self.lang)), topic.value) for topic in LibraryTopic]

    def compose(self) -> ComposeResult:
        lang = self.lang
        jurisdictions = self.service.library().jurisdictions()
        with Vertical():
            yield Static("", id="title")
            with Horizontal(id="filters"):
                yield Input(id="words")
                yield Select(
                    self._topic_options(),
                    id="topic",
                    prompt=t("library.all_topics", lang),
                )
                yield Select(
                    [(show(j), j) for j in jurisdictions],
                    id="jurisdiction",
                    prompt=t("library.all_jurisdictions", lang),
                )
            yield Static("", id="count")
            yield OptionList(id="results")
            yield Static("", id="entry")
            assurances = self._assurances()
            if assurances:
                yield Select(
                    assurances,
                    id="assurance",
                    prompt=t("library.assurance", lang),
                    value=assurances[0][1],
                )
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#words", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; the filters and results stay."""
        self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('library.title', self.lang)}[/b]")
        self.query_one("#words", Input).placeholder = t("library.placeholder", self.lang)
        hint = (
            "library.post_hint"
            if self.post_to is not None
            else "library.hint"
            if self._assurances()
            else "library.no_assurance"
        )
        self.query_one("#hint", Static).update(t(hint, self.lang))
        topic = self.query_one("#topic", Select)
        chosen = topic.value
        topic.set_options(self._topic_options())
        topic.prompt = t("library.all_topics", self.lang)
        if isinstance(chosen, str):
            topic.value = chosen
        self.query_one("#jurisdiction", Select).prompt = t("library.all_jurisdictions", self.lang)
        self.show_results()

    def _filters(self) -> tuple[str, LibraryTopic | None, str | None]:
        topic = self.query_one("#topic", Select).value
        jurisdiction = self.query_one("#jurisdiction", Select).value
        return (
            self.query_one("#words", Input).value,
            LibraryTopic(topic) if isinstance(topic, str) else None,
            jurisdiction if isinstance(jurisdiction, str) else None,
        )

    def show_results(self) -> None:
        self.found = self.service.library().search(*self._filters())[:MAX_RESULTS]
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options([Option(show(entry_line(i, self.lang))) for i in self.found])
        self.query_one("#count", Static).update(
            t("library.results", self.lang, count=len(self.found))
        )
        self._show_entry(self.found[0] if self.found else None)

    def _show_entry(self, item: LibraryEntry | None) -> None:
        text = entry_details(item, self.lang) if item is not None else ""
        self.query_one("#entry", Static).update(text)

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.show_results()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("topic", "jurisdiction"):
            self.show_results()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.found):
            self._show_entry(self.found[event.option_index])

    def chosen(self) -> LibraryEntry | None:
        index = self.query_one("#results", OptionList).highlighted
        if index is None and self.found:
            index = 0
        return self.found[index] if index is not None and index < len(self.found) else None

    def action_rely(self) -> None:
        item = self.chosen()
        if self.room_id is None or not self._assurances() or item is None:
            self.notify(t("library.no_assurance", self.lang), severity="warning")
            return
        assurance_id = self.query_one("#assurance", Select).value
        if isinstance(assurance_id, str):
            self.send_reliance(item, assurance_id)

    @work(group="send")
    async def send_reliance(self, item: LibraryEntry, assurance_id: str) -> None:
        assert self.room_id is not None
        link = reliance(item, assurance_id)
        consultation = self.service.consultation(self.room_id)
        refusal = consultation.draft_refusal(link, self.service.user_id)
        if refusal is not None:  # what the bots would refuse it for, before sending
            self.notify(refusal.message, severity="error", timeout=10)
            return
        try:
            await self.service.send_event(self.room_id, link)
        except CoopNetError as exc:
            self.notify(t("error.send", self.lang, detail=exc), severity="error", timeout=10)
            return
        self.notify(t("notify.sent", self.lang))
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Posting only where the library was opened from a library room.
        if action == "new_entry":
            return self.post_to is not None  # False: hidden
        return True

    def action_new_entry(self) -> None:
        if self.post_to is not None:
            self.app.library_entry_form(self.post_to)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)
