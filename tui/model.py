"""What the client shows, derived from timeline events (pure: no I/O, no Textual).

A consultation room holds ordinary Matrix messages and CoopNet structured events (see
:mod:`coopnet.protocol.envelope`). :class:`Consultation` keeps the timeline as the
officer reads it (entries, unread count) and feeds every message to the shared
consultation core (:class:`coopnet.consultation.Consultation`), which alone computes the
stage, deadlines, assurances, refusals, conflicts and receipts — the same way the bots do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from coopnet.consultation import (
    Consultation as CoreConsultation,
)
from coopnet.consultation import (
    ConsultationSettings,
    HeldDocument,
    HeldReceipt,
    Message,
    Parties,
    ReceiptMatch,
    Refusal,
    SignatureCheck,
    board_of,
    is_library_room,
)
from coopnet.protocol import (
    BOT_MARKER,
    Assurance,
    ConsultationOpened,
    Event,
    ParseError,
    Problem,
    Receipt,
    encode,
    parse_content,
)
from coopnet.protocol.vocab import DeadlineStatus, Kind, NetworkRoomTopic, Stage
from coopnet.receipts import Keys
from coopnet.stages import ConsultationStatus, Deadline

NEAR_DAYS = 7
"""A pending deadline this close (in days) is highlighted as near."""


REJECTED_KEY = "org.coopnet.client.rejected"
"""Content under which the timeline cache keeps an event the client could not read."""


class EntryKind(StrEnum):
    TEXT = "text"  # a plain message
    STRUCTURED = "structured"  # a valid CoopNet event
    INVALID = "invalid"  # a CoopNet payload that failed validation
    UNDECRYPTABLE = "undecryptable"  # the room key has not arrived
    OTHER = "other"  # any other event type


@dataclass(frozen=True)
class Entry:
    """One timeline event as the client shows it."""

    event_id: str
    sender: str
    ts: int  # origin_server_ts, milliseconds
    kind: EntryKind
    body: str = ""
    event: Event | None = None
    error: ParseError | None = None
    reply_to: str | None = None
    source: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """The message content of a structured event (its causal link; a receipt's signature)."""
    trusted: bool = True
    """Whether the device policy trusts the device that sent it: an untrusted device's
    event is shown in red and never as the officer's word (the core refuses its steps)."""
    device_id: str | None = None  # the sending device, when known
    from_backup: bool = False
    """Untrusted because its room key came from the key backup, which does not
    authenticate the sender (marked as such, not as an unknown device)."""
    notice: bool = False
    """An ``m.notice`` (what bots send): drawn as a notice when its sender is a bot."""
    marker: tuple[str, str] | None = None
    """What a bot's notice is (:data:`~coopnet.protocol.BOT_MARKER`): its kind
    (``reminder``, ``answer``, ``untrusted``) and what it refers to (for an answer, the
    rejected event's id)."""

    @property
    def day(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.ts / 1000, dt.UTC).date()

    @cached_property
    def _search_text(self) -> str:
        if self.event is not None:
            return f"{self.body}\n{self.event.to_dict()}".casefold()
        return self.body.casefold()

    def search_text(self) -> str:
        """What search looks through, folded once per entry (search runs per keystroke)."""
        return self._search_text


def entry_from(
    event_id: str,
    sender: str,
    ts: int,
    event_type: str,
    content: dict[str, Any],
    decrypted: bool = True,
    rejected: str | None = None,
    trusted: bool = True,
    device_id: str | None = None,
    from_backup: bool = False,
) -> Entry:
    """Classify a received event (never raises on bad remote content).

    ``rejected``: why the client layer could not read it (``ReceivedEvent.rejected``); kept
    in the cache as the content ``{REJECTED_KEY: reason}``. ``trusted`` and ``device_id``:
    the device policy's decision on the sending device (the default is for what this
    client sent itself, or seeded demo data)."""
    entry = _classified(event_id, sender, ts, event_type, content, decrypted, rejected)
    if not decrypted or (trusted and device_id is None):
        return entry  # undecrypted: nothing is shown of it, and no device is known yet
    return replace(entry, trusted=trusted, device_id=device_id, from_backup=from_backup)


def _classified(
    event_id: str,
    sender: str,
    ts: int,
    event_type: str,
    content: dict[str, Any],
    decrypted: bool,
    rejected: str | None,
) -> Entry:
    if not decrypted:
        return Entry(event_id, sender, ts, EntryKind.UNDECRYPTABLE)
    if rejected is None and isinstance(content.get(REJECTED_KEY), str):
        rejected = content[REJECTED_KEY]
    if rejected is not None:
        problem = Problem("event", "rejected", rejected)
        return Entry(
            event_id, sender, ts, EntryKind.INVALID, body=rejected, error=ParseError((problem,))
        )
    if event_type != "m.room.message":
        return Entry(event_id, sender, ts, EntryKind.OTHER, body=event_type)
    body = content.get("body")
    body = body if isinstance(body, str) else ""
    relates = content.get("m.relates_to")
    reply_to = None
    if isinstance(relates, dict):
        in_reply = relates.get("m.in_reply_to")
        if isinstance(in_reply, dict) and isinstance(in_reply.get("event_id"), str):
            reply_to = in_reply["event_id"]
    parsed = parse_content(content)
    if parsed is None:
        notice = content.get("msgtype") == "m.notice"
        return Entry(
            event_id,
            sender,
            ts,
            EntryKind.TEXT,
            body=body,
            reply_to=reply_to,
            notice=notice,
            marker=_marker(content) if notice else None,
        )
    if isinstance(parsed, ParseError):
        return Entry(event_id, sender, ts, EntryKind.INVALID, body=body, error=parsed)
    return Entry(
        event_id,
        sender,
        ts,
        EntryKind.STRUCTURED,
        body=body,
        event=parsed,
        reply_to=reply_to,
        source=content,
    )


def _marker(content: dict[str, Any]) -> tuple[str, str] | None:
    marker = content.get(BOT_MARKER)
    if not isinstance(marker, dict) or not isinstance(marker.get("kind"), str):
        return None
    refers = marker.get("to", marker.get("key", ""))
    return marker["kind"], refers if isinstance(refers, str) else ""


class Consultation:
    """One consultation room: its timeline as shown, and its state from the core."""

    def __init__(
        self,
        room_id: str,
        case_ref: str,
        parties: Parties,
        own_authority: str | None = None,
        receipt_keys: Keys | None = None,
        settings: ConsultationSettings | None = None,
    ) -> None:
        self.room_id = room_id
        self.case_ref = case_ref
        self.entries: list[Entry] = []
        self.invited = False
        self.inviter: str | None = None  # who invited this account, while invited
        # A network room's topic (its creation content says it is one): listed apart.
        self.network_topic: NetworkRoomTopic | None = None
        self.unread = 0
        self.own_authority = own_authority
        self._parties = parties
        # The network's rules (the signed directory's): the bots fold with the same ones.
        self.core = CoreConsultation(parties, receipt_keys, settings=settings)
        self.answers: dict[str, Entry] = {}
        """Notices answering a rejected event, by the rejected event's id (a bot's answer
        counts only when its sender is the bot: see :mod:`tui.widgets.cards`)."""
        self._ids: set[str] = set()
        self._by_id: dict[str, Entry] = {}
        self._open: tuple[int, dt.date, list[Deadline]] | None = None
        self._coordinates: tuple[int, str | None] | None = None

    def holds(self, event_ids: Iterable[str]) -> set[str]:
        """Which of ``event_ids`` the timeline holds (gap filling stops at them)."""
        return self._ids.intersection(event_ids)

    # ------------------------------------------------------------ building
    def add(self, entry: Entry, *, own: bool = False) -> bool:
        """Add an entry (in timeline order); False if it was already there."""
        if entry.event_id in self._ids:
            return False
        self._ids.add(entry.event_id)
        self._by_id[entry.event_id] = entry
        if self.entries and entry.ts < self.entries[-1].ts:
            index = len(self.entries)
            while index > 0 and self.entries[index - 1].ts > entry.ts:
                index -= 1
            self.entries.insert(index, entry)
        else:
            self.entries.append(entry)
        if not own:
            self.unread += 1
        if entry.marker is not None and entry.marker[0] == "answer" and entry.trusted:
            self.answers.setdefault(entry.marker[1], entry)
        self._feed(entry)
        return True

    def has(self, event_id: str) -> bool:
        return event_id in self._ids

    def entry(self, event_id: str) -> Entry | None:
        return self._by_id.get(event_id)

    def _feed(self, entry: Entry) -> None:
        parsed = entry.event if entry.event is not None else entry.error
        # Untrusted messages of every kind go to the core too: it keeps them as such.
        if parsed is not None or not entry.trusted:
            content = entry.source or {}
            self.core.add(
                Message(entry.event_id, entry.sender, entry.ts, content, parsed, entry.trusted)
            )

    def decrypted(self, entry: Entry) -> bool:
        """Put ``entry`` in place of its undecryptable copy (its room key arrived late);
        False if the consultation holds no undecryptable entry with its id."""
        if entry.kind is EntryKind.UNDECRYPTABLE or entry.event_id not in self._ids:
            return False
        for index in range(len(self.entries) - 1, -1, -1):
            held = self.entries[index]
            if held.event_id == entry.event_id:
                if held.kind is not EntryKind.UNDECRYPTABLE:
                    return False
                self.entries[index] = entry
                self._by_id[entry.event_id] = entry
                self._feed(entry)
                return True
        return False

    def mark_read(self) -> None:
        self.unread = 0

    # ------------------------------------------------------------ derived (the core's)
    @property
    def opened(self) -> ConsultationOpened | None:
        return self.core.opened

    @property
    def coordinates(self) -> str | None:
        """The consultation room this room is the internal coordination room of (its first
        step says so); None for a consultation room."""
        version = self.core.version
        if self._coordinates is None or self._coordinates[0] != version:
            room = None
            if self.core.opened is None:  # a consultation room coordinates nothing
                # The internal room's board, as the bot folds it (its steps carry no
                # causal links, so "the first step" is no order to rely on).
                steps = (self.core.message(s.event_id) for s in self.core.steps())
                room = board_of(m for m in steps if m is not None).consultation_room
            self._coordinates = (version, room)  # the list asks for every room at each refresh
        return self._coordinates[1]

    @property
    def library(self) -> bool:
        """A practice-library room (its name says so): no consultation, listed apart."""
        return is_library_room(self.case_ref)

    @property
    def is_consultation(self) -> bool:
        """A consultation itself: not its internal room, a network room or a library room."""
        return self.coordinates is None and self.network_topic is None and not self.library

    def counterpart(self) -> str | None:
        if self.coordinates is not None or self.library:
            return None  # an internal room: the authority's own agencies only
        opened = self.opened
        if opened is None:
            # An invitation (nothing read yet): the inviter's authority.
            return self.core_authority(self.inviter) if self.inviter else None
        if self.own_authority == opened.requested_authority:
            return opened.requesting_authority
        return opened.requested_authority

    @property
    def kind(self) -> Kind | None:
        opened = self.opened
        return opened.kind if opened else None

    def status(self, today: dt.date) -> ConsultationStatus | None:
        return self.core.status(today)

    def stage(self, today: dt.date) -> Stage | None:
        status = self.status(today)
        return status.stages.current if status else None

    def open_deadlines(self, today: dt.date) -> list[Deadline]:
        """Pending and overdue deadlines, by due date (a copy: the list is cached)."""
        return list(self._open_deadlines(today))

    def _open_deadlines(self, today: dt.date) -> list[Deadline]:
        # Sorted once per state of the core and day: the list sorts and draws by them.
        if self._open is None or self._open[:2] != (self.core.version, today):
            status = self.status(today)
            pending = [
                d
                for d in (status.deadlines if status else ())
                if d.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)
            ]
            self._open = (self.core.version, today, sorted(pending, key=lambda d: d.due))
        return self._open[2]

    def next_deadline(self, today: dt.date) -> Deadline | None:
        deadlines = self._open_deadlines(today)
        return deadlines[0] if deadlines else None

    def assurances(self) -> dict[str, Assurance]:
        """The state of each assurance as its accepted steps left it, by its id."""
        return {key: record.latest for key, record in self.core.assurances().items()}

    def draft_refusal(self, event: Event, sender: str) -> Refusal | None:
        """What ``event`` would be refused for if ``sender`` sent it now."""
        return self.content_refusal(encode(event, after=self.core.head()), event, sender)

    def content_refusal(self, content: dict[str, Any], event: Event, sender: str) -> Refusal | None:
        """What a message with ``content`` (``event`` parsed) would be refused for."""
        return self.core.check(Message("$draft", sender, self.last_ts(), content, event))

    def documents(self) -> list[HeldDocument]:
        """The consultation's documents, versions and translations linked, with the
        receipts that certify them (the core's)."""
        return self.core.documents()

    def document(self, event_id: str) -> HeldDocument | None:
        return self.core.document(event_id)

    def refusal(self, entry: Entry) -> Refusal | None:
        """Why a structured event was not applied (what the bots refuse it for)."""
        return self.core.refusal(entry.event_id)

    def receipt_check(self, receipt: Receipt) -> ReceiptMatch:
        return self.core.receipt_match(receipt)

    def receipts_of(self, entry: Entry) -> list[HeldReceipt]:
        """The receipts posted for a step (by trusted devices), as they came."""
        return self.core.receipts_for(entry.event_id)

    def certifier(self, entry: Entry, bot_of: Callable[[str], str | None]) -> str | None:
        """The bot expected to certify a step: the other party's (``bot_of`` gives an
        authority's bot). None for what no bot receipts: receipts, refused steps, an
        untrusted device's events, steps of a consultation not opened yet."""
        opened = self.opened
        event = entry.event
        if opened is None or event is None or isinstance(event, Receipt) or not entry.trusted:
            return None
        if self.core.refusal(entry.event_id) is not None:
            return None
        side = self.core_authority(entry.sender)
        if side == opened.requesting_authority:
            return bot_of(opened.requested_authority)
        if side == opened.requested_authority:
            return bot_of(opened.requesting_authority)
        return None

    def core_authority(self, user_id: str) -> str | None:
        return self._parties.authority_of(user_id)

    def receipt_signature(self, entry: Entry) -> SignatureCheck:
        """Whether a receipt is signed by a trusted bot key (pure; cached per entry)."""
        return self.core.receipt_signature(entry.event_id)

    def last_ts(self) -> int:
        return self.entries[-1].ts if self.entries else 0

    def find(self, query: str) -> list[Entry]:
        needle = query.casefold()
        return [e for e in self.entries if needle and needle in e.search_text()]


def urgency(deadline: Deadline | None, today: dt.date) -> str:
    """``overdue``, ``near`` (within :data:`NEAR_DAYS`), ``pending`` or ``none``."""
    if deadline is None:
        return "none"
    if deadline.status is DeadlineStatus.OVERDUE or deadline.due < today:
        return "overdue"
    if (deadline.due - today).days <= NEAR_DAYS:
        return "near"
    return "pending"


def sort_key(consultation: Consultation, today: dt.date) -> tuple[int, int, int]:
    """Most urgent first: invitations, then by next due date, then by latest activity."""
    if consultation.invited:
        return (0, 0, -consultation.last_ts())
    deadline = consultation.next_deadline(today)
    if deadline is None:
        return (2, 0, -consultation.last_ts())
    return (1, deadline.due.toordinal(), -consultation.last_ts())
