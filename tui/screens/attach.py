"""Attach a document: the file (typed, or chosen in a file picker) and what it is.

The kind comes from the protocol's vocabulary (labelled in the reader's language); the
title defaults to the file's name; the document's language to the interface's. An
earlier version it replaces and an original it translates are chosen among the
consultation's documents. Everything the client can check is checked here, before
anything leaves the machine (:meth:`tui.service.Service.check_document`); the screen
dismisses with the :class:`~tui.service.DocumentDraft` to send, or None.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual_fspicker import FileOpen

from coopnet.errors import CoopNetError
from coopnet.protocol.vocab import DocumentKind
from tui.i18n import field_label, show, t, value_label
from tui.localize import Localized, app_lang
from tui.service import DocumentDraft, Service


class AttachScreen(Localized, ModalScreen[DocumentDraft | None]):
    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+s", "submit", "key.send"),
        Binding("ctrl+o", "browse", "key.browse"),
    ]
    DEFAULT_CSS = """
    AttachScreen { align: center middle; }
    AttachScreen > VerticalScroll { width: 90; max-width: 100%; height: auto;
        max-height: 100%; border: thick $primary; background: $surface; padding: 0 1; }
    AttachScreen Label { margin: 1 0 0 0; text-style: bold; }
    AttachScreen #path-row { height: auto; }
    AttachScreen #path { width: 1fr; }
    AttachScreen #error { color: $error; height: auto; margin: 1 0 0 0; }
    AttachScreen #hint { color: $text-muted; margin: 1 0 0 0; }
    AttachScreen #submit { margin: 1 0 0 0; }
    """

    def __init__(self, service: Service, room_id: str, lang: str, path: Path | None = None) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.lang = lang
        self.initial_path = path

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="title")
            yield Label("", id="l-path")
            with Horizontal(id="path-row"):
                yield Input(str(self.initial_path or ""), id="path")
                yield Button("", id="browse")
            yield Label("", id="l-kind")
            yield Select[str](
                self._kinds(), value=DocumentKind.OTHER.value, id="kind", allow_blank=False
            )
            yield Label("", id="l-title")
            yield Input(id="doc-title")
            yield Label("", id="l-language")
            yield Input(self.lang, id="language", max_length=3)
            yield Label("", id="l-replaces")
            yield Select[str]([], id="replaces")
            yield Label("", id="l-translation_of")
            yield Select[str]([], id="translation_of")
            yield Static("", id="error")
            yield Button("", variant="primary", id="submit")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#path", Input).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what was chosen and typed stays."""
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('attach.title', lang)}[/b]")
        self.query_one("#l-path", Label).update(t("attach.file", lang))
        self.query_one("#path", Input).placeholder = t("attach.file_placeholder", lang)
        self.query_one("#browse", Button).label = t("key.browse", lang)
        for name in ("document_kind", "title", "language", "replaces", "translation_of"):
            target = "kind" if name == "document_kind" else name
            self.query_one(f"#l-{target}", Label).update(show(field_label(name, lang)))
        kind = self.query_one("#kind", Select)
        chosen = kind.value if isinstance(kind.value, str) else DocumentKind.OTHER.value
        kind.set_options(self._kinds())
        kind.value = chosen
        documents = [
            (
                show(f"{value_label(d.document.document_kind, lang)} · {d.document.title}"),
                d.event_id,
            )
            for d in self.service.consultation(self.room_id).documents()
        ]
        for select_id in ("replaces", "translation_of"):
            select = self.query_one(f"#{select_id}", Select)
            value = select.value
            select.set_options(documents)
            select.prompt = t("attach.none", lang)
            if isinstance(value, str):
                select.value = value
        self.query_one("#submit", Button).label = t("attach.send", lang)
        self.query_one("#hint", Static).update(t("attach.hint", lang))

    def _kinds(self) -> list[tuple[str, str]]:
        return [(show(value_label(k, self.lang)), k.value) for k in DocumentKind]

    # ------------------------------------------------------------ values
    def draft(self) -> DocumentDraft:
        def chosen(select_id: str) -> str | None:
            value = self.query_one(f"#{select_id}", Select).value
            return value if isinstance(value, str) else None

        return DocumentDraft(
            path=Path(self.query_one("#path", Input).value.strip()).expanduser(),
            kind=chosen("kind") or DocumentKind.OTHER.value,
            language=self.query_one("#language", Input).value.strip(),
            title=self.query_one("#doc-title", Input).value.strip() or None,
            replaces=chosen("replaces"),
            translation_of=chosen("translation_of"),
        )

    def set_path(self, path: Path | None) -> None:
        if path is not None:
            self.query_one("#path", Input).value = str(path)
            self.query_one("#doc-title", Input).focus()

    # ------------------------------------------------------------ actions
    def action_submit(self) -> None:
        draft = self.draft()
        if not str(draft.path) or str(draft.path) == ".":
            self.query_one("#error", Static).update(t("attach.file_placeholder", self.lang))
            return
        try:
            self.service.check_document(self.room_id, draft)
        except CoopNetError as exc:
            self.query_one("#error", Static).update(t("error.document", self.lang, detail=exc))
            return
        self.dismiss(draft)

    def action_browse(self) -> None:
        typed = self.query_one("#path", Input).value.strip()
        start = Path(typed).expanduser().parent if typed else Path.home()
        self.app.push_screen(
            FileOpen(start if start.is_dir() else Path.home(), t("attach.title", self.lang)),
            self.set_path,
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "browse":
            self.action_browse()
        else:
            self.action_submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path":
            self.query_one("#doc-title", Input).focus()
        else:
            self.action_submit()
