"""THE state of one consultation, folded from its messages (pure).

The bot and the client both keep one :class:`Consultation` per room and feed it every
decrypted message they receive, in whatever order their homeserver delivers them. Steps
(structured events other than receipts) are folded in their causal order
(:mod:`coopnet.consultation.order`), so every reader that holds the same messages holds
the same state: stage and history, deadlines, assurances, refusals and conflicts, and
the receipts that certify each step. A message that lands at the end of the order is
folded in place (the common case: a few microseconds); one that lands before the end,
or resolves a missing link, makes the steps fold again from the start.

:meth:`Consultation.check` says what a message would be refused for if it came now:
the bot refuses with it, the client explains an illegal step before sending it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

from coopnet.consultation.access import AccessRegister
from coopnet.consultation.assurances import AssuranceRecord
from coopnet.consultation.decision import Decisions
from coopnet.consultation.documents import HeldDocument, fold_documents
from coopnet.consultation.drafts import DraftReview
from coopnet.consultation.fold import Fold, Refusal, Step
from coopnet.consultation.message import Message
from coopnet.consultation.order import CausalOrder
from coopnet.consultation.progress import Progress
from coopnet.consultation.settings import ConsultationSettings
from coopnet.protocol import (
    PAYLOAD_KEY,
    ConsultationOpened,
    Event,
    ParseError,
    Receipt,
    content_hash,
    payload_revision,
)
from coopnet.protocol.vocab import Side
from coopnet.receipts import Keys, verify_receipt
from coopnet.stages import (
    ConsultationStatus,
    Rulebook,
    WorkingCalendar,
    calendar_for,
    load_rulebook,
    status_of,
)


class Parties(Protocol):
    """What the fold needs of the roster: whose authority a user is, which ids exist."""

    def authority_of(self, user_id: str) -> str | None: ...

    def is_authority(self, authority_id: str) -> bool: ...


class ReceiptMatch(StrEnum):
    MATCHES = "matches"  # the receipt's hash is the hash of the event held here
    MISMATCH = "mismatch"  # it is not: the counterpart received something else
    UNKNOWN = "unknown"  # the certified event is not held here


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool | None  # None: not checked (no trusted key known)
    reason: str
    key_id: str | None = None


@dataclass(frozen=True)
class HeldReceipt:
    """A receipt posted in the room: which step it certifies, who posted it."""

    event_id: str  # the receipt's own event id
    sender: str
    receipt: Receipt
    message: Message


@dataclass(frozen=True)
class Summary:
    """What two readers of a consultation must agree on (deadlines aside, which also
    depend on the day: compare :meth:`Consultation.status`)."""

    opened: str | None
    history: tuple[tuple[str, str | None], ...]  # (stage, event id) from the initial stage
    accepted: tuple[str, ...]
    refusals: tuple[Refusal, ...]
    assurances: tuple[tuple[str, tuple[str, ...], int], ...]  # id, statuses, monitoring
    receipts: tuple[tuple[str, str, str], ...]  # (receipt id, its sender, certified id)
    invalid: tuple[str, ...]
    head: str | None
    untrusted: tuple[str, ...] = ()
    documents: tuple[tuple[str, str | None], ...] = ()  # (document id, its next version)
    drafts: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = ()
    """Per draft: its versions, the checklists' event ids, the versions confirmed ready."""
    relied_on: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per assurance that relies on library entries: the entries' event ids."""
    access: tuple[tuple[str, str, str | None], ...] = ()
    """Per grant of access: its event id, the expert, the event that ended it."""


class Consultation:
    def __init__(
        self,
        parties: Parties,
        receipt_keys: Keys | None = None,
        rulebook: Rulebook | None = None,
        settings: ConsultationSettings | None = None,
    ) -> None:
        self._parties = parties
        self._receipt_keys: Keys = receipt_keys or {}
        self._rulebook = rulebook
        self.settings = settings or ConsultationSettings()
        self._order = CausalOrder()
        self._steps: dict[str, Step] = {}
        self._messages: dict[str, Message] = {}
        self._receipts: dict[str, HeldReceipt] = {}
        self._receipts_of: dict[str, list[str]] = {}  # certified event id -> receipt ids
        self._invalid: dict[str, ParseError] = {}
        self._untrusted: list[str] = []  # messages from untrusted devices, as received
        self._fold = self._new_fold()
        self._hashes: dict[str, str | None] = {}
        self._signatures: dict[str, SignatureCheck] = {}
        self._status: tuple[int, dt.date, ConsultationStatus | None] | None = None
        self._documents: tuple[int, list[HeldDocument]] | None = None
        self.version = 0
        """Grows with every change of the state (to cache what is derived from it)."""

    # ------------------------------------------------------------ feeding
    def add(self, message: Message) -> bool:
        """Fold one message in; False when it was held already."""
        if message.event_id in self._messages:
            return False
        self._messages[message.event_id] = message
        parsed = message.parsed
        if not message.trusted:
            self._untrusted.append(message.event_id)
        if isinstance(parsed, Receipt):
            if not message.trusted:  # certifies nothing: not the bot's word
                self.version += 1
                return True
            self._receipts[message.event_id] = HeldReceipt(
                message.event_id, message.sender, parsed, message
            )
            self._receipts_of.setdefault(parsed.event_id, []).append(message.event_id)
        elif isinstance(parsed, Event):
            step = self._step(message, parsed)
            self._steps[step.event_id] = step
            if self._order.add(step.event_id, message.link):
                self._fold.add(step, self._seen_by(message))
            else:
                self._refold()
        elif isinstance(parsed, ParseError):
            self._invalid[message.event_id] = parsed
        self.version += 1
        return True

    def _new_fold(self) -> Fold:
        parties = self._parties
        # A roster knows the officers (who may grant an expert access); a bare Parties not.
        return Fold(
            parties.is_authority, getattr(parties, "is_officer", None), parties.authority_of
        )

    def _step(self, message: Message, event: Event) -> Step:
        return Step(
            message.event_id,
            event,
            self._parties.authority_of(message.sender),
            message.day,
            message.trusted,
            payload_revision(message.content),
            message.sender,
        )

    def _seen_by(self, message: Message) -> Callable[[str], bool]:
        link = message.link
        return lambda other: self._order.seen(link, other)

    def _refold(self) -> None:
        self._fold = self._new_fold()
        for event_id in self._order.ordered():
            self._fold.add(self._steps[event_id], self._seen_by(self._messages[event_id]))

    # ------------------------------------------------------------ judging
    def check(self, message: Message) -> Refusal | None:
        """The refusal ``message`` gets in this consultation (None: it may be applied,
        or it is no step). For a message held already, the refusal it got."""
        if message.event_id in self._messages:
            return self._fold.refusals.get(message.event_id)
        parsed = message.parsed
        if not isinstance(parsed, Event) or isinstance(parsed, Receipt):
            return None
        step = self._step(message, parsed)
        order = self._order
        key = order.key_of_new(step.event_id, message.link)
        head = order.head()
        if not order.awaited(step.event_id) and (head is None or key > order.key(head)):
            return self._fold.judge(step, self._seen_by(message))
        # It lands before the end: fold a copy with it (rare: a concurrent step).
        trial = Consultation(self._parties, self._receipt_keys, self._rulebook, self.settings)
        for held in self._messages.values():
            if held.event_id in self._steps:
                trial.add(held)
        trial.add(message)
        return trial._fold.refusals.get(message.event_id)

    # ------------------------------------------------------------ the state
    @property
    def opened(self) -> ConsultationOpened | None:
        return self._fold.opened

    @property
    def opened_id(self) -> str | None:
        return self._fold.opened_id

    def head(self) -> str | None:
        """The last step in the consultation's order: the causal link of a step sent now."""
        return self._order.head()

    def status(self, today: dt.date) -> ConsultationStatus | None:
        """Stage, history and deadlines on ``today`` (None before the opening)."""
        if self._status is not None and self._status[:2] == (self.version, today):
            return self._status[2]
        fold = self._fold
        status = None
        if fold.opened is not None and fold.stages is not None:
            book = self._rulebook or _packaged_rulebook()
            status = status_of(
                fold.opened,
                fold.stages.state(),
                fold.postponements,
                fold.extensions,
                today=today,
                rulebook=book,
                requested_state=fold.requested_state,
            )
            # The deadlines that steps open (envisaged refusals, the prosecution
            # obligation, progress queries) beside those of the stages.
            offsets = book.reminder_offsets_days
            steps = fold.decisions.deadlines(
                today, offsets, self.settings.prosecution_report_days
            ) + fold.progress.deadlines(
                today, offsets, self.settings.progress_answer_working_days, self.calendar
            )
            if steps:
                found = sorted((*status.deadlines, *steps), key=lambda d: (d.start, d.due))
                status = replace(status, deadlines=tuple(found))
        self._status = (self.version, today, status)
        return status

    def calendar(self, side: Side) -> WorkingCalendar:
        """The working calendar of one side's State (its public holidays)."""
        opened = self._fold.opened
        if opened is None:
            return calendar_for(None)
        authority = (
            opened.requesting_authority if side is Side.REQUESTING else opened.requested_authority
        )
        party = getattr(self._parties, "party", None)  # a roster knows each authority's State
        found = party(authority) if callable(party) else None
        return calendar_for(getattr(found, "state", None), authority)

    @property
    def decisions(self) -> Decisions:
        """Envisaged refusals and the prosecution obligation (read, never modify)."""
        return self._fold.decisions

    @property
    def access(self) -> AccessRegister:
        """The experts given temporary access, until when, by whom (read, never modify)."""
        return self._fold.access

    @property
    def progress(self) -> Progress:
        """Progress queries and their answers (read, never modify)."""
        return self._fold.progress

    def assurances(self) -> Mapping[str, AssuranceRecord]:
        """Each assurance by its id, as its accepted steps left it (read, never modify)."""
        return self._fold.assurances.items

    def refusal(self, event_id: str) -> Refusal | None:
        return self._fold.refusals.get(event_id)

    def refusals(self) -> list[Refusal]:
        """Every refused step, in the consultation's order."""
        return [r for e in self._order.ordered() if (r := self._fold.refusals.get(e))]

    def conflicts(self) -> list[Refusal]:
        """Refused steps that were sent concurrently with the step applied instead."""
        return [r for r in self.refusals() if r.is_conflict]

    def untrusted(self) -> list[str]:
        """The messages sent from devices the device policy does not trust, as received:
        none of them is applied, certified or counted."""
        return list(self._untrusted)

    def is_trusted(self, event_id: str) -> bool:
        """Whether a held message came from a trusted device (False when not held)."""
        message = self._messages.get(event_id)
        return message is not None and message.trusted

    def invalid(self, event_id: str) -> ParseError | None:
        """The validation error of a CoopNet payload that failed to parse."""
        return self._invalid.get(event_id)

    def steps(self) -> Iterator[Step]:
        """Every step, in the consultation's order (refused ones included)."""
        return (self._steps[e] for e in self._order.ordered())

    def accepted(self) -> Iterator[Step]:
        """The steps that were applied, in the consultation's order."""
        return (self._steps[e] for e in self._fold.accepted)

    def message(self, event_id: str) -> Message | None:
        return self._messages.get(event_id)

    def documents(self) -> list[HeldDocument]:
        """The accepted documents in the consultation's order, with their versions,
        translations and the receipts that certify them (cached per :attr:`version`)."""
        if self._documents is not None and self._documents[0] == self.version:
            return self._documents[1]
        fold = self._fold
        found = fold_documents(
            fold.documents,
            fold.replaced_by,
            {e: (self._messages[e].sender, self._messages[e].ts) for e in fold.documents},
            self.payload_hash,
            lambda event_id: (
                (r.event_id, r.sender, r.receipt, self.receipt_signature(r.event_id).valid)
                for r in self.receipts_for(event_id)
            ),
            self._parties.authority_of,
        )
        self._documents = (self.version, found)
        return found

    def document(self, event_id: str) -> HeldDocument | None:
        return next((d for d in self.documents() if d.event_id == event_id), None)

    def drafts(self) -> list[DraftReview]:
        """Every draft shared in the consultation with its versions, checklists, answers
        and whether it is ready to transmit (read, never modify)."""
        return self._fold.drafts.reviews()

    def draft_review(self, draft_id: str) -> DraftReview | None:
        """The review that a draft version belongs to."""
        return self._fold.drafts.review_of(draft_id)

    def summary(self) -> Summary:
        stages = self._fold.stages
        return Summary(
            opened=self.opened_id,
            history=tuple((h.stage, h.event_id) for h in stages.history) if stages else (),
            accepted=tuple(self._fold.accepted),
            refusals=tuple(self.refusals()),
            assurances=tuple(
                (key, tuple(record.history), len(record.monitoring))
                for key, record in sorted(self.assurances().items())
            ),
            receipts=tuple(
                sorted((r.event_id, r.sender, r.receipt.event_id) for r in self._receipts.values())
            ),
            invalid=tuple(sorted(self._invalid)),
            head=self.head(),
            untrusted=tuple(sorted(self._untrusted)),
            documents=tuple((e, self._fold.replaced_by.get(e)) for e in self._fold.documents),
            drafts=tuple(
                (
                    tuple(v for v, _ in r.versions),
                    tuple(c.event_id for c in r.checklists.values()),
                    tuple(sorted(r.ready)),
                )
                for r in self.drafts()
            ),
            relied_on=tuple(
                (key, tuple(link.entry for _, link in record.relied_on))
                for key, record in sorted(self.assurances().items())
                if record.relied_on
            ),
            access=tuple((g.event_id, g.expert, g.ended_id) for g in self.access.grants.values()),
        )

    def __eq__(self, other: object) -> bool:
        """Two consultations are equal when they hold the same state (:meth:`summary`)."""
        if not isinstance(other, Consultation):
            return NotImplemented
        return self.summary() == other.summary()

    __hash__ = None  # type: ignore[assignment]  # mutable

    # ------------------------------------------------------------ receipts
    def receipts_for(self, event_id: str) -> list[HeldReceipt]:
        return [self._receipts[r] for r in self._receipts_of.get(event_id, ())]

    def certified_by(self, event_id: str, receiver: str) -> bool:
        """Whether ``receiver`` (a bot) posted a receipt for the step."""
        return any(r.sender == receiver for r in self.receipts_for(event_id))

    def uncertified(self, receiver: str, own_authority: str) -> list[Message]:
        """Accepted steps of the other authorities that ``receiver`` has not certified
        (what the bot of ``own_authority`` still owes a receipt for), in order."""
        return [
            self._messages[step.event_id]
            for step in self.accepted()
            if step.authority != own_authority and not self.certified_by(step.event_id, receiver)
        ]

    def payload_hash(self, event_id: str) -> str | None:
        """The content hash of a held step's payload (what a receipt certifies)."""
        if event_id not in self._hashes:
            message = self._messages.get(event_id)
            digest = None
            if message is not None and isinstance(message.content.get(PAYLOAD_KEY), Mapping):
                try:
                    digest = content_hash(message.content[PAYLOAD_KEY])
                except (ValueError, TypeError, RecursionError):
                    digest = None
            self._hashes[event_id] = digest
        return self._hashes[event_id]

    def receipt_match(self, receipt: Receipt) -> ReceiptMatch:
        """Whether a receipt certifies the step this reader holds."""
        if receipt.event_id not in self._messages:
            return ReceiptMatch.UNKNOWN
        if self.payload_hash(receipt.event_id) == receipt.content_hash:
            return ReceiptMatch.MATCHES
        return ReceiptMatch.MISMATCH

    def receipt_signature(self, receipt_event_id: str) -> SignatureCheck:
        """Whether a held receipt is signed by a trusted bot key (cached)."""
        found = self._signatures.get(receipt_event_id)
        if found is None:
            held = self._receipts.get(receipt_event_id)
            if held is None:
                found = SignatureCheck(False, "no such receipt in this consultation")
            elif not self._receipt_keys:
                found = SignatureCheck(None, "no trusted bot key to check it against")
            else:
                content: dict[str, Any] = dict(held.message.content)
                checked = verify_receipt(content, self._receipt_keys)
                found = SignatureCheck(checked.ok, checked.reason, checked.key_id)
            self._signatures[receipt_event_id] = found
        return found


@cache
def _packaged_rulebook() -> Rulebook:
    """The packaged deadline rules, parsed once (reading them costs ~1 ms)."""
    return load_rulebook()
