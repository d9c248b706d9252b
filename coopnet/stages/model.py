"""The extradition and mutual-legal-assistance stage machines (pure data).

Sources: UNTOC art. 16 (extradition) and art. 18 (MLA), the European Convention on
Extradition (ECE, ETS No. 024) and its Third Additional Protocol (CETS No. 209), and the
domestic laws of the demo States where they order the steps differently (Switzerland's
IMAC, SR 351.1; Mexico's Ley de Extradición Internacional, LEI). The stage list follows
DESIGN.md's domain reference. Who may trigger a transition is the side whose act it
records: the requesting State sends requests and withdraws them; the requested State
arrests, decides and surrenders. ``note`` keys (labels in six languages) flag legal duties
on a transition, each naming its provision.

Rules revision 2 (:data:`coopnet.protocol.REVISION`) tightened the machine; what revision 1
allowed and revision 2 does not is kept in :attr:`Machine.legacy`, used only for steps sent
under revision 1, so records made before still fold as they did.
"""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.protocol.vocab import Kind, Side, Stage

REQUESTING = frozenset({Side.REQUESTING})
REQUESTED = frozenset({Side.REQUESTED})
EITHER = frozenset({Side.REQUESTING, Side.REQUESTED})

# What a step must carry (revision 2 on).
NEEDS_DUE_DATE = "due_date"  # the appointed date of surrender, ECE art. 18(4)
NEEDS_GROUNDS = "grounds"  # grounds and reasons of a refusal, UNTOC 18(23), ECE 18(2)


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    sides: frozenset[Side]
    note: str | None = None  # label key of a legal note, e.g. "note.consult_before_refusal"
    needs: frozenset[str] = frozenset()  # NEEDS_* (revision 2 on)
    after_any: frozenset[Stage] = frozenset()  # one of these must be in the history


@dataclass(frozen=True)
class Machine:
    kind: Kind
    initial: Stage
    stages: tuple[Stage, ...]
    terminal: frozenset[Stage]
    transitions: tuple[Transition, ...]
    legacy: tuple[Transition, ...] = ()
    """Transitions revision 1 allowed that revision 2 does not (old records only)."""

    def find(self, source: Stage, target: Stage, revision: int = 2) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        if revision < 2:
            for t in self.legacy:
                if t.source == source and t.target == target:
                    return t
        return None

    def next_stages(self, source: Stage) -> tuple[Stage, ...]:
        return tuple(t.target for t in self.transitions if t.source == source)


Edge = tuple[Stage, Stage, frozenset[Side]] | tuple[Stage, Stage, frozenset[Side], str | None]


def _needs(target: Stage) -> frozenset[str]:
    if target is Stage.SURRENDER_SCHEDULED:
        return frozenset({NEEDS_DUE_DATE})
    if target is Stage.REFUSED:
        return frozenset({NEEDS_GROUNDS})
    return frozenset()


def _transition(edge: Edge, rules: dict[tuple[Stage, Stage], frozenset[Stage]]) -> Transition:
    source, target, sides = edge[0], edge[1], edge[2]
    note = edge[3] if len(edge) > 3 else None
    after = rules.get((source, target), frozenset())
    return Transition(source, target, sides, note, _needs(target), after)


def _build(
    kind: Kind,
    stages: tuple[Stage, ...],
    edges: list[Edge],
    *,
    no_withdrawal: frozenset[Stage] = frozenset(),
    history_rules: dict[tuple[Stage, Stage], frozenset[Stage]] | None = None,
    legacy: tuple[Edge, ...] = (),
) -> Machine:
    terminal = frozenset({Stage.CLOSED, Stage.WITHDRAWN})
    rules = history_rules or {}
    transitions = [_transition(edge, rules) for edge in edges]
    old = [_transition(edge, {}) for edge in legacy]
    present = {(t.source, t.target) for t in transitions}
    # The requesting State may withdraw its request at any stage that is not final, and
    # where withdrawing still means something: not once the person is surrendered or in
    # transit, nor once the requested State prosecutes or enforces the sentence itself.
    for stage in stages:
        if stage in terminal or (stage, Stage.WITHDRAWN) in present:
            continue
        withdrawal = Transition(stage, Stage.WITHDRAWN, REQUESTING)
        (old if stage in no_withdrawal else transitions).append(withdrawal)
    return Machine(kind, stages[0], stages, terminal, tuple(transitions), tuple(old))


S = Stage
CONSULT = "note.consult_before_refusal"  # UNTOC art. 16(16)
CONSULT_MLA = "note.consult_before_refusal_mla"  # UNTOC art. 18(26), reasons 18(23)
CONSULT_POSTPONE = "note.consult_before_postponement"  # UNTOC art. 18(25)-(26)
PROSECUTE = "note.prosecute_instead"  # UNTOC art. 16(10)
ENFORCE = "note.enforce_instead"  # UNTOC art. 16(12)
CLOCK = "note.clock_starts"  # e.g. ECE art. 16(4)
RECEIVED = "note.request_received"  # ECE art. 16(4): the clock stops at receipt
RELEASE = "note.provisional_release"  # ECE art. 16(4)-(5)
CONSENT = "note.simplified_consent"  # Third Additional Protocol to the ECE, art. 6
CONSENT_FAILED = "note.consent_failed"  # Third Additional Protocol, art. 6(1)-(2)
APPEAL = "note.appeal_after_decision"  # IMAC arts. 25, 55; LEI art. 33 (amparo)
NOT_TAKEN_OVER = "note.not_taken_over"  # ECE art. 18(4)
REVIEW = "note.review_date"
SPECIALTY = "note.specialty"

FORMAL_REQUEST = frozenset({S.FORMAL_REQUEST_TRANSMITTED, S.FORMAL_REQUEST_RECEIVED})

EXTRADITION = _build(
    Kind.EXTRADITION,
    (
        S.PRE_REQUEST_CONSULTATION,
        S.LOCATING_PERSON,
        S.PROVISIONAL_ARREST_REQUESTED,
        S.PROVISIONAL_ARREST_EXECUTED,
        S.PROVISIONALLY_RELEASED,
        S.FORMAL_REQUEST_TRANSMITTED,
        S.FORMAL_REQUEST_RECEIVED,
        S.SUPPLEMENTARY_INFO_REQUESTED,
        S.SUPPLEMENTARY_INFO_PROVIDED,
        S.SIMPLIFIED_CONSENT,
        S.JUDICIAL_PHASE,
        S.APPEAL,
        S.EXECUTIVE_DECISION,
        S.GRANTED,
        S.REFUSED,
        S.PROSECUTION_INSTEAD,
        S.ENFORCEMENT_INSTEAD,
        S.SURRENDER_SCHEDULED,
        S.RELEASED_NOT_TAKEN_OVER,
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
        # Released (time limit lapsed, or provisional release): not the end, ECE art. 16(5).
        (S.PROVISIONAL_ARREST_EXECUTED, S.PROVISIONALLY_RELEASED, REQUESTED, RELEASE),
        (S.PROVISIONALLY_RELEASED, S.FORMAL_REQUEST_TRANSMITTED, REQUESTING, RELEASE),
        (S.PROVISIONALLY_RELEASED, S.PROVISIONAL_ARREST_EXECUTED, REQUESTED, CLOCK),  # re-arrest
        (S.PROVISIONALLY_RELEASED, S.CLOSED, EITHER),
        (S.FORMAL_REQUEST_TRANSMITTED, S.FORMAL_REQUEST_RECEIVED, REQUESTED, RECEIVED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.SIMPLIFIED_CONSENT, REQUESTED, CONSENT),
        (S.FORMAL_REQUEST_TRANSMITTED, S.JUDICIAL_PHASE, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.EXECUTIVE_DECISION, REQUESTED),
        (S.FORMAL_REQUEST_TRANSMITTED, S.REFUSED, REQUESTED, CONSULT),
        (S.FORMAL_REQUEST_RECEIVED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.FORMAL_REQUEST_RECEIVED, S.SIMPLIFIED_CONSENT, REQUESTED, CONSENT),
        (S.FORMAL_REQUEST_RECEIVED, S.JUDICIAL_PHASE, REQUESTED),
        (S.FORMAL_REQUEST_RECEIVED, S.EXECUTIVE_DECISION, REQUESTED),
        (S.FORMAL_REQUEST_RECEIVED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.SUPPLEMENTARY_INFO_PROVIDED, REQUESTING),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.REFUSED, REQUESTED, CONSULT),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.JUDICIAL_PHASE, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.EXECUTIVE_DECISION, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.REFUSED, REQUESTED, CONSULT),
        (S.SIMPLIFIED_CONSENT, S.GRANTED, REQUESTED),
        # Consent not given or withdrawn: the requesting State must still submit the
        # request (Third Additional Protocol, art. 6(1)-(2)); the judicial phase follows
        # only a formal request.
        (S.SIMPLIFIED_CONSENT, S.FORMAL_REQUEST_TRANSMITTED, REQUESTING, CONSENT_FAILED),
        (S.SIMPLIFIED_CONSENT, S.JUDICIAL_PHASE, REQUESTED),
        (S.JUDICIAL_PHASE, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.JUDICIAL_PHASE, S.APPEAL, REQUESTED),
        (S.JUDICIAL_PHASE, S.EXECUTIVE_DECISION, REQUESTED),
        (S.JUDICIAL_PHASE, S.REFUSED, REQUESTED, CONSULT),
        (S.APPEAL, S.JUDICIAL_PHASE, REQUESTED),
        (S.APPEAL, S.EXECUTIVE_DECISION, REQUESTED),
        (S.APPEAL, S.GRANTED, REQUESTED),  # appeal against the grant dismissed
        (S.APPEAL, S.REFUSED, REQUESTED, CONSULT),
        (S.EXECUTIVE_DECISION, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.EXECUTIVE_DECISION, S.GRANTED, REQUESTED),
        (S.EXECUTIVE_DECISION, S.REFUSED, REQUESTED, CONSULT),
        # Where the executive decides first and the courts review it: Switzerland (the
        # Federal Office of Justice decides, appeal to the Federal Criminal Court, IMAC
        # arts. 25, 55), Mexico (the SRE resolves, LEI art. 30; amparo, LEI art. 33).
        (S.EXECUTIVE_DECISION, S.APPEAL, REQUESTED, APPEAL),
        (S.GRANTED, S.APPEAL, REQUESTED, APPEAL),
        (S.GRANTED, S.REFUSED, REQUESTED, CONSULT),  # e.g. the grant quashed on appeal
        (S.GRANTED, S.SURRENDER_SCHEDULED, REQUESTED),
        (S.GRANTED, S.SURRENDER_POSTPONED, REQUESTED, REVIEW),
        (S.GRANTED, S.TEMPORARY_SURRENDER, REQUESTED, REVIEW),
        (S.REFUSED, S.PROSECUTION_INSTEAD, REQUESTED, PROSECUTE),
        (S.REFUSED, S.ENFORCEMENT_INSTEAD, REQUESTED, ENFORCE),
        (S.REFUSED, S.CLOSED, EITHER),
        (S.PROSECUTION_INSTEAD, S.CLOSED, REQUESTED),
        (S.ENFORCEMENT_INSTEAD, S.CLOSED, REQUESTED),
        (S.SURRENDER_SCHEDULED, S.SURRENDER_SCHEDULED, REQUESTED),  # rescheduled
        # Either side records the taking over of the person.
        (S.SURRENDER_SCHEDULED, S.IN_TRANSIT, EITHER),
        (S.SURRENDER_SCHEDULED, S.SURRENDERED, EITHER),
        (S.SURRENDER_SCHEDULED, S.SURRENDER_POSTPONED, REQUESTED, REVIEW),
        (S.SURRENDER_SCHEDULED, S.TEMPORARY_SURRENDER, REQUESTED, REVIEW),
        # Not taken over on the appointed date: released, and extradition for the same
        # offence may be refused (ECE art. 18(4)).
        (S.SURRENDER_SCHEDULED, S.RELEASED_NOT_TAKEN_OVER, REQUESTED, NOT_TAKEN_OVER),
        (S.RELEASED_NOT_TAKEN_OVER, S.SURRENDER_SCHEDULED, REQUESTED),
        (S.RELEASED_NOT_TAKEN_OVER, S.REFUSED, REQUESTED, NOT_TAKEN_OVER),
        (S.RELEASED_NOT_TAKEN_OVER, S.CLOSED, EITHER),
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
    no_withdrawal=frozenset(
        {
            S.PROSECUTION_INSTEAD,
            S.ENFORCEMENT_INSTEAD,
            S.IN_TRANSIT,
            S.SURRENDERED,
            S.POST_SURRENDER,
        }
    ),
    history_rules={(S.SIMPLIFIED_CONSENT, S.JUDICIAL_PHASE): FORMAL_REQUEST},
    legacy=((S.PROVISIONAL_ARREST_EXECUTED, S.CLOSED, REQUESTED),),  # now: released first
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
        (S.REQUEST_TRANSMITTED, S.REFUSED, REQUESTED, CONSULT_MLA),
        (S.ACKNOWLEDGED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.ACKNOWLEDGED, S.UNDER_EXECUTION, REQUESTED),
        (S.ACKNOWLEDGED, S.POSTPONED, REQUESTED, CONSULT_POSTPONE),  # UNTOC art. 18(25)-(26)
        (S.ACKNOWLEDGED, S.REFUSED, REQUESTED, CONSULT_MLA),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.SUPPLEMENTARY_INFO_PROVIDED, REQUESTING),
        (S.SUPPLEMENTARY_INFO_REQUESTED, S.REFUSED, REQUESTED, CONSULT_MLA),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.UNDER_EXECUTION, REQUESTED),
        (S.SUPPLEMENTARY_INFO_PROVIDED, S.REFUSED, REQUESTED, CONSULT_MLA),
        (S.UNDER_EXECUTION, S.SUPPLEMENTARY_INFO_REQUESTED, REQUESTED),
        (S.UNDER_EXECUTION, S.PARTLY_EXECUTED, REQUESTED),
        (S.UNDER_EXECUTION, S.EXECUTED, REQUESTED),
        (S.UNDER_EXECUTION, S.POSTPONED, REQUESTED, CONSULT_POSTPONE),
        (S.PARTLY_EXECUTED, S.UNDER_EXECUTION, REQUESTED),
        (S.PARTLY_EXECUTED, S.EXECUTED, REQUESTED),
        (S.PARTLY_EXECUTED, S.CLOSED, EITHER),
        (S.POSTPONED, S.POSTPONED, REQUESTED, REVIEW),
        (S.POSTPONED, S.UNDER_EXECUTION, REQUESTED),
        (S.POSTPONED, S.REFUSED, REQUESTED, CONSULT_MLA),
        (S.EXECUTED, S.CLOSED, EITHER),
        (S.REFUSED, S.CLOSED, EITHER),
    ],
    no_withdrawal=frozenset({S.EXECUTED}),
)

MACHINES: dict[Kind, Machine] = {Kind.EXTRADITION: EXTRADITION, Kind.MLA: MLA}

NOTES: tuple[str, ...] = (
    CONSULT,
    CONSULT_MLA,
    CONSULT_POSTPONE,
    PROSECUTE,
    ENFORCE,
    CLOCK,
    RECEIVED,
    RELEASE,
    CONSENT,
    CONSENT_FAILED,
    APPEAL,
    NOT_TAKEN_OVER,
    REVIEW,
    SPECIALTY,
)
