"""The CoopNet terminal client for officers of central authorities.

The App receives its :class:`~tui.service.Service` in the constructor, so tests and
benchmarks drive it with ``App.run_test()`` against a real network or seeded data.
Network calls run in ``@work(exclusive=True)`` workers; failures become error
notifications, never crashes.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.screen import Screen

from coopnet.consultation import DEFAULT_RESPOND_DAYS, Topic, propose_answer
from coopnet.errors import CoopNetError, RecoveryError
from coopnet.protocol import (
    Assurance,
    AssuranceMonitoring,
    CaseLawReference,
    ConsultationOpened,
    Event,
    ProgressAnswer,
    Receipt,
    RefusalEnvisaged,
    RequirementsAnswer,
    RequirementsQuery,
    StageTransition,
)
from coopnet.protocol.handling import default_for
from coopnet.protocol.vocab import Side
from tui.drafts import REFUSED_FIELD as DRAFT_FIELD
from tui.drafts import draft_prefill
from tui.i18n import day, show, t
from tui.localize import localize, localize_bindings, localize_command
from tui.model import Consultation, Entry, urgency
from tui.notify import Notifier, choose
from tui.screens.choose_event import ChooseEventScreen
from tui.screens.consultation import ConsultationScreen
from tui.screens.consultations import ConsultationsScreen
from tui.screens.devices import DevicesScreen
from tui.screens.directory import DirectoryScreen
from tui.screens.documents import DocumentsScreen
from tui.screens.event_form import EventFormScreen
from tui.screens.help import HelpScreen
from tui.screens.language import LanguageScreen
from tui.screens.library import LibraryScreen
from tui.screens.login import LoginScreen
from tui.screens.observations import ObservationsScreen
from tui.screens.passphrase import ChangePassphraseScreen
from tui.screens.recovery import RecoveryKeyScreen, RecoveryShownScreen
from tui.screens.search import SearchScreen
from tui.screens.statistics import StatisticsScreen
from tui.screens.unlock import UnlockScreen
from tui.screens.verify import VerifyScreen
from tui.service import (
    Connection,
    ConnectionChanged,
    DeviceExcluded,
    DeviceVerified,
    EntryAdded,
    EntryDecrypted,
    NeedsPassphrase,
    NeedsPassword,
    Restored,
    RoomsChanged,
    Service,
    Update,
    VerificationRequested,
)
from tui.settings import DeviceSettings

# The form field that a refusal points at (the reason code's, else the topic's).
REFUSED_FIELD = {
    "from_mismatch": "from_stage",
    "date_before_previous": "date",
    "grounds_required": "grounds",  # UNTOC art. 18(23), ECE art. 18(2)
    "reasons_required": "reasons",
    "due_date_required": "due_date",  # ECE art. 18(4): the appointed date
    "condition_not_accepted": "assurance_ids",
    "assurance_wrong_giver": "giver",
    "grounds_not_consulted": "grounds",  # UNTOC art. 16(16), 18(26): envisage them first
    "respond_by_past": "respond_by",
    "no_such_query": "query",
    "query_answered": "query",
}
TOPIC_FIELD = {
    Topic.STAGE: "to_stage",
    Topic.ASSURANCE: "assurance_status",
    Topic.DECISION: "grounds",
    Topic.PROGRESS: "query",
    Topic.DRAFT: "draft",
}
MAX_DEADLINE_TOASTS = 3
"""More near or overdue deadlines than this at start make one summary toast."""


class CoopNetApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "CoopNet"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("f1", "help", "key.help"),
        Binding("ctrl+d", "directory", "key.directory", priority=True),
        Binding("ctrl+f", "search", "key.search"),
        Binding("ctrl+l", "language", "key.language"),
        Binding("ctrl+q", "quit", "key.quit"),
    ]

    @dataclass
    class ServiceUpdated(Message):
        update: Update

    def __init__(
        self, service: Service, lang: str = "en", settings: DeviceSettings | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.lang = lang
        service.lang = lang
        self.settings = settings or DeviceSettings(None)
        """This device's remembered settings (``coopnet tui`` loads them from its store)."""
        self.notifier = Notifier(
            choose(self.settings.settings.notify, os.environ),
            self._write_terminal,
            in_tmux=bool(os.environ.get("TMUX")),
        )
        localize_bindings(self, lang)
        self.list_screen = ConsultationsScreen(service)
        self._list_dirty = False

    # ------------------------------------------------------------ start
    def _forward_update(self, update: Any) -> None:
        """Service updates arrive from workers: hand them to the UI as messages."""
        self.post_message(self.ServiceUpdated(update))

    def on_mount(self) -> None:
        self.service.set_listener(self._forward_update)
        self.push_screen(self.list_screen)
        self.sub_title = t("conn.starting", self.lang)
        if self.settings.problem:
            self.notify(
                t("settings.unreadable", self.lang, detail=self.settings.problem),
                severity="warning",
                timeout=15,
            )
        self.connect()

    @work(exclusive=True, group="connect")
    async def connect(self, password: str | None = None) -> None:
        try:
            await self.service.start(password)
        except NeedsPassphrase as need:
            self.push_screen(UnlockScreen(self.service, need.first_time, self.lang), self._unlocked)
            return
        except NeedsPassword:
            server = getattr(self.service, "homeserver", "")
            self.push_screen(LoginScreen(self.service.user_id, server, self.lang), self._logged_in)
            return
        except CoopNetError as exc:
            self.notify(t("error.connect", self.lang, detail=exc), severity="error", timeout=15)
            return
        self.list_screen.refresh_list()
        self.notify_deadlines(self.service.consultations())
        if self.service.recovery_needed:  # a new device: the history needs the backup
            self.ask_recovery_key()
        # What is loaded now (every consultation's timeline, the modules, the list) lives
        # as long as the program. A full garbage collection walks all of it, which took
        # 80-130 ms and landed at random, e.g. inside opening a consultation; frozen
        # objects are skipped by the collector. Reference counting still frees them; only
        # a frozen reference cycle that becomes garbage waits for unfreeze() on unmount.
        gc.freeze()

    def _unlocked(self, ok: bool | None) -> None:
        if not ok:
            self.exit()
            return
        damaged = getattr(self.service, "cache_damaged", 0)
        if damaged:
            self.notify(t("unlock.damaged", self.lang, n=damaged), severity="warning", timeout=15)
        self.list_screen.refresh_list()  # what the cache holds, before the homeserver answers
        self.connect()

    def _logged_in(self, password: str | None) -> None:
        if password is None:
            self.exit()
        else:
            self.connect(password)

    def notify_deadlines(self, consultations: Iterable[Consultation]) -> None:
        """A toast per consultation whose next deadline is near or overdue; past
        :data:`MAX_DEADLINE_TOASTS` of them, one summary (the list shows each, in red or
        amber, most urgent first)."""
        today = self.service.today()
        urgent = []
        for consultation in consultations:
            deadline = consultation.next_deadline(today)
            state = urgency(deadline, today)
            if deadline is not None and state in ("near", "overdue"):
                urgent.append((consultation, deadline, state))
        if len(urgent) == 1:
            self.notifier.deadline(urgent[0][0].case_ref, self.lang)
        elif urgent:
            self.notifier.deadlines(len(urgent), self.lang)
        if len(urgent) > MAX_DEADLINE_TOASTS:
            overdue = sum(1 for *_, state in urgent if state == "overdue")
            self.notify(
                t("notify.deadlines_many", self.lang, count=len(urgent), overdue=overdue),
                severity="error" if overdue else "warning",
                timeout=12,
            )
            return
        for consultation, deadline, state in urgent:
            left = (deadline.due - today).days
            self.notify(
                t(
                    "notify.deadline",
                    self.lang,
                    case=consultation.case_ref,
                    due=day(deadline.due, self.lang),
                    state=t("deadline.overdue", self.lang)
                    if state == "overdue"
                    else t("deadline.days_left", self.lang, days=left),
                ),
                severity="error" if state == "overdue" else "warning",
                timeout=8,
            )

    async def on_unmount(self) -> None:
        gc.unfreeze()  # the collector may reclaim it all again (several apps per process)
        await self.service.close()

    # ------------------------------------------------------------ updates
    def on_coop_net_app_service_updated(self, message: ServiceUpdated) -> None:
        if not self.screen_stack:
            return  # the app is closing: nothing left to draw an update on
        update = message.update
        if isinstance(update, EntryAdded):
            screen = self.screen
            shown = self._shown_consultation(update.room_id)
            if shown is not None:
                # Also beneath a dialog (attaching a document, its progress, the panel).
                shown.entry_added(update.entry)
                self._refresh_documents(update.room_id)
            if shown is screen:
                pass
            elif self._is_news(update.entry) and not update.history:
                # One toast per message received live; history fetched at start or on
                # joining shows in the unread counts instead of a burst of toasts.
                case = self.service.consultation(update.room_id).case_ref
                who = show(self.service.names.person(update.entry.sender, self.lang))
                self.notify(t("notify.message_from", self.lang, who=who, case=case), timeout=4)
            if not update.history:
                self._signal(update.room_id, update.entry)
            self._refresh_list_soon()
        elif isinstance(update, EntryDecrypted):
            shown = self._shown_consultation(update.room_id)
            if shown is not None:
                shown.entry_decrypted(update.entry)
                self._refresh_documents(update.room_id)
            self._refresh_list_soon()  # a structured event may change stage or deadline
        elif isinstance(update, RoomsChanged):
            self._close_departed()
            self._refresh_list_soon()
            if isinstance(self.screen, ConsultationScreen):
                self.screen.refresh_bindings()  # an internal room to share into, maybe
        elif isinstance(update, DeviceExcluded):
            case = self.service.consultation(update.room_id).case_ref
            self.notify(
                t(
                    "warning.excluded",
                    self.lang,
                    device=update.device_id,
                    user=show(self.service.names.person(update.user_id, self.lang)),
                    case=case,
                ),
                severity="warning",
                timeout=15,
            )
            self._refresh_warnings()
        elif isinstance(update, DeviceVerified):
            self._refresh_warnings()
        elif isinstance(update, VerificationRequested):
            self.push_screen(
                VerifyScreen(
                    self.service, update.user_id, update.device_id, self.lang, update.transaction_id
                )
            )
        elif isinstance(update, ConnectionChanged):
            self.sub_title = t(f"conn.{update.state.value}", self.lang)
            for screen in self.screen_stack:
                if isinstance(screen, ConsultationScreen) and screen.is_mounted:
                    screen.refresh_connection()
            if update.state is Connection.OFFLINE:
                self.notify(t("conn.offline", self.lang), severity="error", timeout=8)
            self._refresh_list_soon()

    def _shown_consultation(self, room_id: str) -> ConsultationScreen | None:
        """The open view of a consultation, on top or beneath the dialogs over it."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ConsultationScreen):
                return screen if screen.room_id == room_id else None
        return None

    def _refresh_documents(self, room_id: str) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, DocumentsScreen) and screen.room_id == room_id:
                screen.refresh_rows()

    def _is_news(self, entry: Entry) -> bool:
        """Whether an entry is something new someone said (a receipt is a mark, not news)."""
        return entry.sender != self.service.user_id and not isinstance(entry.event, Receipt)

    def _signal(self, room_id: str, entry: Entry) -> None:
        """Ring or notify the desktop for news the officer is not looking at (another
        consultation on screen, or the terminal window not focused)."""
        if not self._is_news(entry):
            return
        screen = self.screen
        if self.app_focus and isinstance(screen, ConsultationScreen) and screen.room_id == room_id:
            return
        case = self.service.consultation(room_id).case_ref
        if entry.marker is not None and entry.marker[0] == "reminder":
            self.notifier.deadline(case, self.lang)
        else:
            self.notifier.message(case, self.lang)

    def _write_terminal(self, sequence: str) -> None:
        """Write an escape sequence to the terminal (what ``App.bell`` does for BEL)."""
        if sequence and not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def _close_departed(self) -> None:
        """Leave the view of a consultation this account is no longer a member of."""
        screen = self.screen
        if isinstance(screen, ConsultationScreen) and screen.room_id not in self.service.rooms:
            self.notify(
                t("notify.removed", self.lang, case=screen.consultation.case_ref),
                severity="warning",
                timeout=15,
            )
            self.pop_screen()

    def _refresh_warnings(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ConsultationScreen) and screen.is_mounted:
                screen.refresh_warning()

    def _refresh_list_soon(self) -> None:
        if not self._list_dirty:
            self._list_dirty = True
            self.set_timer(0.1, self._refresh_list)

    def _refresh_list(self) -> None:
        self._list_dirty = False
        if self.list_screen.is_mounted:
            self.list_screen.refresh_when_shown()

    # ------------------------------------------------------------ navigation
    def open_consultation(self, room_id: str, event_id: str | None = None) -> None:
        consultation = self.service.consultation(room_id)
        if consultation.invited:
            self.join(room_id)
            return
        if consultation.library:  # no consultation: its entries are read in the library
            self.library(post_to=room_id)
            return
        while isinstance(self.screen, ConsultationScreen | DirectoryScreen):
            self.pop_screen()
        screen = ConsultationScreen(self.service, room_id)
        self.push_screen(screen)
        if event_id:
            screen.call_after_refresh(screen.show_event, event_id)

    @work(exclusive=True, group="join")
    async def join(self, room_id: str) -> None:
        try:
            await self.service.join(room_id)
        except CoopNetError as exc:
            self.notify(t("error.join", self.lang, detail=exc), severity="error", timeout=10)
            return
        case = self.service.consultation(room_id).case_ref
        self.notify(t("notify.joined", self.lang, case=case))
        self.list_screen.refresh_list()

    def new_consultation(self, counterpart: str | None = None) -> None:
        own = self.service.own_authority or ""
        if counterpart is None:
            others = [
                a.authority_id for a in self.service.directory.members() if a.authority_id != own
            ]
            counterpart = others[0] if others else ""
        year = self.service.today().year
        prefill: dict[str, Any] = {
            "case_ref": f"{own.upper()}-{counterpart.upper()}-{year}-"
            f"{len(self.service.rooms) + 1:04d}",
            "kind": "extradition",
            "requesting_authority": own,
            "requested_authority": counterpart,
            "legal_basis.basis": "untoc",
        }
        self.push_screen(
            EventFormScreen(ConsultationOpened, self.lang, prefill), self._create_consultation
        )

    def _create_consultation(self, event: Event | None) -> None:
        if isinstance(event, ConsultationOpened):
            self.create_consultation(event)

    @work(exclusive=True, group="create")
    async def create_consultation(self, opened: ConsultationOpened) -> None:
        try:
            room_id = await self.service.open_consultation(opened)
        except CoopNetError as exc:
            self.notify(t("error.open", self.lang, detail=exc), severity="error", timeout=15)
            return
        self.list_screen.refresh_list()
        self.open_consultation(room_id)

    @work(exclusive=True, group="create")
    async def create_library_room(self) -> None:
        """A practice-library room for the network; opened to post the first entry."""
        try:
            room_id = await self.service.open_library()
        except CoopNetError as exc:
            self.notify(t("error.open", self.lang, detail=exc), severity="error", timeout=15)
            return
        self.list_screen.refresh_list()
        self.open_consultation(room_id)

    # ------------------------------------------------------------ structured exchanges
    def choose_structured(self, screen: ConsultationScreen) -> None:
        def chosen(cls: type[Event] | None) -> None:
            if cls is not None:
                self.structured_form(screen, cls)

        self.push_screen(ChooseEventScreen(self.lang), chosen)

    def structured_form(self, screen: ConsultationScreen, cls: type[Event]) -> None:
        consultation = screen.consultation
        prefill = self.prefill(consultation, cls)

        def done(event: Event | None) -> None:
            if event is not None:
                screen.send_event(event)

        self.push_screen(
            EventFormScreen(cls, self.lang, prefill, self.stage_check(consultation)), done
        )

    def prefill(self, consultation: Consultation, cls: type[Event]) -> dict[str, Any]:
        today = self.service.today()
        opened = consultation.opened
        # The network's default handling codes for this kind of exchange, preselected.
        network_defaults = consultation.core.settings.handling
        values: dict[str, Any] = {
            "handling": [c.value for c in default_for(cls.TYPE, network_defaults)]
        }
        if cls is ProgressAnswer:
            values.update(self.proposed_answer(consultation, today))
        if cls is RefusalEnvisaged:
            respond = today + dt.timedelta(days=DEFAULT_RESPOND_DAYS)
            values["respond_by"] = respond.isoformat()
        if cls in (StageTransition, AssuranceMonitoring):
            values["date"] = today.isoformat()
        if cls is StageTransition:
            stage = consultation.stage(today)
            if stage is not None:
                values["from_stage"] = stage.value
        if cls is Assurance and opened is not None:
            # The requesting State gives assurances; the requested State asks for them
            # and decides whether they are sufficient (ECE art. 11).
            values["giver"] = opened.requesting_authority
            values["receiver"] = opened.requested_authority
            giving = consultation.own_authority == opened.requesting_authority
            values["assurance_status"] = "offered" if giving else "requested"
        if cls is RequirementsAnswer:
            values["as_of"] = today.isoformat()
            query = next(
                (
                    e
                    for e in reversed(consultation.entries)
                    if isinstance(e.event, RequirementsQuery)
                ),
                None,
            )
            if query is not None:
                values["in_reply_to"] = query.event_id
        values.update(draft_prefill(consultation.core, cls))
        return values

    def proposed_answer(self, consultation: Consultation, today: dt.date) -> dict[str, Any]:
        """The answer the core proposes (as the bot does) to the oldest progress query put
        to this officer's side and not answered yet; empty when there is none."""
        status = consultation.status(today)
        opened = consultation.opened
        if status is None or opened is None:
            return {}
        own = consultation.own_authority
        side = Side.REQUESTING if own == opened.requesting_authority else Side.REQUESTED
        waiting = consultation.core.progress.open_queries(to=side)
        if not waiting:
            return {}
        return propose_answer(status, waiting[0].event_id).to_dict()

    def stage_check(self, consultation: Consultation) -> Any:
        """What the bots would refuse a step for, as a field error before sending (the
        consultation core's own check)."""

        def verdict(event: Event) -> dict[str, list[str]]:
            refusal = consultation.draft_refusal(event, self.service.user_id)
            if refusal is None:
                return {}
            where = (
                REFUSED_FIELD.get(refusal.code)
                or DRAFT_FIELD.get(refusal.code)
                or TOPIC_FIELD.get(refusal.topic, "")
            )
            return {where: [f"{refusal.code}: {refusal.message}"]}

        return verdict

    # ------------------------------------------------------------ other screens
    def search(self, room_id: str | None = None) -> None:
        def chosen(hit: tuple[str, str] | None) -> None:
            if hit is not None:
                self.open_consultation(*hit)

        self.push_screen(SearchScreen(self.service, self.lang, room_id), chosen)

    def show_devices(self, room_id: str) -> None:
        self.push_screen(DevicesScreen(self.service, room_id, self.lang))

    def action_search(self) -> None:
        self.search(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.lang))

    def action_directory(self) -> None:
        if not isinstance(self.screen, DirectoryScreen):
            self.push_screen(DirectoryScreen(self.service.directory, self.service.own_authority))

    def library(self, room_id: str | None = None, post_to: str | None = None) -> None:
        """The practice library; from a consultation, its entries can be linked to the
        consultation's assurances; from a library room (``post_to``), entries are posted
        in it."""
        if not isinstance(self.screen, LibraryScreen):
            self.push_screen(LibraryScreen(self.service, self.lang, room_id, post_to))

    def library_entry_form(self, room_id: str) -> None:
        """The form of a library entry, checked as the bots would, posted in ``room_id``."""
        room = self.service.consultation(room_id)
        prefill = self.prefill(room, CaseLawReference)

        def done(event: Event | None) -> None:
            if event is not None:
                self.post_library_entry(room_id, event)

        self.push_screen(
            EventFormScreen(CaseLawReference, self.lang, prefill, self.stage_check(room)), done
        )

    @work(group="send")
    async def post_library_entry(self, room_id: str, event: Event) -> None:
        try:
            await self.service.send_event(room_id, event)
        except CoopNetError as exc:
            self.notify(t("error.send", self.lang, detail=exc), severity="error", timeout=10)
            return
        self.notify(t("notify.sent", self.lang))
        if isinstance(self.screen, LibraryScreen):
            self.screen.show_results()

    def action_library(self) -> None:
        screen = self.screen
        self.library(screen.room_id if isinstance(screen, ConsultationScreen) else None)

    def action_statistics(self) -> None:
        if not isinstance(self.screen, StatisticsScreen):
            self.push_screen(StatisticsScreen(self.service, self.lang))

    def action_observations(self) -> None:
        if not isinstance(self.screen, ObservationsScreen):
            self.push_screen(ObservationsScreen(self.service, self.lang))

    def action_language(self) -> None:
        self.push_screen(LanguageScreen(self.lang), self.set_language)

    def set_language(self, lang: str | None) -> None:
        """Show every screen in ``lang`` at once: key bindings, then each screen's texts."""
        if lang is None or lang == self.lang:
            return
        self.lang = lang
        self.service.lang = lang
        self.settings.change(lang=lang)  # the next start on this device is in it too
        self.sub_title = t(f"conn.{self.service.connection.value}", lang)
        localize_bindings(self, lang)
        for screen in self.screen_stack:
            localize(screen, lang)
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        lang = self.lang
        for command in super().get_system_commands(screen):
            yield localize_command(command, lang)
        yield SystemCommand(
            t("key.directory", lang), t("cmd.directory.help", lang), self.action_directory
        )
        yield SystemCommand(t("key.search", lang), t("cmd.search.help", lang), self.action_search)
        yield SystemCommand(
            t("key.language", lang), t("cmd.language.help", lang), self.action_language
        )
        yield SystemCommand(t("key.new", lang), t("cmd.new.help", lang), self.new_consultation)
        yield SystemCommand(t("key.stats", lang), t("cmd.stats.help", lang), self.action_statistics)
        yield SystemCommand(
            t("cmd.observations", lang), t("cmd.observations.help", lang), self.action_observations
        )
        yield SystemCommand(
            t("key.library", lang), t("cmd.library.help", lang), self.action_library
        )
        yield SystemCommand(
            t("cmd.library_room", lang),
            t("cmd.library_room.help", lang),
            self.create_library_room,
        )
        yield SystemCommand(t("key.help", lang), t("cmd.help.help", lang), self.action_help)
        yield SystemCommand(
            t("cmd.recovery", lang), t("cmd.recovery.help", lang), self.recovery_key_command
        )
        if self.service.has_cache:
            yield SystemCommand(
                t("cmd.passphrase", lang), t("cmd.passphrase.help", lang), self.change_passphrase
            )

    def ask_recovery_key(self) -> None:
        """Ask for the recovery key (a new device); say what the restore did."""

        def restored(done: Restored | None) -> None:
            if done is None:
                return
            self.notify(t("recovery.restored", self.lang, n=done.imported))
            if done.device_signed:
                self.notify(t("recovery.signed", self.lang))
            self._refresh_list()

        self.push_screen(RecoveryKeyScreen(self.service, self.lang), restored)

    def recovery_key_command(self) -> None:
        """The palette's recovery key: shown (and replaceable) on a device that holds
        it, asked for on one that does not."""
        try:
            recovery_key = self.service.recovery_key()
        except RecoveryError:
            self.ask_recovery_key()
            return
        self.push_screen(RecoveryShownScreen(self.service, recovery_key, self.lang))

    def change_passphrase(self) -> None:
        def changed(ok: bool | None) -> None:
            if ok:
                self.notify(t("passphrase.changed", self.lang))

        self.push_screen(ChangePassphraseScreen(self.service, self.lang), changed)

    def action_command_palette(self) -> None:
        """Textual's palette, with its prompt in the interface language."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(
                    id="--command-palette", placeholder=t("palette.placeholder", self.lang)
                )
            )


def today() -> dt.date:
    return dt.date.today()
