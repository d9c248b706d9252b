"""One consultation: the timeline, a composer with replies, and the side panel."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from coopnet.consultation import item_to_share
from coopnet.errors import CoopNetError
from coopnet.protocol import AccessGranted, Event, SharedItem, render_text
from coopnet.protocol.handling import Use, effective_handling, sharing_warnings
from coopnet.protocol.vocab import HandlingCode
from tui.i18n import label, show, t, text, value_label
from tui.localize import Localized
from tui.model import Entry
from tui.screens import take_breakpoints
from tui.screens.details import DetailsScreen
from tui.screens.documents import Documents, DocumentsScreen
from tui.screens.grant_access import GrantAccessScreen
from tui.service import Connection, Service
from tui.widgets.keybar import KeyBar
from tui.widgets.side_panel import SidePanel, render_panel
from tui.widgets.timeline import Timeline


class ConsultationScreen(Localized, Screen[None]):
    AUTO_FOCUS = "#composer"  # focused once, not the timeline first and then the composer
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("ctrl+s", "structured", "key.structured"),
        Binding("ctrl+f", "search", "key.search_here"),
        Binding("ctrl+t", "devices", "key.devices"),
        Binding("ctrl+b", "toggle_panel", "key.panel"),
        # Not in the key bar (it is full): the side panel's documents part names them.
        Binding("ctrl+o", "attach", "key.attach", show=False),
        Binding("ctrl+g", "documents", "key.documents", show=False),
        Binding("ctrl+r", "cancel_reply", "key.cancel_reply", show=False),
        Binding("ctrl+y", "library", "key.library", show=False),
        Binding("f6", "grant_access", "key.grant", show=False),
    ]

    def __init__(self, service: Service, room_id: str) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.consultation = service.consultation(room_id)
        self.reply_to: Entry | None = None
        self._sending = asyncio.Lock()
        self._cleared_for_send = False  # the composer was emptied by a send, not by typing
        self._copy_warned: str | None = None  # the entry whose handling codes were shown
        self.documents = Documents(self, service, room_id)

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="main"):
                yield Static("", id="connection")
                yield Static("", id="excluded")
                yield Timeline(self.consultation, self.service.names, self.lang, id="timeline")
                yield Static("", id="reply")
                yield Input(placeholder=t("composer.placeholder", self.lang), id="composer")
            yield SidePanel(id="panel")
        yield KeyBar()

    def on_mount(self) -> None:
        take_breakpoints(self)
        self.query_one(Timeline).can_share = lambda: (
            self.service.internal_room(self.room_id) is not None
        )
        self._show_title()
        self._show_counterpart()
        self.service.mark_read(self.room_id)
        self.query_one("#reply", Static).display = False
        if draft := self.service.drafts.get(self.room_id):
            self.query_one("#composer", Input).value = draft  # what a crash left unsent
        self.refresh_warning()
        self.refresh_connection()
        self.refresh_panel()

    def _show_counterpart(self) -> None:
        counterpart = self.consultation.counterpart()
        self.sub_title = show(self.service.names.authority(counterpart)) if counterpart else ""

    def _show_title(self) -> None:
        """The case reference; a network room's name in the officer's language."""
        topic = self.consultation.network_topic
        self.title = show(value_label(topic, self.lang)) if topic else self.consultation.case_ref

    def relabel(self) -> None:
        """Redraw in the app's (new) language."""
        self._show_title()
        self.query_one(Timeline).relabel(self.lang)
        self.query_one("#composer", Input).placeholder = t("composer.placeholder", self.lang)
        self.refresh_warning()
        self.refresh_connection()
        self.refresh_panel()
        self._show_reply()

    def refresh_connection(self) -> None:
        """While the homeserver does not answer, say so above the timeline."""
        state = self.service.connection
        banner = self.query_one("#connection", Static)
        banner.display = state in (Connection.RECONNECTING, Connection.OFFLINE)
        banner.set_class(state is Connection.OFFLINE, "-offline")
        if banner.display:
            banner.update(t(f"conn.{state.value}", self.lang) + " · " + t("conn.kept", self.lang))

    def refresh_warning(self) -> None:
        """A standing warning while unknown devices are excluded from this room's keys."""
        excluded = sorted(self.service.excluded_in(self.room_id))
        warning = self.query_one("#excluded", Static)
        warning.display = bool(excluded)
        if excluded:
            names = self.service.names
            devices = ", ".join(
                f"{device} ({show(names.person(user, self.lang))})" for user, device in excluded
            )
            warning.update(
                t("warning.room_excluded", self.lang, count=len(excluded), devices=devices)
            )

    def refresh_panel(self) -> None:
        self.query_one(SidePanel).update(
            render_panel(self.consultation, self.service.today(), self.lang, self.service.names)
        )

    def entry_added(self, entry: Entry) -> None:
        self.service.mark_read(self.room_id)
        if not self.is_mounted:
            return  # the timeline shows it when it mounts
        self.query_one(Timeline).append(entry)
        if entry.event is not None:
            self.refresh_panel()
            self._show_counterpart()

    def entry_decrypted(self, entry: Entry) -> None:
        if not self.is_mounted:
            return
        self.query_one(Timeline).replace(entry)
        if entry.event is not None:
            self.refresh_panel()

    # ------------------------------------------------------------ composer
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "composer":
            return
        if self._cleared_for_send and not event.value:
            # The send itself turns the draft into a pending send, in one write.
            self._cleared_for_send = False
            return
        self.service.save_draft(self.room_id, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "composer":
            return
        body = event.value.strip()
        if not body:
            return
        self._cleared_for_send = True
        event.input.value = ""
        reply = self.reply_to.event_id if self.reply_to else None
        self.action_cancel_reply()
        self.send_text(body, reply)

    # Sends are not exclusive workers (a second message must not cancel the first, e.g.
    # while the homeserver is away and nio retries): a lock keeps them in order.
    @work(group="send")
    async def send_text(self, body: str, reply_to: str | None) -> None:
        async with self._sending:
            try:
                await self.service.send_text(self.room_id, body, reply_to)
            except CoopNetError as exc:
                composer = self.query_one("#composer", Input)
                if not composer.value:
                    composer.value = body
                self.notify(t("error.send", self.lang, detail=exc), severity="error", timeout=10)

    @work(group="send")
    async def send_event(self, event: Event) -> None:
        async with self._sending:
            try:
                await self.service.send_event(self.room_id, event)
                self.notify(t("notify.sent", self.lang))
            except CoopNetError as exc:
                self.notify(t("error.send", self.lang, detail=exc), severity="error", timeout=10)

    def on_timeline_details_requested(self, message: Timeline.DetailsRequested) -> None:
        self.app.push_screen(
            DetailsScreen(message.entry, self.consultation, self.service.names, self.lang)
        )

    def on_timeline_copy_requested(self, message: Timeline.CopyRequested) -> None:
        """Copy an entry (a card as its fallback text); when its handling codes forbid
        passing it on, say so first and copy only when asked again."""
        entry, lang = message.entry, self.lang
        codes: tuple[HandlingCode, ...] = ()
        text = entry.body
        if entry.event is not None:
            codes = effective_handling(entry.event, self.consultation.core.settings.handling)[0]
            text = render_text(entry.event, lang)
        warnings = sharing_warnings(codes, Use.ONWARD)
        if warnings and self._copy_warned != entry.event_id:
            self._copy_warned = entry.event_id
            lines = [show(label(key, lang)) for key in warnings] + [t("copy.warning", lang)]
            self.notify("\n".join(lines), severity="warning", timeout=10)
            return
        self._copy_warned = None
        self.app.copy_to_clipboard(text)
        self.notify(t("copy.done", lang))

    def on_timeline_share_requested(self, message: Timeline.ShareRequested) -> None:
        """Share the entry into the internal coordination room, by the core's rule (the
        CLI's ``coordination share``): refused, nothing sent, when its handling codes (or
        its sender's untrusted device) forbid it."""
        lang = self.lang
        internal = self.service.internal_room(self.room_id)
        if internal is None:
            self.notify(t("share.no_internal", lang), severity="warning")
            return
        held = self.consultation.core.message(message.entry.event_id)
        if held is None or message.entry.event is None:
            self.notify(t("share.not_an_item", lang), severity="warning", timeout=10)
            return
        item = item_to_share(held, lang, self.consultation.core.settings.handling)
        if not isinstance(item, SharedItem):
            reasons = "; ".join(label(key, lang) for key in item)
            self.notify(
                show(text("share.refused", lang, reasons=reasons)), severity="error", timeout=10
            )
            return
        self.share(internal, item)

    @work(group="send")
    async def share(self, internal: str, item: SharedItem) -> None:
        async with self._sending:
            try:
                await self.service.send_event(internal, item)
            except CoopNetError as exc:
                self.notify(t("error.send", self.lang, detail=exc), severity="error", timeout=10)
                return
        codes = ", ".join(value_label(code, self.lang) for code in item.handling) or "—"
        self.notify(show(text("share.done", self.lang, codes=codes)))

    def on_timeline_reply_requested(self, message: Timeline.ReplyRequested) -> None:
        self.reply_to = message.entry
        self._show_reply()
        self.query_one("#reply", Static).display = True
        self.query_one("#composer", Input).focus()

    def _show_reply(self) -> None:
        if self.reply_to is None:
            return
        preview = (self.reply_to.body or self.reply_to.kind.value).splitlines()[0][:60]
        self.query_one("#reply", Static).update(
            f"↩ {t('entry.reply_to', self.lang)}: {preview}  (ctrl+r ✕)"
        )

    def action_cancel_reply(self) -> None:
        self.reply_to = None
        self.query_one("#reply", Static).display = False

    # ------------------------------------------------------------ actions
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_structured(self) -> None:
        self.app.choose_structured(self)  # type: ignore[attr-defined]

    def action_attach(self) -> None:
        self.documents.attach()

    def action_documents(self) -> None:
        self.app.push_screen(DocumentsScreen(self.service, self.room_id, self.lang))

    def action_library(self) -> None:
        self.app.library(self.room_id)  # type: ignore[attr-defined]

    def action_grant_access(self) -> None:
        if not self.consultation.is_consultation:
            self.notify(t("grant.not_here", self.lang), severity="warning")
            return

        def chosen(grant: AccessGranted | None) -> None:
            if grant is not None:
                self.grant_access(grant)

        self.app.push_screen(GrantAccessScreen(self.service, self.room_id, self.lang), chosen)

    @work(group="send")
    async def grant_access(self, grant: AccessGranted) -> None:
        """Send the grant (then the expert is invited); failures are shown, not raised."""
        async with self._sending:
            try:
                await self.service.grant_access(self.room_id, grant)
                until = grant.until.isoformat()
                self.notify(t("notify.granted", self.lang, expert=grant.expert, until=until))
            except CoopNetError as exc:
                self.notify(t("error.grant", self.lang, detail=exc), severity="error", timeout=10)

    def action_search(self) -> None:
        self.app.search(self.room_id)  # type: ignore[attr-defined]

    def action_devices(self) -> None:
        self.app.show_devices(self.room_id)  # type: ignore[attr-defined]

    def action_toggle_panel(self) -> None:
        panel = self.query_one(SidePanel)
        panel.display = not panel.display

    def show_event(self, event_id: str) -> None:
        self.query_one(Timeline).scroll_to_entry(event_id)
