"""A consultation's documents: the panel, attaching one, saving one to a folder.

The panel (``ctrl+g`` in a consultation) lists every document with its versions and
translations grouped under their original and each one's receipt state; Enter (or
``s``) saves the selected one, ``a`` attaches a new one, ``i`` shows its details.
Attaching (``ctrl+o`` in a consultation) opens :class:`~tui.screens.attach.AttachScreen`,
then sends with a progress bar that Escape cancels (:class:`~tui.screens.transfer.
TransferScreen`); saving asks for a folder, then fetches, decrypts and checks the file:
it is kept (0600) only when its SHA-256 is the one the document states.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual_fspicker import SelectDirectory

from coopnet.errors import CoopNetError
from coopnet.matrix import Progress
from tui.i18n import show, t
from tui.localize import Localized, app_lang
from tui.screens.attach import AttachScreen
from tui.screens.details import DetailsScreen
from tui.screens.transfer import TransferScreen
from tui.service import DocumentDraft, SavedDocument, Service
from tui.widgets.documents_panel import document_rows, render_none, render_row


def default_folder() -> Path:
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


class Documents:
    """What a consultation does with documents, for whichever screen asks (the
    consultation's keys and the panel's)."""

    def __init__(self, owner: DOMNode, service: Service, room_id: str) -> None:
        self.owner = owner
        self.service = service
        self.room_id = room_id

    @property
    def app(self) -> App[None]:
        return self.owner.app

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    # ------------------------------------------------------------ attach and send
    def attach(self, path: Path | None = None) -> None:
        screen = AttachScreen(self.service, self.room_id, self.lang, path)
        self.app.push_screen(screen, self._send)

    def _send(self, draft: DocumentDraft | None) -> None:
        if draft is None:
            return

        async def job(progress: Progress) -> str:
            return await self.service.send_document(self.room_id, draft, progress)

        def done(outcome: object) -> None:
            if outcome is None:
                self.app.notify(t("notify.document_cancelled", self.lang), severity="warning")
            elif isinstance(outcome, CoopNetError):
                detail = t("error.document", self.lang, detail=outcome)
                self.app.notify(detail, severity="error", timeout=15)
            else:
                title = draft.title or draft.path.stem
                self.app.notify(t("notify.document_sent", self.lang, title=show(title)))

        screen = TransferScreen("transfer.sending", draft.path.name, job, self.lang)
        self.app.push_screen(screen, done)

    # ------------------------------------------------------------ save
    def save(self, event_id: str) -> None:
        held = self.service.consultation(self.room_id).document(event_id)
        if held is None:
            return

        def chosen(folder: Path | None) -> None:
            if folder is None:
                return

            async def job(progress: Progress) -> SavedDocument:
                return await self.service.save_document(self.room_id, event_id, folder, progress)

            name = held.document.filename or held.document.title
            screen = TransferScreen("transfer.saving", name, job, self.lang)
            self.app.push_screen(screen, self._saved)

        self.app.push_screen(SaveScreen(self.lang), chosen)

    def _saved(self, outcome: object) -> None:
        if isinstance(outcome, SavedDocument) and outcome.ok:
            path = str(outcome.path)
            self.app.notify(t("notify.document_saved", self.lang, path=path), timeout=10)
        elif isinstance(outcome, SavedDocument):
            reason = outcome.reason or "?"
            message = t("error.document_refused", self.lang, reason=reason)
            self.app.notify(message, severity="error", timeout=20)
        elif isinstance(outcome, CoopNetError):
            message = t("error.document_refused", self.lang, reason=str(outcome))
            self.app.notify(message, severity="error", timeout=20)


class SaveScreen(Localized, ModalScreen[Path | None]):
    """Which folder to save a document in (typed, or chosen with ``ctrl+o``)."""

    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+o", "browse", "key.browse"),
    ]
    DEFAULT_CSS = """
    SaveScreen { align: center middle; }
    SaveScreen > Vertical { width: 80; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2; }
    SaveScreen Input { margin: 1 0 0 0; }
    SaveScreen #hint { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, lang: str, folder: Path | None = None) -> None:
        super().__init__()
        self.lang = lang
        self.folder = folder or default_folder()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Input(str(self.folder), id="folder")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one(Input).focus()

    def relabel(self) -> None:
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('save.title', lang)}[/b]")
        self.query_one(Input).placeholder = t("save.folder", lang)
        self.query_one("#hint", Static).update(t("save.hint", lang))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if typed:
            self.dismiss(Path(typed).expanduser())

    def action_browse(self) -> None:
        typed = Path(self.query_one(Input).value.strip() or ".").expanduser()

        def picked(folder: Path | None) -> None:
            if folder is not None:
                self.query_one(Input).value = str(folder)

        start = typed if typed.is_dir() else Path.home()
        self.app.push_screen(SelectDirectory(start, t("save.title", self.lang)), picked)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DocumentsScreen(Localized, ModalScreen[None]):
    """Every document of a consultation, grouped, with its receipt state."""

    BINDINGS = [
        Binding("escape", "close", "key.close"),
        Binding("s", "save", "key.save"),
        Binding("a", "attach", "key.attach"),
        Binding("i", "details", "key.details", show=False),
    ]
    DEFAULT_CSS = """
    DocumentsScreen { align: center middle; }
    DocumentsScreen > Vertical { width: 95%; max-width: 120; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    DocumentsScreen OptionList { height: 1fr; }
    DocumentsScreen #hint { color: $text-muted; }
    """

    def __init__(self, service: Service, room_id: str, lang: str) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.lang = lang
        self.documents = Documents(self, service, room_id)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield OptionList(id="documents")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one(OptionList).focus()

    def relabel(self) -> None:
        self.lang = app_lang(self, self.lang)
        case = self.service.consultation(self.room_id).case_ref
        self.query_one("#title", Static).update(f"[b]{t('docs.title', self.lang, case=case)}[/b]")
        self.query_one("#hint", Static).update(t("docs.hint", self.lang))
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Draw the rows again (a document or a receipt arrived); the selection stays."""
        consultation = self.service.consultation(self.room_id)
        options = self.query_one(OptionList)
        selected = self.selected()
        rows = document_rows(consultation)
        options.clear_options()
        if not rows:
            options.add_option(Option(render_none(self.lang), id="none", disabled=True))
            return
        names = self.service.names
        options.add_options(
            [
                Option(render_row(row, consultation, names, self.lang), id=row.held.event_id)
                for row in rows
            ]
        )
        ids = [row.held.event_id for row in rows]
        options.highlighted = ids.index(selected) if selected in ids else 0

    def selected(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return option_id if option_id != "none" else None

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.action_save()

    def action_save(self) -> None:
        event_id = self.selected()
        if event_id is not None:
            self.documents.save(event_id)

    def action_attach(self) -> None:
        self.documents.attach()

    def action_details(self) -> None:
        event_id = self.selected()
        consultation = self.service.consultation(self.room_id)
        entry = consultation.entry(event_id) if event_id else None
        if entry is not None:
            screen = DetailsScreen(entry, consultation, self.service.names, self.lang)
            self.app.push_screen(screen)

    def action_close(self) -> None:
        self.dismiss(None)
