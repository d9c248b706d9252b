"""What the client shows, derived from timeline events (pure: no I/O, no Textual).

A consultation room holds ordinary Matrix messages and CoopNet structured events (see
:mod:`coopnet.protocol.envelope`). :class:`Consultation` folds them into what the list and
the side panel need: case reference, kind, counterpart, current stage, deadlines,
assurances and unread count. Stage and deadlines come from :func:`coopnet.stages.track`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

from coopnet.protocol import (
    Assurance,
    ConsultationOpened,
    Event,
    ParseError,
    Receipt,
    content_hash,
    parse_content,
)
from coopnet.protocol.vocab import DeadlineStatus, Kind, Stage
from coopnet.receipts import Keys, verify_receipt
from coopnet.stages import (
    ConsultationStatus,
    Deadline,
    Rulebook,
    TimelineItem,
    load_rulebook,
    track,
)

NEAR_DAYS = 7
"""A pending deadline this close (in days) is highlighted as near."""


@cache
def packaged_rulebook() -> Rulebook:
    """The packaged deadline rules, parsed once: ``track()`` without a rulebook reads and
    parses the file again for each consultation (~1 ms each, 0.5 s for 500 at start)."""
    return load_rulebook()


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
    payload_hash: str | None = None  # content hash of a structured payload (for receipts)
    source: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """The message content of a receipt, whose signature is checked against bot keys."""

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
) -> Entry:
    """Classify a received event (never raises on bad remote content)."""
    if not decrypted:
        return Entry(event_id, sender, ts, EntryKind.UNDECRYPTABLE)
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
        return Entry(event_id, sender, ts, EntryKind.TEXT, body=body, reply_to=reply_to)
    if isinstance(parsed, ParseError):
        return Entry(event_id, sender, ts, EntryKind.INVALID, body=body, error=parsed)
    try:
        digest = content_hash(content["org.coopnet.consultation"])
    except (ValueError, TypeError, RecursionError):  # pragma: no cover - parse checked it
        digest = None
    return Entry(
        event_id,
        sender,
        ts,
        EntryKind.STRUCTURED,
        body=body,
        event=parsed,
        reply_to=reply_to,
        payload_hash=digest,
        source=content if isinstance(parsed, Receipt) else None,
    )


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool | None  # None: not checked (no trusted key known)
    reason: str
    key_id: str | None = None


class ReceiptCheck(StrEnum):
    MATCHES = "matches"  # the receipt's hash is the hash of the event we hold
    MISMATCH = "mismatch"  # it is not: the counterpart received something else
    UNKNOWN = "unknown"  # we do not hold the acknowledged event


@dataclass
class Consultation:
    """One consultation room and what the client derived from its timeline."""

    room_id: str
    case_ref: str
    entries: list[Entry] = field(default_factory=list)
    invited: bool = False
    unread: int = 0
    own_authority: str | None = None
    receipt_keys: Keys = field(default_factory=dict, repr=False)
    """Trusted bot keys (key id → key, as the signed directory lists them) that sign receipts."""
    _ids: set[str] = field(default_factory=set, repr=False)
    _status: ConsultationStatus | None = field(default=None, repr=False)
    _status_day: dt.date | None = field(default=None, repr=False)
    _open: tuple[ConsultationStatus, list[Deadline]] | None = field(default=None, repr=False)
    """The open deadlines of ``_status``, by due date (the list sorts and draws by them)."""
    _signatures: dict[str, SignatureCheck] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ building
    def add(self, entry: Entry, *, own: bool = False) -> bool:
        """Add an entry (in timeline order); False if it was already there."""
        if entry.event_id in self._ids:
            return False
        self._ids.add(entry.event_id)
        if self.entries and entry.ts < self.entries[-1].ts:
            index = len(self.entries)
            while index > 0 and self.entries[index - 1].ts > entry.ts:
                index -= 1
            self.entries.insert(index, entry)
        else:
            self.entries.append(entry)
        if not own:
            self.unread += 1
        if entry.event is not None:
            self._status = None
        return True

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
                if entry.event is not None:
                    self._status = None
                return True
        return False

    def mark_read(self) -> None:
        self.unread = 0

    # ------------------------------------------------------------ derived
    @property
    def opened(self) -> ConsultationOpened | None:
        for entry in self.entries:
            if isinstance(entry.event, ConsultationOpened):
                return entry.event
        return None

    def counterpart(self) -> str | None:
        opened = self.opened
        if opened is None:
            return None
        if self.own_authority == opened.requested_authority:
            return opened.requesting_authority
        return opened.requested_authority

    @property
    def kind(self) -> Kind | None:
        opened = self.opened
        return opened.kind if opened else None

    def status(
        self, today: dt.date, authority_of: Callable[[str], str | None]
    ) -> ConsultationStatus | None:
        if self._status is not None and self._status_day == today:
            return self._status
        opened = self.opened
        if opened is None:
            return None
        items = [
            TimelineItem(e.event, authority_of(e.sender), e.day, e.event_id)
            for e in self.entries
            if e.event is not None and not isinstance(e.event, ConsultationOpened)
        ]
        self._status = track(opened, items, today=today, rulebook=packaged_rulebook())
        self._status_day = today
        return self._status

    def stage(self, today: dt.date, authority_of: Callable[[str], str | None]) -> Stage | None:
        status = self.status(today, authority_of)
        return status.stages.current if status else None

    def open_deadlines(
        self, today: dt.date, authority_of: Callable[[str], str | None]
    ) -> list[Deadline]:
        return list(self._open_deadlines(today, authority_of))

    def _open_deadlines(
        self, today: dt.date, authority_of: Callable[[str], str | None]
    ) -> list[Deadline]:
        status = self.status(today, authority_of)
        if status is None:
            return []
        if self._open is None or self._open[0] is not status:  # once per status
            open_ = [
                d
                for d in status.deadlines
                if d.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)
            ]
            self._open = (status, sorted(open_, key=lambda d: d.due))
        return self._open[1]

    def next_deadline(
        self, today: dt.date, authority_of: Callable[[str], str | None]
    ) -> Deadline | None:
        deadlines = self._open_deadlines(today, authority_of)
        return deadlines[0] if deadlines else None

    def assurances(self) -> dict[str, Assurance]:
        """The latest state of each assurance, by its id."""
        latest: dict[str, Assurance] = {}
        for entry in self.entries:
            if isinstance(entry.event, Assurance):
                latest[entry.event.assurance_id] = entry.event
        return latest

    def receipt_check(self, receipt: Receipt) -> ReceiptCheck:
        for entry in self.entries:
            if entry.event_id == receipt.event_id:
                if entry.payload_hash == receipt.content_hash:
                    return ReceiptCheck.MATCHES
                return ReceiptCheck.MISMATCH
        return ReceiptCheck.UNKNOWN

    def receipt_signature(self, entry: Entry) -> SignatureCheck:
        """Whether a receipt is signed by a trusted bot key (pure; cached per entry)."""
        found = self._signatures.get(entry.event_id)
        if found is None:
            if not self.receipt_keys:
                found = SignatureCheck(None, "no trusted bot key to check it against")
            else:
                checked = verify_receipt(entry.source or {}, self.receipt_keys)
                found = SignatureCheck(checked.ok, checked.reason, checked.key_id)
            self._signatures[entry.event_id] = found
        return found

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


def sort_key(
    consultation: Consultation, today: dt.date, authority_of: Callable[[str], str | None]
) -> tuple[int, int, int]:
    """Most urgent first: invitations, then by next due date, then by latest activity."""
    if consultation.invited:
        return (0, 0, -consultation.last_ts())
    deadline = consultation.next_deadline(today, authority_of)
    if deadline is None:
        return (2, 0, -consultation.last_ts())
    return (1, deadline.due.toordinal(), -consultation.last_ts())
