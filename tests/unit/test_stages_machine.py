"""Stage machines: legal paths, refused transitions with reasons, sides, history."""

from __future__ import annotations

import datetime as dt
from collections import deque

import pytest

from coopnet.protocol.events import StageTransition
from coopnet.protocol.vocab import Kind, RefusalGround, Side, Stage
from coopnet.stages import EXTRADITION, MACHINES, MLA, StageInput, derive, side_of
from coopnet.stages.machine import REASONS, check

R, D = Side.REQUESTING, Side.REQUESTED
S = Stage


def move(a: Stage, b: Stage, day: dt.date) -> StageTransition:
    """A transition carrying what revision 2 asks of it: the grounds and reasons of a
    refusal (UNTOC art. 18(23), ECE art. 18(2)), the appointed date of a surrender
    (ECE art. 18(4))."""
    extra: dict = {}
    if b is S.REFUSED:
        extra = {"grounds": (RefusalGround.NATIONALITY,), "reasons": "The person is a national."}
    if b is S.SURRENDER_SCHEDULED:
        extra = {"due_date": day + dt.timedelta(days=10)}
    return StageTransition(from_stage=a, to_stage=b, date=day, **extra)


def steps(*moves: tuple[Stage, Stage, Side]) -> list[StageInput]:
    start = dt.date(2026, 1, 1)
    out = []
    for i, (a, b, side) in enumerate(moves):
        out.append(StageInput(move(a, b, start + dt.timedelta(days=i)), side, f"$e{i}"))
    return out


def path(*stages_and_sides: Stage | Side) -> list[StageInput]:
    """path(S.A, R, S.B, D, S.C) → A→B by R, B→C by D."""
    items = list(stages_and_sides)
    moves = []
    for i in range(0, len(items) - 2, 2):
        moves.append((items[i], items[i + 2], items[i + 1]))
    return steps(*moves)  # type: ignore[arg-type]


def test_full_extradition_with_provisional_arrest() -> None:
    state = derive(
        Kind.EXTRADITION,
        path(
            S.PRE_REQUEST_CONSULTATION,
            R,
            S.LOCATING_PERSON,
            R,
            S.PROVISIONAL_ARREST_REQUESTED,
            D,
            S.PROVISIONAL_ARREST_EXECUTED,
            R,
            S.FORMAL_REQUEST_TRANSMITTED,
            D,
            S.SUPPLEMENTARY_INFO_REQUESTED,
            R,
            S.SUPPLEMENTARY_INFO_PROVIDED,
            D,
            S.JUDICIAL_PHASE,
            D,
            S.APPEAL,
            D,
            S.EXECUTIVE_DECISION,
            D,
            S.GRANTED,
            D,
            S.SURRENDER_SCHEDULED,
            D,
            S.IN_TRANSIT,
            R,
            S.SURRENDERED,
            R,
            S.POST_SURRENDER,
            D,
            S.CLOSED,
        ),
    )
    assert state.refused == ()
    assert state.current is S.CLOSED and state.is_final
    assert [h.stage for h in state.history][:3] == [
        S.PRE_REQUEST_CONSULTATION,
        S.LOCATING_PERSON,
        S.PROVISIONAL_ARREST_REQUESTED,
    ]
    assert state.history[0].date is None and state.history[1].event_id == "$e0"


def test_simplified_consent_path() -> None:
    state = derive(
        Kind.EXTRADITION,
        path(
            S.PRE_REQUEST_CONSULTATION,
            R,
            S.PROVISIONAL_ARREST_REQUESTED,
            D,
            S.PROVISIONAL_ARREST_EXECUTED,
            D,
            S.SIMPLIFIED_CONSENT,
            D,
            S.GRANTED,
            D,
            S.SURRENDER_SCHEDULED,
            D,
            S.SURRENDERED,
        ),
    )
    assert state.refused == () and state.current is S.SURRENDERED


def test_refusal_on_nationality_then_prosecution() -> None:
    state = derive(
        Kind.EXTRADITION,
        path(
            S.PRE_REQUEST_CONSULTATION,
            R,
            S.FORMAL_REQUEST_TRANSMITTED,
            D,
            S.EXECUTIVE_DECISION,
            D,
            S.REFUSED,
            D,
            S.PROSECUTION_INSTEAD,
            D,
            S.CLOSED,
        ),
    )
    assert state.refused == () and state.current is S.CLOSED
    assert EXTRADITION.find(S.REFUSED, S.PROSECUTION_INSTEAD).note == "note.prosecute_instead"
    assert EXTRADITION.find(S.EXECUTIVE_DECISION, S.REFUSED).note == "note.consult_before_refusal"


def test_postponement_review_and_temporary_surrender() -> None:
    state = derive(
        Kind.EXTRADITION,
        path(
            S.PRE_REQUEST_CONSULTATION,
            R,
            S.FORMAL_REQUEST_TRANSMITTED,
            D,
            S.JUDICIAL_PHASE,
            D,
            S.EXECUTIVE_DECISION,
            D,
            S.GRANTED,
            D,
            S.SURRENDER_POSTPONED,
            D,
            S.SURRENDER_POSTPONED,
            D,
            S.TEMPORARY_SURRENDER,
            D,
            S.SURRENDER_SCHEDULED,
            D,
            S.SURRENDERED,
        ),
    )
    assert state.refused == () and state.current is S.SURRENDERED


def test_mla_path_with_postponement() -> None:
    state = derive(
        Kind.MLA,
        path(
            S.PRE_REQUEST_CONSULTATION,
            R,
            S.REQUEST_TRANSMITTED,
            D,
            S.ACKNOWLEDGED,
            D,
            S.UNDER_EXECUTION,
            D,
            S.POSTPONED,
            D,
            S.UNDER_EXECUTION,
            D,
            S.PARTLY_EXECUTED,
            D,
            S.EXECUTED,
            R,
            S.CLOSED,
        ),
    )
    assert state.refused == () and state.current is S.CLOSED


@pytest.mark.parametrize(
    ("moves", "code"),
    [
        ([(S.LOCATING_PERSON, S.PROVISIONAL_ARREST_REQUESTED, R)], "from_mismatch"),
        ([(S.PRE_REQUEST_CONSULTATION, S.GRANTED, D)], "not_allowed"),
        ([(S.PRE_REQUEST_CONSULTATION, S.ACKNOWLEDGED, D)], "not_in_machine"),
        ([(S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, D)], "wrong_side"),
        ([(S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, None)], "unknown_side"),
        (
            [
                (S.PRE_REQUEST_CONSULTATION, S.WITHDRAWN, R),
                (S.WITHDRAWN, S.FORMAL_REQUEST_TRANSMITTED, R),
            ],
            "final_stage",
        ),
    ],
)
def test_illegal_transitions_refused_with_reason(moves: list, code: str) -> None:
    state = derive(Kind.EXTRADITION, steps(*moves))
    assert state.refused[-1].code == code
    assert state.refused[-1].message
    assert state.refused[-1].event_id == f"$e{len(moves) - 1}"


def test_refusal_message_lists_allowed_next_stages() -> None:
    state = derive(Kind.EXTRADITION, steps((S.PRE_REQUEST_CONSULTATION, S.GRANTED, D)))
    message = state.refused[0].message
    assert "pre_request_consultation cannot go to granted" in message
    assert "formal_request_transmitted" in message
    assert state.current is S.PRE_REQUEST_CONSULTATION


def test_wrong_side_message_names_the_side() -> None:
    state = derive(
        Kind.EXTRADITION, steps((S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, D))
    )
    assert "only the requesting side" in state.refused[0].message


def test_dates_may_not_go_backwards() -> None:
    a = StageTransition(
        from_stage=S.PRE_REQUEST_CONSULTATION,
        to_stage=S.FORMAL_REQUEST_TRANSMITTED,
        date=dt.date(2026, 3, 1),
    )
    b = StageTransition(
        from_stage=S.FORMAL_REQUEST_TRANSMITTED, to_stage=S.JUDICIAL_PHASE, date=dt.date(2026, 2, 1)
    )
    state = derive(Kind.EXTRADITION, [StageInput(a, R), StageInput(b, D)])
    assert state.refused[0].code == "date_before_previous"
    assert state.current is S.FORMAL_REQUEST_TRANSMITTED


def test_refused_transitions_do_not_block_later_valid_ones() -> None:
    state = derive(
        Kind.EXTRADITION,
        steps(
            (S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, D),
            (S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, R),
        ),
    )
    assert [r.code for r in state.refused] == ["wrong_side"]
    assert state.current is S.FORMAL_REQUEST_TRANSMITTED


@pytest.mark.parametrize("kind", list(Kind))
def test_machine_is_well_formed(kind: Kind) -> None:
    machine = MACHINES[kind]
    assert machine.initial is S.PRE_REQUEST_CONSULTATION
    assert len(set(machine.stages)) == len(machine.stages)
    pairs = [(t.source, t.target) for t in machine.transitions]
    assert len(pairs) == len(set(pairs))
    for t in machine.transitions:
        assert t.source in machine.stages and t.target in machine.stages
        assert t.source not in machine.terminal
        assert t.sides
    # every stage is reachable from the initial one, every non-final stage can reach an end
    seen, todo = {machine.initial}, deque([machine.initial])
    while todo:
        for nxt in machine.next_stages(todo.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(machine.stages)
    for stage in machine.stages:
        if stage not in machine.terminal and stage not in NO_WITHDRAWAL:
            assert S.WITHDRAWN in machine.next_stages(stage)
            withdraw = machine.find(stage, S.WITHDRAWN)
            assert withdraw is not None and withdraw.sides == {R}


NO_WITHDRAWAL = {
    S.IN_TRANSIT,
    S.SURRENDERED,
    S.POST_SURRENDER,
    S.PROSECUTION_INSTEAD,
    S.ENFORCEMENT_INSTEAD,
    S.EXECUTED,
}


@pytest.mark.parametrize("stage", sorted(NO_WITHDRAWAL))
def test_no_withdrawal_once_it_means_nothing_but_old_records_keep_theirs(stage: Stage) -> None:
    """Issue 21 point 6: withdrawal is not offered in transit, once surrendered, after
    surrender, nor once the requested State prosecutes (UNTOC 16(10)) or enforces the
    sentence (16(12)) itself; a revision-1 withdrawal there still folds."""
    machine = MLA if stage is S.EXECUTED else EXTRADITION
    assert S.WITHDRAWN not in machine.next_stages(stage)
    withdraw = StageTransition(from_stage=stage, to_stage=S.WITHDRAWN, date=dt.date(2026, 1, 1))
    assert check(machine, stage, withdraw, R)[0] == "not_allowed"  # type: ignore[index]
    if stage is not S.ENFORCEMENT_INSTEAD:  # a stage revision 1 did not have
        assert check(machine, stage, withdraw, R, revision=1) is None


@pytest.mark.parametrize("kind", list(Kind))
def test_every_transition_is_accepted_for_its_sides_only(kind: Kind) -> None:
    machine = MACHINES[kind]
    for t in machine.transitions:
        for side in Side:
            step = move(t.source, t.target, dt.date(2026, 1, 1))
            visited = t.after_any
            problem = check(machine, t.source, step, side, visited=visited)
            assert (problem is None) == (side in t.sides), (t, side, problem)


def test_mla_and_extradition_stages_differ() -> None:
    assert S.ACKNOWLEDGED in MLA.stages and S.ACKNOWLEDGED not in EXTRADITION.stages
    assert S.GRANTED in EXTRADITION.stages and S.GRANTED not in MLA.stages


def test_side_of() -> None:
    assert side_of("ch", "ch", "mx") is Side.REQUESTING
    assert side_of("mx", "ch", "mx") is Side.REQUESTED
    assert side_of("cn", "ch", "mx") is None


def test_reason_codes_are_listed() -> None:
    assert len(set(REASONS)) == len(REASONS) == 11
