"""The consultation bot of one authority.

In each consultation room it records every event (the consultation record), checks
every structured exchange with the protocol core, refuses illegal stage changes and
assurance updates with a reason, posts a signed receipt for each structured event from
the other authority, and reminds officers of deadlines. ``!consult help`` lists its
commands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bots.consultation.acl import AclFollower
from bots.consultation.coordination_text import render_mirror, render_task_notice
from bots.consultation.draft_review import awaiting_checklist, checklist_for, fallback
from bots.consultation.expert_access import end_access, owed_ends
from bots.consultation.network_rooms import NetworkRoomKeeper
from bots.consultation.record_pause import RecordingPause
from bots.consultation.reminders import due_notices
from bots.consultation.status_text import render_status
from bots.consultation.texts import text
from bots.consultation.view import (
    BOT_MARKER,
    UNTRUSTED_KIND,
    ConsultationView,
    Rejection,
    recorded_content,
)
from bots.consultation.view_cache import ViewCache
from bots.framework import Bot, BotConfig, CommandContext, CommandError, command
from bots.framework.base import txn_id
from coopnet.consultation import (
    STEP_REASONS,
    AccessRegister,
    Board,
    ConsultationGrants,
    ConsultationSettings,
    Message,
    Party,
    Refusal,
    Roster,
    Topic,
    board_of,
    is_library_room,
    judge_task,
    mirror_of,
    misplaced_in_library,
    plan_room,
    propose_answer,
    shared_item_refusals,
    task_notices,
)
from coopnet.consultation.coordination import COORDINATION_EVENTS
from coopnet.consultation.draft_check import attached_documents
from coopnet.consultation.drafts import DRAFT_REASONS
from coopnet.errors import ConsultationError
from coopnet.ids import EventID
from coopnet.keys import load_or_create_signing_key
from coopnet.matrix import DevicePolicy, DirectoryDevices, Fetched, ReceivedEvent
from coopnet.profiles import load_profile
from coopnet.protocol import (
    PAYLOAD_KEY,
    ConsultationOpened,
    CoordinationTask,
    Document,
    DraftRequest,
    Event,
    ParseError,
    ProgressQuery,
    Receipt,
    SharedItem,
    content_hash,
    encode,
    label,
    parse_content,
    parse_encrypted_file,
    parse_payload,
)
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES
from coopnet.protocol.draft_render import problem_text
from coopnet.protocol.handling import with_handling
from coopnet.protocol.render import render_text
from coopnet.receipts import sign_receipt
from coopnet.records import NewEntry, RecordFull
from coopnet.records.evidence import EvidenceStore
from coopnet.records.writer import AsyncRecordStore
from coopnet.stages import STAGE_REASONS, Rulebook

log = logging.getLogger(__name__)

# A room whose reconciliation hangs (a counterpart server away) is left for the next tick.
# (asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation that stops
# the bot.)
RECONCILE_TIMEOUT = 60.0


def classify(content: dict[str, Any]) -> str:
    """The record kind of a timeline event, from its content alone (so it is the same
    whether the bot records its own message when sending it or when it syncs back)."""
    marker = content.get(BOT_MARKER)
    if isinstance(marker, dict) and marker.get("kind") == "reminder":
        return "reminder"
    parsed = parse_content(content)
    if isinstance(parsed, Receipt):
        return "receipt"
    if isinstance(parsed, Event):
        return "event"
    if isinstance(parsed, ParseError):
        return "rejection"
    return "message"


@dataclass(frozen=True)
class DocumentSettings:
    """How the bot handles documents: the network's size limit, and where (if anywhere)
    it keeps an encrypted copy of each one it certifies."""

    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    evidence: EvidenceStore | None = None


# Why a document's file failed its checks, as the sender reads it (bots/messages.json).
FETCH_PROBLEMS = {
    "hash_mismatch": "document.hash_mismatch",
    "size_mismatch": "document.size_mismatch",
    "too_large": "document.size_mismatch",
}


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class ConsultationBot(Bot):
    remembers_events = True  # the record: gaps in its rooms are filled from history

    def __init__(
        self,
        config: BotConfig,
        policy: DevicePolicy,
        roster: Roster,
        authority_id: str,
        records_path: Path,
        signing_key_path: Path,
        profiles_dir: Path | None = None,
        rulebook: Rulebook | None = None,
        clock: Callable[[], dt.date] = utc_today,
        documents: DocumentSettings | None = None,
        settings: ConsultationSettings | None = None,
    ) -> None:
        super().__init__(config, policy)
        self.documents = documents or DocumentSettings()
        self.settings = settings or ConsultationSettings()
        self.handling_defaults = self.settings.handling  # None: the built-in defaults
        self.roster = roster
        self.authority_id = authority_id
        self.records_path = records_path
        self.signing_key_path = signing_key_path
        self.profiles_dir = profiles_dir
        self.rulebook = rulebook
        self.clock = clock
        self._records: AsyncRecordStore | None = None
        self._views: ViewCache | None = None
        self._signing_key = load_or_create_signing_key(signing_key_path)
        self.acl = AclFollower(policy)
        self.network_rooms = NetworkRoomKeeper(policy, authority_id, self.state)
        self.recording = RecordingPause(self._announce_recording)
        if isinstance(policy, DirectoryDevices):
            # An expert's device is trusted only through a grant in force in a
            # consultation this bot folds (by its clock), never blanket.
            policy.grants = ConsultationGrants(self._access_registers, clock)

    # ---------------------------------------------------------------- lifecycle
    @property
    def records(self) -> AsyncRecordStore:
        if self._records is None:
            raise RuntimeError("the record store is not open")
        return self._records

    async def setup(self) -> None:
        self._records = await AsyncRecordStore.open(self.records_path, self._signing_key)
        # Empty at every start: views are rebuilt from the record on first use.
        self._views = ViewCache(
            self.user_id,
            self._records,
            self.roster,
            self.roster.receipt_keys,
            self.rulebook,
            self.settings,
        )

    def _access_registers(self) -> list[AccessRegister]:
        """The experts' grants of the consultations the bot holds in memory."""
        return [view.consultation.access for view in self._views.held()] if self._views else []

    async def teardown(self) -> None:
        if self._records is not None:
            await self._records.close()

    async def known_event(self, event_id: str) -> bool:
        return await self.records.get_by_event_id(event_id) is not None

    async def known_events(self, event_ids: Collection[str]) -> set[str]:
        return await self.records.held_event_ids(event_ids)

    # ---------------------------------------------------------------- helpers
    @property
    def user_id(self) -> str:
        return self.config.user_id

    def case_ref(self, room_id: str) -> str:
        room = self.matrix.room(room_id)
        return (room.name if room is not None and room.name else None) or room_id

    @property
    def own_party(self) -> Party:
        party = self.roster.party(self.authority_id)
        if party is None:  # the runner checks the roster lists the bot's own authority
            raise RuntimeError(f"the roster does not list {self.authority_id}")
        return party

    @property
    def views(self) -> ViewCache:
        if self._views is None:
            raise RuntimeError("the record store is not open")
        return self._views

    async def view(self, room_id: str) -> ConsultationView:
        """The consultation as the record holds it (kept in memory; read, never modify)."""
        return await self.views.view(self.case_ref(room_id), room_id)

    async def record(
        self,
        room_id: str,
        event_id: str,
        sender: str,
        event_type: str,
        content: dict[str, Any],
        origin_ts: int | None,
        kind: str | None = None,
        message: Message | None = None,
        **extra: Any,
    ) -> None:
        # Through the view cache, which keeps the room's view up to date: every append
        # of the bot goes this way (``message``: the event as already parsed).
        new = NewEntry(
            case_ref=self.case_ref(room_id),
            room_id=room_id,
            kind=kind or classify(content),
            sender=sender,
            content=recorded_content(event_type, content, **extra),
            event_id=event_id,
            origin_ts=origin_ts,
        )
        while True:
            try:
                await self.views.append(new, message)
                break
            except RecordFull as exc:  # nothing kept: the same write again, once there is space
                await self.recording.refused(room_id, exc)
        await self.recording.written()

    async def _announce_recording(self, room_id: str, key: str, pause_id: str) -> None:
        """Tell the room, in its authorities' languages, that recording paused or goes on.
        The pause is not recorded when said (it cannot be): it comes back by sync."""
        languages = [self.own_party.language]
        for user_id in sorted(self.matrix.joined(room_id)):
            lang = self.roster.language_of(user_id)
            if self.roster.authority_of(user_id) is not None and lang not in languages:
                languages.append(lang)
        content = {"msgtype": "m.notice", "body": "\n".join(text(key, lang) for lang in languages)}
        if key == "record.paused":
            await self.matrix.send(room_id, content, txn_id=txn_id(key, room_id, pause_id))
        else:
            await self.post(room_id, content, key, pause_id)

    async def record_event(
        self,
        event: ReceivedEvent,
        kind: str | None = None,
        message: Message | None = None,
        **extra: Any,
    ) -> None:
        """Record a timeline event as the officers saw it (decrypted)."""
        await self.record(
            event.room_id,
            event.event_id,
            event.sender,
            event.type,
            event.content,
            event.origin_server_ts,
            kind,
            message,
            **extra,
        )

    async def post(self, room_id: str, content: dict[str, Any], purpose: str, *key: str) -> EventID:
        """Send and record at once; the transaction id makes a resend after a crash a no-op."""
        event_id = await self.matrix.send(room_id, content, txn_id=txn_id(purpose, room_id, *key))
        await self.record(room_id, event_id, self.user_id, "m.room.message", content, None)
        return event_id

    async def notice(
        self, room_id: str, body: str, purpose: str, *key: str, marker: dict[str, Any] | None = None
    ) -> EventID:
        content: dict[str, Any] = {"msgtype": "m.notice", "body": body}
        if marker:
            content[BOT_MARKER] = marker
        return await self.post(room_id, content, purpose, *key)

    # ---------------------------------------------------------------- events
    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        # Every kind of event has one outcome, listed in README ("Every kind of event").
        if not is_new or self.network_rooms.hosts(event.room_id):
            return  # a network room this bot keeps is no consultation: nothing to record
        if event.rejected is not None:
            await self._refuse(event, event.rejected)
            return
        if event.sender == self.user_id and event.trusted:
            await self.record_event(event)
            return
        if event.type == "m.room.redaction":
            await self._redaction(event)
            return
        if event.type == "m.reaction" or event.redacted:
            # Noted: a reaction (not encrypted) or an event redacted before the bot saw it
            # is recorded as a message; it is never a step of the consultation.
            await self.record_event(event, "message")
            return
        if not event.trusted:  # after the kinds that no device sends encrypted
            await self._untrusted(event)
            return
        relation = event.relation
        if relation is not None and relation[0] == "m.replace":
            if PAYLOAD_KEY in event.content or await self._is_structured(relation[1]):
                lang = self.roster.language_of(event.sender)
                await self._refuse(event, text("edit.refused", lang))
                return
        parsed = parse_content(event.content)
        if isinstance(parsed, ParseError):
            await self._reject(event, self._problems(event, parsed), "rejected.title")
        elif isinstance(parsed, Event):
            await self._structured(event, parsed)
        else:
            await self.record_event(event)
            body = event.content.get("body")
            if isinstance(body, str) and event.type == "m.room.message":
                # Commands may wait for later syncs (a new room), so they run on their own.
                self.spawn(self._maybe_command(event, body), f"command {event.event_id}")

    def _problems(self, event: ReceivedEvent, error: ParseError) -> list[str]:
        """The field errors of an invalid event; for draft review, in the sender's
        language (each names its field's label and path)."""
        if not (error.event_type or "").startswith(DraftRequest.type_name()):
            return [str(p) for p in error.problems]
        lang = self.roster.language_of(event.sender)
        return [problem_text(p, lang) for p in error.problems]

    async def handle_undecryptable(self, event: ReceivedEvent) -> None:
        """Its room key never came: recorded as rejected (the record holds every event of
        the room) and answered once, so the sender knows to send it again."""
        await super().handle_undecryptable(event)
        await self._refuse(
            event, text("event.undecryptable", self.roster.language_of(event.sender))
        )

    async def _refuse(self, event: ReceivedEvent, reason: str) -> None:
        """Record an event that cannot be read as its type says as rejected, and answer
        once (not the bot's own)."""
        if event.sender == self.user_id:
            await self.record_event(event, "rejection", problems=[reason])
        else:
            await self._reject(event, [reason], "event.rejected")

    async def _is_structured(self, event_id: str) -> bool:
        entry = await self.records.get_by_event_id(event_id)
        return entry is not None and entry.kind in ("event", "receipt")

    async def _redaction(self, event: ReceivedEvent) -> None:
        """Noted: the record keeps what was redacted (it is append-only); the officers are
        told once when it was a structured exchange."""
        redacts = event.content.get("redacts", event.source.get("redacts"))
        structured = isinstance(redacts, str) and await self._is_structured(redacts)
        await self.record_event(
            event, "note", redacts=redacts if isinstance(redacts, str) else None
        )
        if structured:
            lang = self.roster.language_of(event.sender)
            await self.notice(
                event.room_id,
                text("redaction.kept", lang, event_id=redacts),
                "redaction",
                event.event_id,
            )

    async def handle_failing(self, event: ReceivedEvent, failure: str) -> None:
        # Its content is what made the bot fail: only its reason is recorded.
        lang = self.roster.language_of(event.sender)
        await self._refuse(replace(event, content={}), text("event.failed", lang, failure=failure))

    async def _untrusted(self, event: ReceivedEvent) -> None:
        """Record an event from a device the policy does not trust, with that device, and
        warn the room once per device: never acted on (no command runs), never certified,
        never counted (the core refuses it as a step)."""
        device = event.sender_device
        message = Message(
            event.event_id,
            event.sender,
            event.origin_server_ts,
            event.content,
            parse_content(event.content),
            trusted=False,
        )
        log.warning(
            "%s in %s comes from untrusted device %s of %s (%s): recorded, not acted on",
            event.event_id,
            event.room_id,
            device.device_id,
            event.sender,
            device.reason,
        )
        await self.record_event(
            event,
            UNTRUSTED_KIND,
            message,
            device_id=device.device_id,
            device_key=device.ed25519,
            untrusted_reason=device.reason,
        )
        view = await self.view(event.room_id)
        if (event.sender, device.device_id or "") not in view.warned:
            await self.warn_untrusted(event.room_id, event.sender, device.device_id or "")

    async def warn_untrusted(self, room_id: str, user_id: str, device_id: str) -> None:
        """Tell the room, in the sender's authority's language, that what this device sends
        is not the officer's word."""
        body = text(
            "untrusted.warning",
            self.roster.language_of(user_id),
            user=user_id,
            device=device_id or "?",
        )
        marker = {"kind": UNTRUSTED_KIND, "user": user_id, "device": device_id}
        await self.notice(room_id, body, "untrusted", user_id, device_id, marker=marker)

    async def _reject(
        self,
        event: ReceivedEvent,
        problems: list[str],
        title: str,
        message: Message | None = None,
    ) -> None:
        # Recorded with what the answer needs: if the bot stops before answering, the
        # event is "known" when it comes again, and reconcile() answers it instead.
        await self.record_event(event, "rejection", message, problems=problems, answer_title=title)
        await self.answer_rejection(
            event.room_id, event.event_id, Rejection(event.sender, tuple(problems), title)
        )

    async def answer_rejection(self, room_id: str, event_id: str, why: Rejection) -> None:
        """Tell the sender, in their language, why ``event_id`` was refused."""
        lang = self.roster.language_of(why.sender)
        if why.title == "rejected.title":
            body = "\n".join(
                [
                    text(why.title, lang),
                    *(f"• {p}" for p in why.problems),
                    text("rejected.fix", lang),
                ]
            )
        else:
            body = text(why.title, lang, reason="; ".join(why.problems))
        await self.notice(
            room_id, body, "rejection", event_id, marker={"kind": "answer", "to": event_id}
        )

    async def _structured(self, event: ReceivedEvent, parsed: Event) -> None:
        view = await self.view(event.room_id)
        message = Message(
            event.event_id,
            event.sender,
            event.origin_server_ts,
            event.content,
            parsed,
            trusted=event.trusted,
        )
        problems = self._library_problems(event, parsed) or self._coordination_problems(
            event, parsed, view, message
        )
        if problems:
            await self._reject(event, problems, "rejected.title", message)
            return
        refusal = view.consultation.check(message)
        if refusal is not None:
            key, reason = self._answer_for(refusal, self.roster.language_of(event.sender))
            await self._reject(event, [reason], key, message)
            return
        sender_authority = self.roster.authority_of(event.sender)
        received = sender_authority != self.authority_id and not isinstance(parsed, Receipt)
        extra: dict[str, Any] = {}
        document = isinstance(parsed, Document)
        if isinstance(parsed, Document) and (received or self.documents.evidence is not None):
            problem, extra = await self._check_document(event, parsed)
            if problem is not None and received:
                # Not counted as received: recorded as rejected, answered, never receipted.
                await self._reject(event, [problem], "document.rejected", message)
                return
        checked = time.perf_counter()
        await self.record_event(event, message=message, **extra)
        recorded = time.perf_counter()
        if received:
            await self.send_receipt(
                event.room_id, event.event_id, event.sender, event.content[PAYLOAD_KEY]
            )
            if isinstance(parsed, DraftRequest):
                await self.check_drafts(event.room_id)
            if isinstance(parsed, ProgressQuery):
                await self.propose_progress_answer(event.room_id, event.event_id)
        if document:
            log.info(
                "document %s: recorded in %.3f s, receipt sent %.3f s after that",
                event.event_id,
                recorded - checked,
                time.perf_counter() - recorded,
            )

    def is_library_room(self, room_id: str) -> bool:
        room = self.matrix.room(room_id)
        return is_library_room(room.name if room is not None else None)

    def _library_problems(self, event: ReceivedEvent, parsed: Event) -> list[str]:
        """Why a step is refused in a library room: it holds entries only, never a
        consultation (an opening there would make the bot fold it as one)."""
        if self.is_library_room(event.room_id) and misplaced_in_library(parsed):
            return [text("library.misplaced", self.roster.language_of(event.sender))]
        return []

    # ---------------------------------------------------------------- coordination
    def _coordination_problems(
        self, event: ReceivedEvent, parsed: Event, view: ConsultationView, message: Message
    ) -> list[str]:
        """Why a coordination event is refused: outside an internal room, a task for a
        non-member or due in the past, an item whose handling codes forbid sharing it."""
        if not isinstance(parsed, COORDINATION_EVENTS):
            return []
        lang = self.roster.language_of(event.sender)
        if view.consultation.opened is not None:
            return [text("coordination.misplaced", lang)]
        if isinstance(parsed, CoordinationTask):
            room = self.matrix.room(event.room_id)
            members = room.members if room is not None else frozenset()
            board = self.board(view)
            return [str(p) for p in judge_task(parsed, members, message.day, board)]
        if isinstance(parsed, SharedItem):
            reasons = shared_item_refusals(parsed)
            if reasons:
                why = "; ".join(label(reason, lang) for reason in reasons)
                return [text("coordination.share.refused", lang, reasons=why)]
        return []

    def board(self, view: ConsultationView) -> Board:
        """The internal room's board, from the steps the bot did not refuse."""
        consultation = view.consultation
        messages = (consultation.message(s.event_id) for s in consultation.steps())
        return board_of(m for m in messages if m is not None and m.event_id not in view.rejected)

    async def coordinate(self, room_id: str, view: ConsultationView) -> None:
        """In an internal room opened by one of this authority's officers, all of whose
        members are on its own homeserver: mirror its consultation's stage, deadlines and
        open checklist items when they change, and remind tasks."""
        board = self.board(view)
        source_room = board.consultation_room
        own = self.own_party
        room = self.matrix.room(room_id)
        if (
            source_room is None
            or board.opened_by not in own.users()
            or room is None
            or room.servers != {own.server_name}
        ):
            return
        today = self.clock()
        lang = self.own_party.language
        if source_room in self.matrix.room_ids():
            source = await self.view(source_room)
            status = source.consultation.status(today)
            if status is not None:
                mirror = mirror_of(status, source.consultation.drafts())
                if mirror.key not in view.notices:
                    case_ref = status.opened.case_ref
                    marker = {"kind": "reminder", "key": mirror.key, "mirror": mirror.to_dict()}
                    body = render_mirror(mirror, case_ref, lang)
                    await self.notice(room_id, body, "mirror", mirror.key, marker=marker)
        for notice in task_notices(board, view.notices, today):
            assignee = notice.task.assignee
            body = render_task_notice(notice, assignee, lang)
            marker = {"kind": "reminder", "key": notice.key, "task": notice.task.task_id}
            await self.notice(room_id, body, "task", notice.key, marker=marker)

    async def check_drafts(self, room_id: str) -> None:
        """Post the checklist of every draft version that awaits one, checked against
        this authority's own requirements profile (the requested side's bot only)."""
        view = await self.view(room_id)
        consultation = view.consultation
        owed = awaiting_checklist(consultation, self.authority_id)
        if not owed:
            return
        profile = load_profile(self.authority_id, self.profiles_dir)
        if profile is None:
            log.warning("no requirements profile for %s: drafts are not checked", self.authority_id)
            return
        attached = attached_documents(consultation.documents())
        for review in owed:
            checklist = with_handling(
                checklist_for(review, profile.answer, self.authority_id, attached),
                defaults=self.handling_defaults,
            )
            drafted = consultation.message(review.latest)
            readers = [self.own_party.language]
            if drafted is not None:
                readers.append(self.roster.language_of(drafted.sender))
            content = encode(checklist, readers[0], after=consultation.head())
            content["body"], content["formatted_body"] = fallback(checklist, readers)
            await self.post(room_id, content, "checklist", review.latest)

    async def propose_progress_answer(self, room_id: str, query_id: str) -> None:
        """Propose to the authority's officers the answer to a progress query put to it,
        from the consultation's state (UNTOC art. 18(24)); they edit it and send it."""
        view = await self.view(room_id)
        status = view.consultation.status(self.clock())
        if status is None:
            return
        lang = self.own_party.language
        proposal = propose_answer(status, query_id)
        body = text("progress.proposed", lang, query=query_id, answer=render_text(proposal, lang))
        marker = {"kind": "proposal", "query": query_id, "answer": proposal.to_dict()}
        await self.notice(room_id, body, "proposal", query_id, marker=marker)

    async def _check_document(
        self, event: ReceivedEvent, document: Document
    ) -> tuple[str | None, dict[str, Any]]:
        """Download, decrypt and hash a document's file (no plaintext is written; the
        ciphertext goes to the evidence store if there is one): (why it failed, in the
        sender's language, or None; what the record notes of it)."""
        lang = self.roster.language_of(event.sender)
        noted: dict[str, Any] = {
            "kind": document.document_kind.value,
            "title": document.title,
            "size": document.size,
            "sha256": document.sha256,
        }
        log.info(
            "document %s: arrived %.3f s after it was sent",
            event.event_id,
            time.time() - event.origin_server_ts / 1000,
        )
        limit = self.documents.max_bytes
        if document.size > limit:
            return text("document.too_large", lang, size=document.size, limit=limit), {}
        file = parse_encrypted_file(event.content.get("file"))
        if isinstance(file, ParseError):  # parse_content checked it already
            return text("document.unreadable", lang, detail=str(file)), {}
        evidence = self.documents.evidence
        keep = None
        if evidence is not None and not evidence.has(document.sha256):
            keep = evidence.ciphertext_path(document.sha256)
        started = time.perf_counter()
        fetched = await self.matrix.download_decrypted(
            file, document.size, document.sha256, None, keep_ciphertext=keep
        )
        log.info(
            "document %s: %d bytes fetched and checked in %.2f s (%s), %.2f s after it was sent",
            event.event_id,
            fetched.size,
            time.perf_counter() - started,
            fetched.code or "ok",
            time.time() - event.origin_server_ts / 1000,
        )
        if not fetched.ok:
            log.warning(
                "document %s in %s failed its checks: %s",
                event.event_id,
                event.room_id,
                fetched.code,
            )
            return self._fetch_problem(fetched, document, lang), {}
        if keep is not None and evidence is not None:
            evidence.keep(document.sha256, dict(event.content["file"]))
        noted["checked"] = True
        noted["evidence"] = evidence is not None
        return None, {"document": noted}

    @staticmethod
    def _fetch_problem(fetched: Fetched, document: Document, lang: str) -> str:
        key = FETCH_PROBLEMS.get(fetched.code or "")
        if key == "document.hash_mismatch":
            return text(key, lang, actual=fetched.sha256, expected=document.sha256)
        if key == "document.size_mismatch":
            return text(key, lang, actual=fetched.size, expected=document.size)
        return text("document.unreadable", lang, detail=fetched.reason or fetched.code)

    @staticmethod
    def _answer_for(refusal: Refusal, lang: str) -> tuple[str, str]:
        """(message key, reason) of the answer to a refused step, in the sender's language
        where the reason has a label."""
        reason = refusal.message
        if refusal.code in STAGE_REASONS or refusal.code in STEP_REASONS:
            reason = f"{label(f'reason.{refusal.code}', lang)} — {refusal.message}"
        if refusal.topic is Topic.STAGE:
            return "transition.refused", reason
        if refusal.topic is Topic.ASSURANCE:
            return "assurance.refused", refusal.message
        if refusal.topic is Topic.DRAFT and refusal.code in DRAFT_REASONS:
            return "rejected.title", f"{label(f'reason.{refusal.code}', lang)} — {refusal.message}"
        if refusal.topic in (Topic.DECISION, Topic.PROGRESS, Topic.ACCESS):
            return "step.refused", reason
        return "rejected.title", refusal.message

    async def send_receipt(
        self, room_id: str, event_id: str, sender: str, payload: dict[str, Any]
    ) -> EventID | None:
        """Sign for a step; for a document, also for the SHA-256 and size of the file the
        bot checked (a document is recorded as an event only once its file passed)."""
        fields: dict[str, Any] = {
            "event_id": event_id,
            "content_hash": content_hash(payload),
            "receiver": self.user_id,
            "received_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "event_type": payload.get("type"),
        }
        document = parse_payload(payload)
        if isinstance(document, Event) and document.handling:
            # The receipt says how what it certifies may be used.
            fields["handling"] = [code.value for code in document.handling]
        if isinstance(document, Document):
            fields["document_sha256"] = document.sha256
            fields["document_size"] = document.size
        receipt = Receipt.from_dict(fields)
        if not isinstance(receipt, Receipt):
            log.error("could not build a receipt for %s: %s", event_id, receipt)
            return None
        content = sign_receipt(encode(receipt, self.roster.language_of(sender)), self._signing_key)
        return await self.post(room_id, content, "receipt", event_id)

    # ---------------------------------------------------------------- periodic
    async def tick(self) -> None:
        try:  # room server ACLs follow the signed directory
            async with asyncio.timeout(RECONCILE_TIMEOUT):
                await self.acl.follow(self.matrix)
        except Exception:
            log.exception("following the directory in server ACLs failed; retrying")
        try:  # and so do the network rooms this authority hosts
            async with asyncio.timeout(RECONCILE_TIMEOUT):
                await self.network_rooms.follow(self.matrix)
        except Exception:
            log.exception("keeping the network rooms in line with the directory failed; retrying")
        for room_id in self.rooms_by_activity():
            if self.network_rooms.hosts(room_id):
                continue
            try:
                async with asyncio.timeout(RECONCILE_TIMEOUT):
                    await self.reconcile(room_id)
            except Exception:  # one room's trouble must not starve the others
                log.exception("reconciling %s failed; retrying at the next tick", room_id)

    async def reconcile(self, room_id: str) -> None:
        """Post what is owed: receipts and answers to rejected events missed in a crash,
        reminders, overdue warnings."""
        view = await self.view(room_id)
        consultation = view.consultation
        for message in consultation.uncertified(self.user_id, self.authority_id):
            if message.event_id in view.rejected:
                continue  # a document whose file failed its checks: never receipted
            await self.send_receipt(
                room_id, message.event_id, message.sender, dict(message.content[PAYLOAD_KEY])
            )
        # A copy: what is sent meanwhile updates the view in place.
        for event_id, rejection in list(view.rejected.items()):
            if event_id not in view.answered:
                await self.answer_rejection(room_id, event_id, rejection)
        for (user_id, device_id), _first in view.unwarned():
            await self.warn_untrusted(room_id, user_id, device_id)
        await self.check_drafts(room_id)
        if consultation.opened is None:
            await self.coordinate(room_id, view)
        for held in owed_ends(
            consultation, self.clock(), self.authority_id, self.roster.authority_of
        ):
            await end_access(
                self.matrix,
                self.record,
                self.user_id,
                room_id,
                consultation,
                held,
                self.own_party.language,
            )
        status = consultation.status(self.clock())
        if status is None:
            return
        lang = self.own_party.language
        for notice in due_notices(status, view.notices, self.clock(), lang):
            await self.notice(
                room_id,
                notice.text,
                "reminder",
                notice.key,
                marker={"kind": "reminder", "key": notice.key},
            )

    # ---------------------------------------------------------------- commands
    async def _maybe_command(self, event: ReceivedEvent, body: str) -> None:
        parsed = self.parse_command(body)
        if parsed is None:
            return
        lang = self.roster.language_of(event.sender)
        if self.roster.authority_of(event.sender) != self.authority_id:
            return  # each authority's bot serves its own officers
        ctx = CommandContext(
            event.room_id,
            event.sender,
            event.event_id,
            [] if isinstance(parsed, CommandError) else parsed.args,
            lang,
        )
        try:
            if isinstance(parsed, CommandError):
                raise parsed
            reply = await self.run_command(parsed, ctx)
        except CommandError as exc:
            reply = text("command.error", lang, error=str(exc))
        if reply:
            # The marker ties the reply to its command, as an answer is tied to its event.
            await self.notice(
                event.room_id,
                reply,
                "reply",
                event.event_id,
                marker={"kind": "reply", "to": event.event_id},
            )

    @command("status", help="stage, history, open deadlines and assurances of this consultation")
    async def cmd_status(self, ctx: CommandContext) -> str:
        view = await self.view(ctx.room_id)
        return render_status(
            view.consultation, self.clock(), self.case_ref(ctx.room_id), ctx.language
        )

    @command(
        "requirements",
        help="post an authority's legal-requirements profile (PC-OC fields) in this room",
        usage="AUTHORITY",
        min_args=1,
        max_args=1,
    )
    async def cmd_requirements(self, ctx: CommandContext) -> str | None:
        authority = ctx.args[0].lower()
        profile = load_profile(authority, self.profiles_dir)
        if profile is None:
            known = ", ".join(sorted(self.roster.ids()))
            raise CommandError(f"no requirements profile for {authority!r} (authorities: {known})")
        view = await self.view(ctx.room_id)
        answer = with_handling(profile.answer, defaults=self.handling_defaults)
        content = encode(answer, ctx.language, after=view.consultation.head())
        if profile.answer.illustrative:
            note = text("requirements.illustrative", ctx.language, state=profile.state)
            content["body"] = f"{note}\n{content['body']}"
        await self.post(ctx.room_id, content, "requirements", ctx.event_id)
        return None

    @command(
        "open",
        help="open a consultation room with another authority (its officers and bot are "
        "invited) and post the opening event",
        usage="AUTHORITY CASE-REF [extradition|mla] [untoc|bilateral_treaty|multilateral_treaty"
        "|reciprocity|domestic_law] [INSTRUMENT]",
        min_args=2,
        max_args=5,
    )
    async def cmd_open(self, ctx: CommandContext) -> str:
        counterpart_id, case_ref, *rest = ctx.args
        try:
            plan = plan_room(self.roster, case_ref, self.user_id, counterpart_id.lower())
        except ConsultationError as exc:
            raise CommandError(str(exc)) from exc
        counterpart = self.roster.party(counterpart_id.lower())
        assert counterpart is not None  # plan_room checked it
        kind = rest[0] if rest else "extradition"
        basis = {"basis": rest[1] if len(rest) > 1 else "untoc"}
        if len(rest) > 2:
            basis["instrument"] = rest[2]
        opened = ConsultationOpened.from_dict(
            {
                "case_ref": case_ref,
                "kind": kind,
                "requesting_authority": self.authority_id,
                "requested_authority": counterpart.authority_id,
                "legal_basis": basis,
            }
        )
        if isinstance(opened, ParseError):
            raise CommandError("; ".join(str(p) for p in opened.problems))
        room_id = await self.matrix.create_room(plan)
        # The first step of the room: its sender had seen none.
        await self.post(
            room_id, encode(opened, self.own_party.language, after=None), "opened", room_id
        )
        return text(
            "opened.done",
            ctx.language,
            case_ref=case_ref,
            authority=counterpart.state,
            room_id=room_id,
        )
