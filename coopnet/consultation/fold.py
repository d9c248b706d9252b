"""The rules that turn a consultation's steps, in order, into its state (pure).

One :class:`Fold` is the state after some prefix of the steps. :meth:`Fold.judge` says
whether the next step may be applied and, if not, why (the refusal the bot gives and the
client shows); :meth:`Fold.add` applies it or records the refusal. Every rule that
accepts or refuses a step lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from coopnet.consultation.access import AccessRegister
from coopnet.consultation.assurances import AssuranceParties, AssuranceRegister
from coopnet.consultation.decision import Decisions
from coopnet.consultation.drafts import DraftRegister, DraftStep
from coopnet.consultation.progress import Progress
from coopnet.protocol import (
    REVISION,
    AccessEnded,
    AccessGranted,
    Assurance,
    AssuranceMonitoring,
    AssuranceReliance,
    CaseLawReference,
    ConsultationOpened,
    DeadlineExtension,
    Document,
    Event,
    ProgressAnswer,
    ProgressQuery,
    ProsecutionReport,
    RefusalEnvisaged,
    RequirementsAnswer,
    StageTransition,
    SurrenderPostponement,
    entry_problems,
)
from coopnet.protocol.vocab import Side, Stage
from coopnet.stages import StageFold, StageInput, answers_for, side_of


class Topic(StrEnum):
    """What a refused step tried to change."""

    OPENED = "opened"
    STAGE = "stage"
    ASSURANCE = "assurance"
    DEADLINE = "deadline"  # a deadline extension or a postponed surrender
    DOCUMENT = "document"  # a document, a new version of one, a translation
    DRAFT = "draft"  # a draft request, its checklist, an answer, ready to transmit
    DECISION = "decision"  # a refusal envisaged, a report of submission for prosecution
    PROGRESS = "progress"  # a progress query or its answer
    ACCESS = "access"  # an expert's temporary access granted or ended
    EXCHANGE = "exchange"  # any other step: identity, requirements, case law...


def topic_of(event: Event) -> Topic:
    """What a step changes (the topic of its refusal, if refused)."""
    if isinstance(event, ConsultationOpened):
        return Topic.OPENED
    if isinstance(event, StageTransition):
        return Topic.STAGE
    if isinstance(event, Assurance | AssuranceMonitoring | AssuranceReliance):
        return Topic.ASSURANCE
    if isinstance(event, DeadlineExtension | SurrenderPostponement):
        return Topic.DEADLINE
    if isinstance(event, Document):
        return Topic.DOCUMENT
    if isinstance(event, DraftStep):
        return Topic.DRAFT
    if isinstance(event, RefusalEnvisaged | ProsecutionReport):
        return Topic.DECISION
    if isinstance(event, ProgressQuery | ProgressAnswer):
        return Topic.PROGRESS
    if isinstance(event, AccessGranted | AccessEnded):
        return Topic.ACCESS
    return Topic.EXCHANGE


# Reason codes of refusals that are not the stage machine's or the assurances'.
ALREADY_OPENED = "already_opened"
UNKNOWN_PARTY = "unknown_party"
NOT_A_PARTY = "not_a_party"
NOT_OPENED = "not_opened"
UNTRUSTED_DEVICE = "untrusted_device"
UNKNOWN_DOCUMENT = "unknown_document"
NOT_OWN_DOCUMENT = "not_own_document"
ALREADY_REPLACED = "already_replaced"
LIBRARY_INCOMPLETE = "library_entry_incomplete"


@dataclass(frozen=True)
class Refusal:
    """Why a step was not applied. ``conflict_with`` names the concurrent step that was
    applied instead when both were sent without seeing each other (a conflict that both
    sides see and resolve), None for an ordinary refusal."""

    event_id: str
    topic: Topic
    code: str
    message: str  # English; programs show the label of ``code`` in the reader's language
    conflict_with: str | None = None

    @property
    def is_conflict(self) -> bool:
        return self.conflict_with is not None


@dataclass(frozen=True)
class Step:
    """A structured event (not a receipt) as the fold needs it."""

    event_id: str
    event: Event
    authority: str | None  # the sender's authority, from the roster (never the content)
    day: dt.date
    trusted: bool = True  # the device policy trusts the device that sent it
    revision: int = REVISION  # the rules revision it was sent under (payload ``revision``)
    sender: str = ""  # the sender's user id (who grants an expert access)


Seen = Callable[[str], bool]
"""Whether the sender of the step being judged had seen a given step."""


class Fold:
    def __init__(
        self,
        is_authority: Callable[[str], bool],
        is_officer: Callable[[str], bool] | None = None,
        authority_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self._is_authority = is_authority
        self._is_officer = is_officer or (lambda _user: False)
        self._authority_of = authority_of or (lambda _user: None)
        self.access = AccessRegister()  # experts given temporary access
        self.opened: ConsultationOpened | None = None
        self.opened_id: str | None = None
        self.stages: StageFold | None = None
        self.assurances = AssuranceRegister()
        self.postponements: list[tuple[dt.date, SurrenderPostponement]] = []
        self.extensions: list[DeadlineExtension] = []
        self.requested_state: RequirementsAnswer | None = None
        """The requested State's latest answer on its own requirements (its time limits)."""
        self.refusals: dict[str, Refusal] = {}
        self.accepted: list[str] = []
        self.documents: dict[str, Step] = {}  # accepted documents by event id, in order
        self.replaced_by: dict[str, str] = {}  # a document's id -> its next version's
        self.drafts = DraftRegister()
        self.decisions = Decisions()  # envisaged refusals, the prosecution obligation
        self.progress = Progress()  # progress queries and their answers

    def side(self, authority: str | None) -> Side | None:
        if authority is None or self.opened is None:
            return None
        return side_of(authority, self.opened.requesting_authority, self.opened.requested_authority)

    # ------------------------------------------------------------ rules
    def judge(self, step: Step, seen: Seen) -> Refusal | None:
        """The refusal ``step`` gets if applied next, or None."""
        event = step.event
        if not step.trusted:
            # Not the officer's word: never applied, whatever it says.
            return Refusal(
                step.event_id,
                topic_of(event),
                UNTRUSTED_DEVICE,
                "sent from a device that is not trusted (not listed in the signed "
                "directory, not verified)",
            )
        if isinstance(event, ConsultationOpened):
            return self._judge_opened(step, event)
        if isinstance(event, StageTransition):
            if self.stages is None:
                return Refusal(
                    step.event_id,
                    Topic.STAGE,
                    NOT_OPENED,
                    "no consultation has been opened in this room",
                )
            problem = self.stages.judge(
                StageInput(event, self.side(step.authority), revision=step.revision)
            )
            if problem is None and step.revision >= 2:
                problem = self.assurances.judge_conditions(event.assurance_ids)
            if problem is None:
                problem = self.decisions.judge_transition(event, step.revision)
            if problem is None:
                return None
            winner = self.stages.current.event_id
            return Refusal(
                step.event_id,
                Topic.STAGE,
                problem[0],
                problem[1],
                winner if winner is not None and not seen(winner) else None,
            )
        if isinstance(event, Assurance | AssuranceMonitoring):
            problem = self.assurances.judge(event, self._parties_of(step))
            if problem is None:
                return None
            winner = self.assurances.last_change(event.assurance_id)
            return Refusal(
                step.event_id,
                Topic.ASSURANCE,
                problem[0],
                problem[1],
                winner if winner is not None and not seen(winner) else None,
            )
        if isinstance(event, AssuranceReliance):
            problem = self.assurances.judge_reliance(event)
            if problem is None and self.side(step.authority) is None:
                problem = (NOT_A_PARTY, "the sender is on neither side of the consultation")
            if problem is None:
                return None
            return Refusal(step.event_id, Topic.ASSURANCE, problem[0], problem[1])
        if isinstance(event, CaseLawReference):
            missing = entry_problems(event, step.revision)
            if not missing:
                return None
            names = ", ".join(p.path for p in missing)
            return Refusal(
                step.event_id,
                Topic.EXCHANGE,
                LIBRARY_INCOMPLETE,
                f"library entry: {names} missing (required from rules revision 4)",
            )
        if isinstance(event, Document):
            return self._judge_document(step, event, seen)
        if isinstance(event, DraftStep):
            return self._judge_draft(step, event)
        if isinstance(event, RefusalEnvisaged | ProsecutionReport | ProgressQuery | ProgressAnswer):
            return self._judge_decision(step, event)
        if isinstance(event, AccessGranted | AccessEnded):
            return self._judge_access(step, event)
        return None

    def _judge_access(self, step: Step, event: AccessGranted | AccessEnded) -> Refusal | None:
        """A grant comes from an officer on either side, for an account of the officer's
        own homeserver, until a day not in the past; an end from the granting authority
        (:mod:`~coopnet.consultation.access`)."""
        if self.opened is None:
            return Refusal(step.event_id, Topic.ACCESS, NOT_OPENED, "no consultation is open here")
        if self.side(step.authority) is None:
            problem: tuple[str, str] | None = (NOT_A_PARTY, "the sender is on neither side")
        elif isinstance(event, AccessGranted):
            problem = self.access.judge_grant(
                event, step.sender, self._is_officer(step.sender), step.day
            )
        else:
            problem = self.access.judge_end(event, step.authority, self._authority_of)
        if problem is None:
            return None
        return Refusal(step.event_id, Topic.ACCESS, problem[0], problem[1])

    def _judge_draft(self, step: Step, event: DraftStep) -> Refusal | None:
        if self.opened is None:
            return Refusal(
                step.event_id,
                Topic.DRAFT,
                NOT_OPENED,
                "no consultation has been opened in this room",
            )
        problem = self.drafts.judge(event, self.side(step.authority))
        if problem is None:
            return None
        return Refusal(step.event_id, Topic.DRAFT, problem[0], problem[1])

    def _judge_decision(
        self,
        step: Step,
        event: RefusalEnvisaged | ProsecutionReport | ProgressQuery | ProgressAnswer,
    ) -> Refusal | None:
        """An envisaged refusal, a report of submission for prosecution, a progress
        answer: each needs the opened consultation and the right side
        (:mod:`~coopnet.consultation.decision`, :mod:`~coopnet.consultation.progress`)."""
        topic = topic_of(event)
        if self.opened is None:
            return Refusal(step.event_id, topic, NOT_OPENED, "no consultation is open here")
        side = self.side(step.authority)
        if isinstance(event, RefusalEnvisaged):
            problem = self.decisions.judge_envisaged(event, side, step.day)
        elif isinstance(event, ProsecutionReport):
            problem = self.decisions.judge_report(side)
        elif isinstance(event, ProgressQuery):
            problem = None if side is not None else (NOT_A_PARTY, "the sender is on neither side")
        else:
            problem = self.progress.judge_answer(event, side)
        if problem is None:
            return None
        return Refusal(step.event_id, topic, problem[0], problem[1])

    def _judge_document(self, step: Step, event: Document, seen: Seen) -> Refusal | None:
        """A new version replaces one of its own authority's documents, once; a
        translation names a document of the consultation."""

        def refused(code: str, message: str, winner: str | None = None) -> Refusal:
            return Refusal(step.event_id, Topic.DOCUMENT, code, f"document: {message}", winner)

        if event.replaces is not None:
            original = self.documents.get(event.replaces)
            if original is None:
                return refused(UNKNOWN_DOCUMENT, f"replaces {event.replaces}, not a document here")
            if original.authority != step.authority:
                return refused(
                    NOT_OWN_DOCUMENT, f"replaces {event.replaces}, sent by another authority"
                )
            newer = self.replaced_by.get(event.replaces)
            if newer is not None:
                return refused(
                    ALREADY_REPLACED,
                    f"{event.replaces} was already replaced by {newer}",
                    newer if not seen(newer) else None,
                )
        if event.translation_of is not None and event.translation_of not in self.documents:
            return refused(
                UNKNOWN_DOCUMENT, f"translates {event.translation_of}, not a document here"
            )
        return None

    def _parties_of(self, step: Step) -> AssuranceParties | None:
        """Who is who, for the rules on who gives and accepts an assurance (revision 2)."""
        if step.revision < 2 or self.opened is None:
            return None
        return AssuranceParties(
            step.authority, self.opened.requesting_authority, self.opened.requested_authority
        )

    def _judge_opened(self, step: Step, event: ConsultationOpened) -> Refusal | None:
        def refused(code: str, message: str) -> Refusal:
            return Refusal(step.event_id, Topic.OPENED, code, f"opened: {message}")

        if self.opened is not None:
            return refused(ALREADY_OPENED, "this room already holds a consultation")
        for party in (event.requesting_authority, event.requested_authority):
            if not self._is_authority(party):
                return refused(UNKNOWN_PARTY, f"{party!r} is not an authority of the network")
        if step.authority not in (event.requesting_authority, event.requested_authority):
            return refused(NOT_A_PARTY, "the sender's authority is on neither side")
        return None

    # ------------------------------------------------------------ applying
    def add(self, step: Step, seen: Seen) -> Refusal | None:
        """Apply the next step, or keep its refusal; returns the refusal."""
        refusal = self.judge(step, seen)
        if refusal is not None:
            self.refusals[step.event_id] = refusal
            return refusal
        self.accepted.append(step.event_id)
        event = step.event
        if isinstance(event, ConsultationOpened):
            self.opened, self.opened_id = event, step.event_id
            self.stages = StageFold(event.kind)
            return None
        side = self.side(step.authority)
        self.decisions.add_step(side, step.day)
        if isinstance(event, StageTransition) and self.stages is not None:
            self.stages.add(StageInput(event, side, step.event_id, step.revision))
            self.decisions.add_transition(step.event_id, event, side)
            if event.to_stage is Stage.GRANTED:
                self.assurances.condition(event.assurance_ids, step.event_id)
        elif isinstance(event, RefusalEnvisaged):
            self.decisions.add_envisaged(step.event_id, step.day, event)
        elif isinstance(event, ProsecutionReport):
            self.decisions.add_report(step.event_id, event)
        elif isinstance(event, ProgressQuery) and side is not None:
            self.progress.add_query(step.event_id, step.day, side)
        elif isinstance(event, ProgressAnswer):
            self.progress.add_answer(step.event_id, step.day, event)
        elif isinstance(event, Assurance | AssuranceMonitoring):
            self.assurances.apply(event, step.event_id)
        elif isinstance(event, AssuranceReliance):
            self.assurances.rely(event, step.event_id)
        elif isinstance(event, SurrenderPostponement) and side is not None:
            self.postponements.append((step.day, event))
        elif isinstance(event, DeadlineExtension) and side is not None:
            self.extensions.append(event)
        elif isinstance(event, RequirementsAnswer) and self.opened is not None:
            if answers_for(self.opened, event, step.authority):
                self.requested_state = event
        elif isinstance(event, DraftStep):
            self.drafts.apply(step.event_id, event, step.authority)
        elif isinstance(event, Document):
            self.documents[step.event_id] = step
            if event.replaces is not None:
                self.replaced_by[event.replaces] = step.event_id
        elif isinstance(event, AccessGranted):
            self.access.grant(step.event_id, event, step.sender, step.day)
        elif isinstance(event, AccessEnded):
            self.access.end(step.event_id, event, step.sender)
        return None
