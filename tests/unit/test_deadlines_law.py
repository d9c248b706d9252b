"""Which deadline rules a consultation gets, and when they are met (issue 21, points 7-8).

The rule comes from the legal basis and from the requested State's own law as it answered
it; the most specific wins (a treaty named as the legal basis, then the requested State,
then the basis default) and every rule says where it came from.
"""

from __future__ import annotations

import datetime as dt

from coopnet.profiles import load_profile
from coopnet.protocol.events import StageTransition
from coopnet.protocol.records import LegalBasis
from coopnet.protocol.vocab import DeadlineStatus, Kind, LegalBasisType, RuleOrigin, Side, Stage
from coopnet.stages import StageInput, compute, derive, load_rulebook, profile_ruleset

R, D, S = Side.REQUESTING, Side.REQUESTED, Stage
BOOK = load_rulebook()
UNTOC = LegalBasis(basis=LegalBasisType.UNTOC)
ECE = LegalBasis(basis=LegalBasisType.MULTILATERAL_TREATY, instrument="ece-1957")
BILATERAL = LegalBasis(basis=LegalBasisType.BILATERAL_TREATY)


def state_rules(authority: str):
    profile = load_profile(authority)
    assert profile is not None
    ruleset = profile_ruleset(profile.answer, authority)
    assert ruleset is not None
    return ruleset


def by_purpose(kind: Kind, basis: LegalBasis, authority: str | None = None):
    rules = BOOK.rules_for(kind, basis, state_rules(authority) if authority else None)
    return {r.aim: r for r in rules}


def test_untoc_16_7_the_requested_states_law_beats_the_model_treaty_default() -> None:
    rule = by_purpose(Kind.EXTRADITION, UNTOC, "mx")["formal_request_after_provisional_arrest"]
    assert (rule.days, rule.origin, rule.ruleset) == (60, RuleOrigin.REQUESTED_STATE, "profile-mx")
    china = by_purpose(Kind.EXTRADITION, UNTOC, "cn")["formal_request_after_provisional_arrest"]
    assert (china.days, china.extendable_to_days) == (30, 45)
    without = by_purpose(Kind.EXTRADITION, UNTOC)["formal_request_after_provisional_arrest"]
    assert (without.days, without.origin) == (40, RuleOrigin.BASIS_DEFAULT)
    assert "brackets" in without.source and "art. 9(4)" in without.source


def test_ece_16_4_a_treaty_named_as_legal_basis_beats_the_requested_states_law() -> None:
    rules = by_purpose(Kind.EXTRADITION, ECE, "mx")
    rule = rules["formal_request_after_provisional_arrest"]
    assert (rule.days, rule.extendable_to_days, rule.origin) == (18, 40, RuleOrigin.INSTRUMENT)
    assert rules["surrender"].id == "surrender_after_appointed_date"
    assert rules["surrender"].origin is RuleOrigin.INSTRUMENT


def test_one_rule_per_purpose_the_requested_state_replaces_the_bilateral_default() -> None:
    rules = BOOK.rules_for(Kind.EXTRADITION, BILATERAL, state_rules("mx"))
    surrender = [r for r in rules if r.aim == "surrender"]
    assert [(r.id, r.days, r.origin) for r in surrender] == [
        ("surrender_after_appointed_date", 60, RuleOrigin.REQUESTED_STATE)
    ]
    assert all(r.origin is not None for r in rules)


def test_receipt_stages_are_the_same_for_treaty_and_state_rules() -> None:
    ece = by_purpose(Kind.EXTRADITION, ECE)["formal_request_after_provisional_arrest"]
    mx = by_purpose(Kind.EXTRADITION, UNTOC, "mx")["formal_request_after_provisional_arrest"]
    assert ece.met_at == mx.met_at and S.FORMAL_REQUEST_RECEIVED in ece.met_at
    assert S.FORMAL_REQUEST_TRANSMITTED not in ece.met_at  # dispatch is not receipt
    assert ece.cancelled_at == mx.cancelled_at and S.SIMPLIFIED_CONSENT not in ece.cancelled_at


def test_untoc_18_24_a_date_for_execution_is_met_at_execution_not_acknowledgement() -> None:
    day = dt.date(2026, 1, 1)
    moves = [
        (S.PRE_REQUEST_CONSULTATION, S.REQUEST_TRANSMITTED, R, day + dt.timedelta(days=60)),
        (S.REQUEST_TRANSMITTED, S.ACKNOWLEDGED, D, None),
        (S.ACKNOWLEDGED, S.UNDER_EXECUTION, D, None),
    ]
    inputs = [
        StageInput(
            StageTransition(
                from_stage=a, to_stage=b, date=day + dt.timedelta(days=i), due_date=due
            ),
            side,
        )
        for i, (a, b, side, due) in enumerate(moves)
    ]
    rules = BOOK.rules_for(Kind.MLA, UNTOC)

    def due_date_deadline(items: list[StageInput]):
        got = compute(rules, derive(Kind.MLA, items), today=day + dt.timedelta(days=30))
        return next(d for d in got if d.rule.id == "transition_due_date")

    assert due_date_deadline(inputs).status is DeadlineStatus.PENDING
    executed = StageTransition(
        from_stage=S.UNDER_EXECUTION, to_stage=S.EXECUTED, date=day + dt.timedelta(days=20)
    )
    done = due_date_deadline([*inputs, StageInput(executed, D)])
    assert done.status is DeadlineStatus.MET and done.closed_on == day + dt.timedelta(days=20)


def test_untoc_named_as_instrument_is_still_a_default_below_the_requested_state() -> None:
    """UNTOC fixes no period (art. 16(7), 16(9)): naming it as the instrument does not
    make the Model Treaty's bracketed 40 days beat the requested State's law."""
    untoc = LegalBasis(basis=LegalBasisType.UNTOC, instrument="untoc")
    rule = by_purpose(Kind.EXTRADITION, untoc, "mx")["formal_request_after_provisional_arrest"]
    assert (rule.days, rule.origin) == (60, RuleOrigin.REQUESTED_STATE)
