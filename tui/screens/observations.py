"""Observations for the review mechanism: the sections the officer writes, saved as the
draft (Markdown) and the JSON signed by the authority's bot.

Everything is :mod:`coopnet.stats.observations`'s: the sections and their headings (in
the interface language), the word count of the summary against its limit, the sections
file (``.sections.md``, as ``coopnet review observations`` keeps it), the refusals, the
draft and its signature. The service reads the verified record and signs in a thread
worker (:meth:`tui.service.Service.save_observations`); a refusal writes nothing and
leaves the officer's text where it is.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea
from textual_fspicker import FileSave

from coopnet.errors import CoopNetError
from coopnet.protocol import label
from coopnet.stats.observations import (
    SUMMARY,
    SUMMARY_LIMIT,
    WRITTEN,
    count_words,
    sections_path,
)
from tui.i18n import show, t
from tui.localize import Localized, app_lang
from tui.service import Service
from tui.widgets.keybar import KeyBar


class ObservationsScreen(Localized, ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "key.close"),
        Binding("ctrl+s", "save", "key.save"),
        Binding("f2", "keep", "key.keep_sections"),
        Binding("ctrl+o", "browse", "key.browse"),
    ]
    DEFAULT_CSS = """
    ObservationsScreen { align: center middle; }
    ObservationsScreen > VerticalScroll { width: 100; max-width: 100%; height: 1fr;
        border: thick $primary; background: $surface; padding: 0 1; }
    ObservationsScreen Label { margin: 1 0 0 0; text-style: bold; width: 100%; }
    ObservationsScreen #path-row { height: auto; }
    ObservationsScreen #path { width: 1fr; }
    ObservationsScreen TextArea { height: 6; }
    ObservationsScreen #t-summary { height: 10; }
    ObservationsScreen #count { color: $text-muted; }
    ObservationsScreen #count.over { color: $error; text-style: bold; }
    ObservationsScreen #error { color: $error; height: auto; margin: 1 0 0 0; }
    ObservationsScreen #status { color: $success; height: auto; margin: 1 0 0 0; }
    ObservationsScreen #hint { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, service: Service, lang: str = "en") -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        self.saving = False
        self.written: list[Path] = []  # what the last save wrote

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="title")
            yield Label("", id="l-path")
            with Horizontal(id="path-row"):
                yield Input(str(self.service.observations_out()), id="path")
                yield Button("", id="browse")
            for key in WRITTEN:
                yield Label("", id=f"l-{key}")
                if key == SUMMARY:
                    yield Static("", id="count")
                yield TextArea(id=f"t-{key}", soft_wrap=True, tab_behavior="focus")
            yield Static("", id="error")
            yield Static("", id="status")
            yield Button("", variant="primary", id="save")
            yield Static("", id="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        held = self.service.observation_sections
        if held:
            self.fill(held)
        else:
            self.load(self.out())
        self.relabel()
        self.query_one(f"#t-{SUMMARY}", TextArea).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what the officer wrote stays."""
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{show(label('review.title', lang))}[/b]")
        self.query_one("#l-path", Label).update(t("observations.file", lang))
        self.query_one("#browse", Button).label = t("key.browse", lang)
        for key in WRITTEN:
            self.query_one(f"#l-{key}", Label).update(show(label(f"review.{key}", lang)))
            area = self.query_one(f"#t-{key}", TextArea)
            area.placeholder = show(label(f"review.{key}_hint", lang))
        self.query_one("#save", Button).label = t("observations.save", lang)
        self.query_one("#hint", Static).update(t("observations.hint", lang))
        self.show_count()

    # ------------------------------------------------------------ values
    def sections(self) -> dict[str, str]:
        return {key: self.query_one(f"#t-{key}", TextArea).text for key in WRITTEN}

    def out(self) -> Path:
        return Path(self.query_one("#path", Input).value.strip()).expanduser()

    def fill(self, sections: dict[str, str]) -> None:
        for key in WRITTEN:
            self.query_one(f"#t-{key}", TextArea).load_text(sections.get(key, ""))

    def load(self, out: Path) -> None:
        """The sections kept beside ``out``, when there are any."""
        try:
            sections = self.service.load_observations(out)
        except CoopNetError as exc:
            self.query_one("#error", Static).update(
                t("observations.unreadable", self.lang, reason=exc)
            )
            return
        if sections is not None:
            self.fill(sections)
            self.service.observation_sections = sections
            self.query_one("#status", Static).update(
                t("observations.loaded", self.lang, path=sections_path(out))
            )

    def show_count(self) -> None:
        words = count_words(self.query_one(f"#t-{SUMMARY}", TextArea).text)
        over = words > SUMMARY_LIMIT
        key = "observations.over" if over else "observations.count"
        count = self.query_one("#count", Static)
        count.update(
            t(
                key,
                self.lang,
                n=f"{words:,}",
                limit=f"{SUMMARY_LIMIT:,}",
                over=words - SUMMARY_LIMIT,
            )
        )
        count.set_class(over, "over")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.service.observation_sections = self.sections()
        if event.text_area.id == f"t-{SUMMARY}":
            self.show_count()

    def set_path(self, path: Path | None) -> None:
        if path is None:
            return
        self.query_one("#path", Input).value = str(path)
        if not any(self.sections().values()):
            self.load(path)

    # ------------------------------------------------------------ actions
    def _has_path(self) -> bool:
        if self.query_one("#path", Input).value.strip():
            return True
        self.query_one("#error", Static).update(t("observations.no_file", self.lang))
        return False

    def action_save(self) -> None:
        if self.saving or not self._has_path():
            return
        self.saving = True
        self.query_one("#error", Static).update("")
        self.query_one("#status", Static).update(t("observations.saving", self.lang))
        self.save(self.sections(), self.out(), self.lang)

    @work(thread=True, exclusive=True)
    def save(self, sections: dict[str, str], out: Path, lang: str) -> None:
        try:
            written = self.service.save_observations(sections, out, lang)
        except CoopNetError as exc:
            self.app.call_from_thread(self.refused, str(exc))
            return
        self.app.call_from_thread(self.saved, written)

    def refused(self, reason: str) -> None:
        self.saving = False
        self.query_one("#status", Static).update("")
        message = t("observations.refused", self.lang, reason=reason)
        self.query_one("#error", Static).update(message)
        self.notify(message, severity="error")

    def saved(self, written: list[Path]) -> None:
        self.saving, self.written = False, written
        message = t("observations.saved", self.lang, files=", ".join(str(p) for p in written))
        self.query_one("#status", Static).update(message)
        self.notify(message)

    def action_keep(self) -> None:
        if not self._has_path():
            return
        try:
            path = self.service.keep_observations(self.sections(), self.out(), self.lang)
        except CoopNetError as exc:
            self.query_one("#error", Static).update(
                t("observations.refused", self.lang, reason=exc)
            )
            return
        self.query_one("#error", Static).update("")
        self.query_one("#status", Static).update(t("observations.kept", self.lang, path=path))

    def action_browse(self) -> None:
        out = self.out()
        folder = out.parent if str(out) not in ("", ".") and out.parent.is_dir() else Path.cwd()
        self.app.push_screen(
            FileSave(folder, show(label("review.title", self.lang)), default_file=out.name),
            self.set_path,
        )

    def action_close(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "browse":
            self.action_browse()
        else:
            self.action_save()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not any(self.sections().values()):
            self.load(self.out())
        self.query_one(f"#t-{SUMMARY}", TextArea).focus()
