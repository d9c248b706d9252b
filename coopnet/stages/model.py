"""The extradition and mutual-legal-assistance stage machines (pure data).

Sources: UNTOC art. 16 (extradition) and art. 18 (MLA); the stage list follows DESIGN.md's
domain reference. Who may trigger a transition is the side whose act it records: the
requesting State sends requests and withdraws them; the requested State arrests, decides
and surrenders. ``note`` keys (labels in six languages) flag legal duties on a transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.protocol.vocab import Kind, Side, Stage

REQUESTING = frozenset({Side.REQUESTING})
REQUESTED = frozenset({Side.REQUESTED})
EITHER = frozenset({Side.REQUESTING, Side.REQUESTED})


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    sides: frozenset[Side]
    note: str | None = None  # label key of a legal note, e.g. "note.consult_before_refusal"


@dataclass(frozen=True)
class Machine:
    kind: Kind
    initial: Stage
    stages: tuple[Stage, ...]
    terminal: frozenset[Stage]
    transitions: tuple[Transition, ...]

    def find(self, source: Stage, target: Stage) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        return None

    def next_stages(self, source: Stage) -> tuple[Stage, ...]:
        return tuple(t.target for t in self.transitions if t.source == source)


def _build(
    kind: Kind,
    stages: tuple[Stage, ...],
    edges: list[tuple[Stage, Stage, frozenset[Side]] | tuple[Stage, Stage, frozenset[Side], str]],
) -> Machine:
    terminal = frozenset({Stage.CLOSED, Stage.WITHDRAWN})
    transitions = [Transition(*edge) for edge in edges]
    present = {(t.source, t.target) for t in transitions}
    # The requesting State may withdraw its request at any stage that is not final.
    for stage in stages:
        if stage not in terminal and (stage, Stage.WITHDRAWN) not in present:
            transitions.append(Transition(stage, Stage.WITHDRAWN, REQUESTING))
    return Machine(kind, stages[0], stages, terminal, tuple(transitions))


S = Stage
CONSULT = "note.consult_before_refusal"  # UNTOC art. 16(16)
PROSECUTE = "note.prosecute_instead"  # UNTOC art. 16(10)
CLOCK = "note.clock_starts"  # e.g. ECE art. 16(4)
CONSENT = "note.simplified_consent"  # e.g. Third Additional Protocol to the ECE
REVIEW = "note.review_date"
SPECIALTY = "note.specialty"

EXTRADITION = _build(
    Kind.EXTRADITION,
    (
        S.PRE_REQUEST_CONSULTATION,
        S.LOCATING_PERSON,
        S.PROVISIONAL_ARREST_REQUESTED,
        S.PROVISIONAL_ARREST_EXECUTED,
        S.FORMAL_REQUEST_TRANSMITTED,
        S.SUPPLEMENTARY_INFO_REQUESTED,
        S.SUPPLEMENTARY_INFO_PROVIDED,
        S.SIMPLIFIED_CONSENT,
        S.JUDICIAL_PHASE,
        S.APPEAL,
        S.EXECUTIVE_DECISION,
        S.GRANTED,
        S.REFUSED,
        S.PROSECUTION_INSTEAD,
        S.SURRENDER_SCHEDULED,
        S.SURRENDER_POSTPONED,
        S.TEMPORARY_SURRENDER,
        S.IN_TRANSIT,
        S.SURRENDERED,
        S.POST_SURRENDER,
        S.CLOSED,
        S.WITHDRAWN,
    ),
    [
        (S.PRE_REQUEST_CONSULTATION, S.LOCATING_PERSON, REQUESTING),
        (S.PRE_REQUEST_CONSULTATION, S.PROVISIONAL_ARREST_REQUESTED, REQUESTING),
        (S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, REQUESTING),
        (S.LOCATING_PERSON, S.PROVISIONAL_ARREST_REQUESTED, REQUESTING),
        (S.LOCATING_PERSON, S.FORMAL_REQUEST_TRANSMITTED, REQUESTING),
        (S.PROVISIONAL_ARREST_REQUESTED, S.PROVISIONAL_ARREST_EXECUTED, REQUESTED, CLOCK),
        (S.PROVISIONAL_ARREST_REQUESTED, S.LOCATING_PERSON, EITHER),
        (S.PROVISIONAL_ARREST_EXECUTED, S.FORMAL_REQUEST_TRANSMITTED, REQUESTING),
        (S.PROVISIONAL_ARREST_EXECUTED, S.SIMPLIFIED_CONSENT, REQUESTED, CONSENT),
        (S.PROVISIONAL_ARREST_EXECUTED, S.CLOSED, REQUESTED),  # released: time limit lapsed
        (S.FORMAL_REQUEST_TRANSMITTED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.SIMPLIFIED_CONSENT, REQUESTED, CONSENT),
        (S.FORMAL_REQUEST_TRANSMITTED, S.JUDICIAL_PHASE, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.EXECUTIVE_DECISION, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.SUPPLEMENTARY_INFO_PROVIDED, REQUESTING),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.JUDICIAL_PHASE, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.EXECUTIVE_DECISION, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.REFUSED, REQUESTED, CONSULT),
        (S.SIMPLIFIED_CONSENT, S.GRANTED, REQUESTED),
        (S.SIMPLIFIED_CONSENT, S.JUDICIAL_PHASE, REQUESTED),  # consent refused or revoked
        (S.JUDICIAL_PHASE, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.JUDICIAL_PHASE, S.APPEAL, REQUESTED),
        (S.JUDICIAL_PHASE, S.EXECUTIVE_DECISION, REQUESTED),
        (S.JUDICIAL_PHASE, S.REFUSED, REQUESTED, CONSULT),
        (S.APPEAL, S.JUDICIAL_PHASE, REQUESTED),
        (S.APPEAL, S.EXECUTIVE_DECISION, REQUESTED),
        (S.APPEAL, S.REFUSED, REQUESTED, CONSULT),
        (S.EXECUTIVE_DECISION, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.EXECUTIVE_DECISION, S.GRANTED, REQUESTED),
        (S.EXECUTIVE_DECISION, S.REFUSED, REQUESTED, CONSULT),
        (S.GRANTED, S.SURRENDER_SCHEDULED, REQUESTED),
        (S.GRANTED, S.SURRENDER_POSTPONED, REQUESTED, REVIEW),
        (S.GRANTED, S.TEMPORARY_SURRENDER, REQUESTED, REVIEW),
        (S.REFUSED, S.PROSECUTION_INSTEAD, REQUESTED, PROSECUTE),
        (S.REFUSED, S.CLOSED, EITHER),
        (S.PROSECUTION_INSTEAD, S.CLOSED, REQUESTED),
        (S.SURRENDER_SCHEDULED, S.SURRENDER_SCHEDULED, REQUESTED),  # rescheduled
        (S.SURRENDER_SCHEDULED, S.IN_TRANSIT, REQUESTED),
        (S.SURRENDER_SCHEDULED, S.SURRENDERED, REQUESTED),
        (S.SURRENDER_SCHEDULED, S.SURRENDER_POSTPONED, REQUESTED, REVIEW),
        (S.SURRENDER_SCHEDULED, S.TEMPORARY_SURRENDER, REQUESTED, REVIEW),
        (S.SURRENDER_POSTPONED, S.SURRENDER_POSTPONED, REQUESTED, REVIEW),  # review renewed
        (S.SURRENDER_POSTPONED, S.SURRENDER_SCHEDULED, REQUESTED),
        (S.SURRENDER_POSTPONED, S.TEMPORARY_SURRENDER, REQUESTED, REVIEW),
        (S.TEMPORARY_SURRENDER, S.SURRENDER_SCHEDULED, REQUESTED),  # returned, then final
        (S.TEMPORARY_SURRENDER, S.SURRENDERED, EITHER),
        (S.IN_TRANSIT, S.SURRENDERED, EITHER),
        (S.SURRENDERED, S.POST_SURRENDER, EITHER, SPECIALTY),
        (S.SURRENDERED, S.CLOSED, EITHER),
        (S.POST_SURRENDER, S.CLOSED, EITHER),
    ],
)

MLA = _build(
    Kind.MLA,
    (
        S.PRE_REQUEST_CONSULTATION,
        S.REQUEST_TRANSMITTED,
        S.ACKNOWLEDGED,
        S.SUPPLEMENTARY_INFO_REQUESTED,
        S.SUPPLEMENTARY_INFO_PROVIDED,
        S.UNDER_EXECUTION,
        S.PARTLY_EXECUTED,
        S.EXECUTED,
        S.REFUSED,
        S.POSTPONED,
        S.CLOSED,
        S.WITHDRAWN,
    ),
    [
        (S.PRE_REQUEST_CONSULTATION, S.REQUEST_TRANSMITTED, REQUESTING),
        (S.REQUEST_TRANSMITTED, S.ACKNOWLEDGED, REQUESTED),
        (S.REQUEST_TRANSMITTED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.REQUEST_TRANSMITTED, S.REFUSED, REQUESTED, CONSULT),
        (S.ACKNOWLEDGED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.ACKNOWLEDGED, S.UNDER_EXECUTION, REQUESTED),
        (S.ACKNOWLEDGED, S.POSTPONED, REQUESTED, REVIEW),  # UNTOC art. 18(25)
        (S.ACKNOWLEDGED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.SUPPLEMENTARY_INFO_PROVIDED, REQUESTING),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.UNDER_EXECUTION, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.REFUSED, REQUESTED, CONSULT),
        (S.UNDER_EXECUTION, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.UNDER_EXECUTION, S.PARTLY_EXECUTED, REQUESTED),
        (S.UNDER_EXECUTION, S.EXECUTED, REQUESTED),
        (S.UNDER_EXECUTION, S.POSTPONED, REQUESTED, REVIEW),
        (S.PARTLY_EXECUTED, S.UNDER_EXECUTION, REQUESTED),
        (S.PARTLY_EXECUTED, S.EXECUTED, REQUESTED),
        (S.PARTLY_EXECUTED, S.CLOSED, EITHER),
        (S.POSTPONED, S.POSTPONED, REQUESTED, REVIEW),
        (S.POSTPONED, S.UNDER_EXECUTION, REQUESTED),
        (S.POSTPONED, S.REFUSED, REQUESTED, CONSULT),
        (S.EXECUTED, S.CLOSED, EITHER),
        (S.REFUSED, S.CLOSED, EITHER),
    ],
)

MACHINES: dict[Kind, Machine] = {Kind.EXTRADITION: EXTRADITION, Kind.MLA: MLA}

NOTES: tuple[str, ...] = (CONSULT, PROSECUTE, CLOCK, CONSENT, REVIEW, SPECIALTY)
