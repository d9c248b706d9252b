"""The stage machine as practitioners apply the law (issue 21, points 1-6 and 9-11).

Each test names the provision it checks. Steps sent under rules revision 1 (records made
before these changes) still fold as they did; the tests say where.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coopnet.protocol.events import StageTransition
from coopnet.protocol.labels import LANGUAGES, label
from coopnet.protocol.vocab import Kind, RefusalGround, Side, Stage
from coopnet.stages import EXTRADITION, MLA, StageInput, derive
from coopnet.stages.machine import check

R, D = Side.REQUESTING, Side.REQUESTED
S = Stage
DAY = dt.date(2026, 3, 1)
GROUNDS: dict[str, Any] = {
    "grounds": (RefusalGround.NATIONALITY,),
    "reasons": "The person sought is a national; the Constitution bars extradition.",
}


def run(kind: Kind, *moves: tuple[Stage, Stage, Side, dict[str, Any]], revision: int = 2):
    items = []
    for i, (a, b, side, extra) in enumerate(moves):
        t = StageTransition(from_stage=a, to_stage=b, date=DAY + dt.timedelta(days=i), **extra)
        items.append(StageInput(t, side, f"$e{i}", revision))
    return derive(kind, items)


def to_decision(*then: tuple[Stage, Stage, Side, dict[str, Any]]):
    return run(
        Kind.EXTRADITION,
        (S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, R, {}),
        (S.FORMAL_REQUEST_TRANSMITTED, S.FORMAL_REQUEST_RECEIVED, D, {}),
        (S.FORMAL_REQUEST_RECEIVED, S.EXECUTIVE_DECISION, D, {}),
        *then,
    )


# ---------------------------------------------------------------- 1. appeals after decision
def test_imac_25_55_executive_decision_then_appeal_then_granted() -> None:
    """Switzerland: the Federal Office of Justice decides (IMAC art. 55(1)), the appeal to
    the Federal Criminal Court follows (IMAC art. 25); the grant may stand."""
    state = to_decision(
        (S.EXECUTIVE_DECISION, S.APPEAL, D, {}),
        (S.APPEAL, S.GRANTED, D, {}),
    )
    assert state.refused == () and state.current is S.GRANTED
    assert EXTRADITION.find(S.EXECUTIVE_DECISION, S.APPEAL).note == "note.appeal_after_decision"


def test_lei_33_amparo_after_the_sre_grant_may_end_in_refusal() -> None:
    """Mexico: the SRE's resolution (LEI art. 30) is challenged by amparo (LEI art. 33):
    granted -> appeal -> refused, and granted -> refused directly (the grant quashed)."""
    state = to_decision(
        (S.EXECUTIVE_DECISION, S.GRANTED, D, {}),
        (S.GRANTED, S.APPEAL, D, {}),
        (S.APPEAL, S.REFUSED, D, GROUNDS),
    )
    assert state.refused == () and state.current is S.REFUSED
    assert EXTRADITION.find(S.GRANTED, S.REFUSED) is not None


# ---------------------------------------------------------------- 2. release is not the end
def test_ece_16_4_5_provisional_arrest_released_then_formal_request() -> None:
    """ECE art. 16(4): provisional release at any time; art. 16(5): release does not
    prevent re-arrest and extradition if the request comes later."""
    state = run(
        Kind.EXTRADITION,
        (S.PRE_REQUEST_CONSULTATION, S.PROVISIONAL_ARREST_REQUESTED, R, {}),
        (S.PROVISIONAL_ARREST_REQUESTED, S.PROVISIONAL_ARREST_EXECUTED, D, {}),
        (S.PROVISIONAL_ARREST_EXECUTED, S.PROVISIONALLY_RELEASED, D, {}),
        (S.PROVISIONALLY_RELEASED, S.FORMAL_REQUEST_TRANSMITTED, R, {}),
    )
    assert state.refused == () and state.current is S.FORMAL_REQUEST_TRANSMITTED
    assert S.PROVISIONALLY_RELEASED not in EXTRADITION.terminal
    assert S.PROVISIONAL_ARREST_EXECUTED in EXTRADITION.next_stages(S.PROVISIONALLY_RELEASED)


def test_ece_16_5_arrested_to_closed_only_in_old_records() -> None:
    moves = (
        (S.PRE_REQUEST_CONSULTATION, S.PROVISIONAL_ARREST_REQUESTED, R, {}),
        (S.PROVISIONAL_ARREST_REQUESTED, S.PROVISIONAL_ARREST_EXECUTED, D, {}),
        (S.PROVISIONAL_ARREST_EXECUTED, S.CLOSED, D, {}),
    )
    assert run(Kind.EXTRADITION, *moves).refused[0].code == "not_allowed"
    assert run(Kind.EXTRADITION, *moves, revision=1).current is S.CLOSED


# ---------------------------------------------------------------- 3. consent
def test_third_additional_protocol_6_failed_consent_needs_the_formal_request() -> None:
    """Third Additional Protocol to the ECE, art. 6(1)-(2): when consent is not given or
    is withdrawn, the requesting State still submits the request; no judicial phase
    without one."""
    arrested = (
        (S.PRE_REQUEST_CONSULTATION, S.PROVISIONAL_ARREST_REQUESTED, R, {}),
        (S.PROVISIONAL_ARREST_REQUESTED, S.PROVISIONAL_ARREST_EXECUTED, D, {}),
        (S.PROVISIONAL_ARREST_EXECUTED, S.SIMPLIFIED_CONSENT, D, {}),
    )
    judicial = (S.SIMPLIFIED_CONSENT, S.JUDICIAL_PHASE, D, {})
    refused = run(Kind.EXTRADITION, *arrested, judicial)
    assert refused.refused[0].code == "formal_request_required"
    assert "art. 6(1)-(2)" in refused.refused[0].message
    assert run(Kind.EXTRADITION, *arrested, judicial, revision=1).current is S.JUDICIAL_PHASE
    failed = run(
        Kind.EXTRADITION, *arrested, (S.SIMPLIFIED_CONSENT, S.FORMAL_REQUEST_TRANSMITTED, R, {})
    )
    assert failed.refused == () and failed.current is S.FORMAL_REQUEST_TRANSMITTED
    after_request = run(
        Kind.EXTRADITION,
        (S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, R, {}),
        (S.FORMAL_REQUEST_TRANSMITTED, S.SIMPLIFIED_CONSENT, D, {}),
        judicial,
    )
    assert after_request.refused == () and after_request.current is S.JUDICIAL_PHASE


# ---------------------------------------------------------------- 4. person not taken over
def scheduled(**extra: Any):
    return to_decision(
        (S.EXECUTIVE_DECISION, S.GRANTED, D, {}),
        (S.GRANTED, S.SURRENDER_SCHEDULED, D, extra),
    )


def test_ece_18_4_surrender_scheduled_needs_the_appointed_date() -> None:
    state = scheduled()
    assert state.refused[0].code == "due_date_required"
    assert "ECE art. 18(4)" in state.refused[0].message
    assert scheduled(due_date=DAY + dt.timedelta(days=20)).current is S.SURRENDER_SCHEDULED


def test_ece_18_4_not_taken_over_released_then_refused_for_the_same_offence() -> None:
    state = to_decision(
        (S.EXECUTIVE_DECISION, S.GRANTED, D, {}),
        (S.GRANTED, S.SURRENDER_SCHEDULED, D, {"due_date": DAY + dt.timedelta(days=5)}),
        (S.SURRENDER_SCHEDULED, S.RELEASED_NOT_TAKEN_OVER, D, {}),
        (
            S.RELEASED_NOT_TAKEN_OVER,
            S.REFUSED,
            D,
            {"grounds": (RefusalGround.NOT_TAKEN_OVER,), "reasons": "Not taken over in 30 days."},
        ),
    )
    assert state.refused == () and state.current is S.REFUSED
    assert EXTRADITION.find(S.SURRENDER_SCHEDULED, S.RELEASED_NOT_TAKEN_OVER).note == (
        "note.not_taken_over"
    )
    # Either side records that the person was taken over.
    assert EXTRADITION.find(S.SURRENDER_SCHEDULED, S.SURRENDERED).sides == {R, D}


def test_untoc_16_12_enforcement_of_the_sentence_instead() -> None:
    state = to_decision(
        (S.EXECUTIVE_DECISION, S.REFUSED, D, GROUNDS),
        (S.REFUSED, S.ENFORCEMENT_INSTEAD, D, {}),
        (S.ENFORCEMENT_INSTEAD, S.CLOSED, D, {}),
    )
    assert state.refused == () and state.current is S.CLOSED
    assert EXTRADITION.find(S.REFUSED, S.ENFORCEMENT_INSTEAD).note == "note.enforce_instead"


def test_untoc_16_10_note_says_solely_on_nationality_and_at_the_request() -> None:
    text = label("note.prosecute_instead", "en")
    assert "solely" in text and "at the request of the requesting State" in text
    assert "16(10)" in text


# ---------------------------------------------------------------- 5. MLA postponement
def test_untoc_18_26_consult_before_postponing() -> None:
    for source in (S.ACKNOWLEDGED, S.UNDER_EXECUTION):
        assert MLA.find(source, S.POSTPONED).note == "note.consult_before_postponement"
    for lang in LANGUAGES:
        assert "18" in label("note.consult_before_postponement", lang)
    assert MLA.find(S.ACKNOWLEDGED, S.REFUSED).note == "note.consult_before_refusal_mla"


# ---------------------------------------------------------------- 9. citations
def test_untoc_16_9_is_the_custody_provision() -> None:
    from coopnet.stages.rulebook import load_rulebook

    sources = [r.source for rs in load_rulebook().rulesets for r in rs.rules]
    assert not any("16(8)-(9)" in s or "16(8)–(9)" in s for s in sources)
    assert any("16(9)" in s for s in sources)


# ---------------------------------------------------------------- 11. reasons of a refusal
@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({}, "grounds_required"),
        ({"grounds": (RefusalGround.DUAL_CRIMINALITY,)}, "reasons_required"),
        ({"grounds": (RefusalGround.DUAL_CRIMINALITY,), "reasons": "  "}, "reasons_required"),
    ],
)
def test_untoc_18_23_ece_18_2_a_refusal_names_grounds_and_reasons(
    extra: dict[str, Any], code: str
) -> None:
    refusal = StageTransition(
        from_stage=S.EXECUTIVE_DECISION, to_stage=S.REFUSED, date=DAY, **extra
    )
    problem = check(EXTRADITION, S.EXECUTIVE_DECISION, refusal, D)
    assert problem is not None and problem[0] == code
    assert "18(23)" in problem[1] and "ECE art. 18(2)" in problem[1]
    assert check(EXTRADITION, S.EXECUTIVE_DECISION, refusal, D, revision=1) is None


def test_untoc_18_23_a_partial_grant_names_grounds_and_reasons() -> None:
    partial = StageTransition(
        from_stage=S.EXECUTIVE_DECISION, to_stage=S.GRANTED, date=DAY, partial=True
    )
    assert check(EXTRADITION, S.EXECUTIVE_DECISION, partial, D)[0] == "grounds_required"  # type: ignore[index]
    complete = StageTransition(
        from_stage=S.EXECUTIVE_DECISION,
        to_stage=S.GRANTED,
        date=DAY,
        partial=True,
        grounds=(RefusalGround.FISCAL_OFFENCE, RefusalGround.LAPSE_OF_TIME),
        reasons="Granted for the fraud only; the tax count is time-barred.",
    )
    assert check(EXTRADITION, S.EXECUTIVE_DECISION, complete, D) is None


# ---------------------------------------------------------------- 10. grounds
def test_untoc_16_1_18_9_18_21_grounds_are_in_the_vocabulary() -> None:
    for ground in (
        "dual_criminality",  # UNTOC 16(1), 18(9)
        "non_extraditable_offence",
        "request_not_conforming",  # 18(21)(a)
        "essential_interests",  # 18(21)(b): sovereignty, security, ordre public
        "domestic_law_prohibits",  # 18(21)(c)
        "contrary_to_legal_system",  # 18(21)(d)
        "pending_proceedings",
        "pardon_amnesty",
        "immunity",
    ):
        assert ground in RefusalGround._value2member_map_
    assert "18(21)(b)" in label("refusal_ground.essential_interests", "en")


def test_untoc_16_15_18_22_choosing_the_fiscal_ground_shows_the_rule() -> None:
    from coopnet.stages import GROUND_WARNINGS, ground_warnings

    assert ground_warnings(["fiscal_offence", "nationality"]) == ("warning.fiscal_offence",)
    assert ground_warnings(["nationality"]) == ()
    assert ground_warnings(["not-a-ground"]) == ()
    for key in GROUND_WARNINGS.values():
        for lang in LANGUAGES:
            text = label(key, lang)
            assert text != key and "16" in text and "18" in text and "15" in text
