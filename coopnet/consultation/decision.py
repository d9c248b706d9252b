"""Consultation before refusal, and what a refusal on nationality leaves open (pure).

UNTOC art. 16(16) (extradition) and 18(26) (mutual legal assistance) ask the requested
State to consult before refusing. From rules revision 3 a refusal (in whole or in part)
follows a :class:`~coopnet.protocol.RefusalEnvisaged` step of the requested side that named
every ground the refusal gives; the envisaged step gives the requesting side a date to
provide additional information or to withdraw (a deadline of the consultation, met by any
step the requesting side takes after it). A refusal on the ground of nationality opens the
obligation to submit the case for prosecution (art. 16(10)), open until the requested
side reports it (:class:`~coopnet.protocol.ProsecutionReport`, or the stage
``prosecution_instead``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from coopnet.protocol import ProsecutionReport, RefusalEnvisaged, StageTransition
from coopnet.protocol.vocab import DeadlineStatus, RefusalGround, RuleOrigin, Side, Stage
from coopnet.stages import Deadline, DeadlineRule, step_deadline

DECISION_REVISION = 3
"""The rules revision from which a refusal needs the envisaged step."""

# Reason codes (labels ``reason.<code>`` in six languages).
CONSULTATION_REQUIRED = "consultation_required"
GROUNDS_NOT_CONSULTED = "grounds_not_consulted"
REQUESTED_SIDE_ONLY = "requested_side_only"
RESPOND_BY_PAST = "respond_by_past"
NO_PROSECUTION_OBLIGATION = "no_prosecution_obligation"
REASONS = (
    CONSULTATION_REQUIRED,
    GROUNDS_NOT_CONSULTED,
    REQUESTED_SIDE_ONLY,
    RESPOND_BY_PAST,
    NO_PROSECUTION_OBLIGATION,
)

# Failing to take over a person on the appointed date (ECE art. 18(4)) is no decision on
# the request: there is nothing to consult on.
NO_CONSULTATION_GROUNDS = frozenset({RefusalGround.NOT_TAKEN_OVER})

ENVISAGED_RULE = DeadlineRule(
    id="refusal_envisaged_answer",
    ruleset="common",
    trigger="step",
    source="UNTOC art. 16(16), 18(26): consult before refusing, giving the requesting State "
    "an opportunity to present its opinions and information; the date is the one the "
    "requested side set in its envisaged refusal",
    certainty="cited",
    responsible=Side.REQUESTING,
    origin=RuleOrigin.COMMON,
)
PROSECUTION_RULE = DeadlineRule(
    id="prosecution_submission",
    ruleset="common",
    trigger="step",
    source="UNTOC art. 16(10): a State that does not extradite its national submits the case "
    "to its competent authorities for prosecution without undue delay; the period is the "
    "network's reminder default, not a rule of the Convention",
    certainty="illustrative",
    responsible=Side.REQUESTED,
    origin=RuleOrigin.COMMON,
)


def is_refusal(transition: StageTransition) -> bool:
    """Whether a transition refuses the request in whole or in part."""
    return transition.to_stage is Stage.REFUSED or bool(transition.partial)


@dataclass
class _Envisaged:
    event_id: str
    day: dt.date
    event: RefusalEnvisaged
    closed: tuple[DeadlineStatus, dt.date | None] | None = None


@dataclass
class _Obligation:
    refusal_id: str
    since: dt.date
    reported: tuple[DeadlineStatus, dt.date | None] | None = None
    report_id: str | None = None


class Decisions:
    """The envisaged refusals and the prosecution obligation of one consultation, built one
    accepted step at a time by the fold (which judges each step here first)."""

    def __init__(self) -> None:
        self.envisaged: list[_Envisaged] = []
        self.obligation: _Obligation | None = None

    # ------------------------------------------------------------ rules
    def consulted_grounds(self) -> frozenset[RefusalGround]:
        return frozenset(g for e in self.envisaged for g in e.event.grounds)

    def judge_transition(self, event: StageTransition, revision: int) -> tuple[str, str] | None:
        """Why a refusal may not be applied yet, or None (not a refusal, or consulted)."""
        if revision < DECISION_REVISION or not is_refusal(event):
            return None
        if set(event.grounds) <= NO_CONSULTATION_GROUNDS and event.grounds:
            return None
        if not self.envisaged:
            return CONSULTATION_REQUIRED, (
                "a refusal follows a 'refusal envisaged' step that names its grounds and gives "
                "the requesting side a date to provide information or to withdraw (UNTOC art. "
                "16(16), 18(26))"
            )
        missing = [g for g in event.grounds if g not in self.consulted_grounds()]
        if missing:
            names = ", ".join(str(g) for g in missing)
            return GROUNDS_NOT_CONSULTED, (
                f"the refusal gives grounds the requesting side was not consulted on: {names}; "
                "envisage the refusal on them first (UNTOC art. 16(16), 18(26))"
            )
        return None

    def judge_envisaged(
        self, event: RefusalEnvisaged, side: Side | None, day: dt.date
    ) -> tuple[str, str] | None:
        if side is not Side.REQUESTED:
            return REQUESTED_SIDE_ONLY, "only the requested side envisages a refusal"
        if event.respond_by < day:
            return RESPOND_BY_PAST, (
                f"respond_by {event.respond_by.isoformat()} is before the day it is sent "
                f"({day.isoformat()}): give the requesting side time to answer"
            )
        return None

    def judge_report(self, side: Side | None) -> tuple[str, str] | None:
        if side is not Side.REQUESTED:
            return REQUESTED_SIDE_ONLY, "only the requested side reports a submission"
        if self.obligation is None or self.obligation.reported is not None:
            return NO_PROSECUTION_OBLIGATION, (
                "no refusal on the ground of nationality awaits a report of submission for "
                "prosecution (UNTOC art. 16(10))"
            )
        return None

    # ------------------------------------------------------------ applying
    def add_envisaged(self, event_id: str, day: dt.date, event: RefusalEnvisaged) -> None:
        self.envisaged.append(_Envisaged(event_id, day, event))

    def add_report(self, event_id: str, event: ProsecutionReport) -> None:
        if self.obligation is not None and self.obligation.reported is None:
            self.obligation.reported = (DeadlineStatus.MET, event.submitted_on)
            self.obligation.report_id = event_id

    def add_transition(self, event_id: str, event: StageTransition, side: Side | None) -> None:
        if is_refusal(event):
            for envisaged in self._open():  # the decision is taken
                envisaged.closed = (DeadlineStatus.CANCELLED, event.date)
            if RefusalGround.NATIONALITY in event.grounds and self.obligation is None:
                self.obligation = _Obligation(event_id, event.date)
        if event.to_stage is Stage.PROSECUTION_INSTEAD and self.obligation is not None:
            if self.obligation.reported is None:
                self.obligation.reported = (DeadlineStatus.MET, event.date)

    def add_step(self, side: Side | None, day: dt.date) -> None:
        """Any accepted step: one of the requesting side answers the envisaged refusals."""
        if side is Side.REQUESTING:
            for envisaged in self._open():
                if envisaged.day <= day:
                    envisaged.closed = (DeadlineStatus.MET, day)

    def _open(self) -> list[_Envisaged]:
        return [e for e in self.envisaged if e.closed is None]

    # ------------------------------------------------------------ deadlines
    def deadlines(
        self, today: dt.date, offsets: Sequence[int], prosecution_days: int
    ) -> tuple[Deadline, ...]:
        out = [
            step_deadline(ENVISAGED_RULE, e.day, e.event.respond_by, today, offsets, e.closed)
            for e in self.envisaged
        ]
        if self.obligation is not None:
            o = self.obligation
            due = o.since + dt.timedelta(days=prosecution_days)
            out.append(step_deadline(PROSECUTION_RULE, o.since, due, today, offsets, o.reported))
        return tuple(out)
