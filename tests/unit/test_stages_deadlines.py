"""Deadline rules: rulebook, selection by legal basis, due dates, extensions, reminders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from coopnet.protocol.events import (
    ConsultationOpened,
    DeadlineExtension,
    StageTransition,
    SurrenderPostponement,
)
from coopnet.protocol.records import LegalBasis
from coopnet.protocol.vocab import (
    DeadlineStatus,
    Kind,
    LegalBasisType,
    PostponementMode,
    PostponementReason,
    Side,
    Stage,
)
from coopnet.stages import (
    RulebookError,
    StageInput,
    TimelineItem,
    compute,
    derive,
    load_rulebook,
    reminders_between,
    track,
)
from coopnet.stages.rulebook import parse_rulebook

R, D, S = Side.REQUESTING, Side.REQUESTED, Stage
BOOK = load_rulebook()
ECE = LegalBasis(basis=LegalBasisType.MULTILATERAL_TREATY, instrument="ece-1957")
RULES_PATH = Path(__file__).parents[2] / "coopnet" / "stages" / "deadline_rules.json"


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def move(a: Stage, b: Stage, when: str, side: Side, due: str | None = None) -> StageInput:
    t = StageTransition(
        from_stage=a, to_stage=b, date=day(when), due_date=day(due) if due else None
    )
    return StageInput(t, side)


ARREST = [
    move(S.PRE_REQUEST_CONSULTATION, S.PROVISIONAL_ARREST_REQUESTED, "2026-03-01", R),
    move(S.PROVISIONAL_ARREST_REQUESTED, S.PROVISIONAL_ARREST_EXECUTED, "2026-03-02", D),
]


def deadlines(kind: Kind, basis: LegalBasis, inputs: list[StageInput], today: str, **kw: Any):
    state = derive(kind, inputs)
    assert state.refused == ()
    return {
        d.rule.id: d for d in compute(BOOK.rules_for(kind, basis), state, today=day(today), **kw)
    }


def test_packaged_rules_cite_sources_and_certainty() -> None:
    for rs in BOOK.rulesets:
        for rule in rs.rules:
            assert rule.source.strip()
            assert rule.certainty in ("cited", "to_verify", "illustrative")
    raw = json.loads(RULES_PATH.read_text("utf-8"))
    assert "illustrative" in " ".join(raw["_comment"])


def test_ruleset_selection_by_instrument_then_basis() -> None:
    ids = lambda kind, basis: [rs.id for rs in BOOK.select(kind, basis)]  # noqa: E731
    assert ids(Kind.EXTRADITION, ECE) == ["common", "ece-1957"]
    bilateral = LegalBasis(basis=LegalBasisType.BILATERAL_TREATY, instrument="ch-mx-1997")
    assert ids(Kind.EXTRADITION, bilateral) == ["common", "bilateral-default"]
    assert ids(Kind.EXTRADITION, LegalBasis(basis=LegalBasisType.UNTOC)) == ["common", "untoc"]
    assert ids(Kind.EXTRADITION, LegalBasis(basis=LegalBasisType.RECIPROCITY)) == [
        "common",
        "reciprocity-default",
    ]
    assert ids(Kind.MLA, LegalBasis(basis=LegalBasisType.UNTOC)) == ["common", "mla-default"]
    eio = LegalBasis(basis=LegalBasisType.MULTILATERAL_TREATY, instrument="eu-eio-2014")
    assert ids(Kind.MLA, eio) == ["common", "eu-eio-2014"]
    assert ids(Kind.MLA, None) == ["common"]


def test_ece_formal_request_18_days_pending_then_overdue() -> None:
    got = deadlines(Kind.EXTRADITION, ECE, ARREST, "2026-03-20")
    d = got["formal_request_after_provisional_arrest"]
    assert (d.start, d.due, d.limit) == (day("2026-03-02"), day("2026-03-20"), day("2026-04-11"))
    assert d.status is DeadlineStatus.PENDING  # due today is not overdue
    assert d.rule.responsible is R
    later = deadlines(Kind.EXTRADITION, ECE, ARREST, "2026-03-21")
    assert later["formal_request_after_provisional_arrest"].status is DeadlineStatus.OVERDUE


def test_ece_16_4_deadline_met_at_receipt_in_time_and_late() -> None:
    """ECE art. 16(4): the clock stops when the requested Party receives the request,
    not when the requesting side sends it."""
    sent = ARREST + [
        move(S.PROVISIONAL_ARREST_EXECUTED, S.FORMAL_REQUEST_TRANSMITTED, "2026-03-15", R)
    ]
    d = deadlines(Kind.EXTRADITION, ECE, sent, "2026-03-19")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.PENDING  # sent, not yet received
    on_time = sent + [
        move(S.FORMAL_REQUEST_TRANSMITTED, S.FORMAL_REQUEST_RECEIVED, "2026-03-15", D)
    ]
    d = deadlines(Kind.EXTRADITION, ECE, on_time, "2026-05-01")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.MET and d.closed_on == day("2026-03-15") and not d.late
    assert d.reminders == ()
    late = ARREST + [
        move(S.PROVISIONAL_ARREST_EXECUTED, S.FORMAL_REQUEST_TRANSMITTED, "2026-03-19", R),
        move(S.FORMAL_REQUEST_TRANSMITTED, S.JUDICIAL_PHASE, "2026-03-25", D),  # implies receipt
    ]
    d = deadlines(Kind.EXTRADITION, ECE, late, "2026-05-01")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.MET and d.late


def test_third_additional_protocol_6_consent_does_not_stop_the_clock_extradition_does() -> None:
    """Third Additional Protocol to the ECE, art. 6(2): the requesting State must still be
    able to submit its request within the 40 days of ECE art. 16(4) if the simplified
    procedure is not applied; the clock ends when extradition is granted on consent."""
    inputs = ARREST + [move(S.PROVISIONAL_ARREST_EXECUTED, S.SIMPLIFIED_CONSENT, "2026-03-05", D)]
    d = deadlines(Kind.EXTRADITION, ECE, inputs, "2026-05-01")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.OVERDUE
    granted = inputs + [move(S.SIMPLIFIED_CONSENT, S.GRANTED, "2026-03-09", D)]
    d = deadlines(Kind.EXTRADITION, ECE, granted, "2026-05-01")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.CANCELLED and d.closed_on == day("2026-03-09")


def test_ece_16_4_provisional_release_ends_the_custody_clock() -> None:
    inputs = ARREST + [
        move(S.PROVISIONAL_ARREST_EXECUTED, S.PROVISIONALLY_RELEASED, "2026-03-10", D)
    ]
    d = deadlines(Kind.EXTRADITION, ECE, inputs, "2026-05-01")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.status is DeadlineStatus.CANCELLED


def ext(until: str, rule: str = "formal_request_after_provisional_arrest") -> DeadlineExtension:
    return DeadlineExtension(rule=rule, extended_until=day(until))


def test_extension_within_and_beyond_the_maximum() -> None:
    d = deadlines(Kind.EXTRADITION, ECE, ARREST, "2026-03-25", extensions=[ext("2026-04-05")])[
        "formal_request_after_provisional_arrest"
    ]
    assert d.due == day("2026-04-05") and d.status is DeadlineStatus.PENDING and not d.warnings
    d = deadlines(Kind.EXTRADITION, ECE, ARREST, "2026-03-25", extensions=[ext("2026-05-01")])[
        "formal_request_after_provisional_arrest"
    ]
    assert d.due == day("2026-04-11") and "capped" in d.warnings[0]  # art. 16(4): 40 days


def test_non_extendable_rule_ignores_extension() -> None:
    bilateral = LegalBasis(basis=LegalBasisType.BILATERAL_TREATY)
    d = deadlines(
        Kind.EXTRADITION, bilateral, ARREST, "2026-03-25", extensions=[ext("2026-06-01")]
    )["formal_request_after_provisional_arrest"]
    assert d.due == day("2026-05-01")  # 60 days
    assert d.limit is None and "cannot be extended" in d.warnings[0]
    assert d.rule.certainty == "illustrative"


def test_untoc_rule_is_marked_to_verify() -> None:
    d = deadlines(Kind.EXTRADITION, LegalBasis(basis=LegalBasisType.UNTOC), ARREST, "2026-03-03")[
        "formal_request_after_provisional_arrest"
    ]
    assert d.due == day("2026-04-11") and d.rule.certainty == "to_verify"


def test_surrender_counted_from_the_appointed_date() -> None:
    inputs = [
        move(S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, "2026-01-01", R),
        move(S.FORMAL_REQUEST_TRANSMITTED, S.EXECUTIVE_DECISION, "2026-02-01", D),
        move(S.EXECUTIVE_DECISION, S.GRANTED, "2026-03-01", D),
        move(S.GRANTED, S.SURRENDER_SCHEDULED, "2026-03-05", D, due="2026-03-20"),
    ]
    got = deadlines(Kind.EXTRADITION, ECE, inputs, "2026-04-10")
    d = got["surrender_after_appointed_date"]
    assert (d.start, d.due, d.limit) == (day("2026-03-20"), day("2026-04-04"), day("2026-04-19"))
    assert d.status is DeadlineStatus.OVERDUE
    step = got["transition_due_date"]
    assert step.due == day("2026-03-20") and step.status is DeadlineStatus.OVERDUE


def test_transition_due_date_met_when_stage_left() -> None:
    inputs = [
        move(S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, "2026-01-01", R),
        move(
            S.FORMAL_REQUEST_TRANSMITTED,
            S.SUPPLEMENTARY_INFO_REQUESTED,
            "2026-01-10",
            D,
            due="2026-02-10",
        ),
        move(S.SUPPLEMENTARY_INFO_REQUESTED, S.SUPPLEMENTARY_INFO_PROVIDED, "2026-02-01", R),
    ]
    d = deadlines(Kind.EXTRADITION, ECE, inputs, "2026-03-01")["transition_due_date"]
    assert d.status is DeadlineStatus.MET and d.closed_on == day("2026-02-01") and not d.late


def postponed(review: str) -> SurrenderPostponement:
    return SurrenderPostponement(
        mode=PostponementMode.POSTPONED,
        reason=PostponementReason.HUMANITARIAN,
        review_date=day(review),
    )


def test_postponement_review_date() -> None:
    inputs = [
        move(S.PRE_REQUEST_CONSULTATION, S.FORMAL_REQUEST_TRANSMITTED, "2026-01-01", R),
        move(S.FORMAL_REQUEST_TRANSMITTED, S.EXECUTIVE_DECISION, "2026-01-02", D),
        move(S.EXECUTIVE_DECISION, S.GRANTED, "2026-01-03", D),
        move(S.GRANTED, S.SURRENDER_POSTPONED, "2026-01-04", D),
    ]
    pp = [(day("2026-01-04"), postponed("2026-03-01"))]
    d = deadlines(Kind.EXTRADITION, ECE, inputs, "2026-03-02", postponements=pp)[
        "postponement_review"
    ]
    assert d.due == day("2026-03-01") and d.status is DeadlineStatus.OVERDUE
    resumed = inputs + [
        move(S.SURRENDER_POSTPONED, S.SURRENDER_SCHEDULED, "2026-02-20", D, due="2026-03-10")
    ]
    d = deadlines(Kind.EXTRADITION, ECE, resumed, "2026-03-02", postponements=pp)[
        "postponement_review"
    ]
    assert d.status is DeadlineStatus.MET


def test_mla_eio_rules() -> None:
    eio = LegalBasis(basis=LegalBasisType.MULTILATERAL_TREATY, instrument="eu-eio-2014")
    inputs = [
        move(S.PRE_REQUEST_CONSULTATION, S.REQUEST_TRANSMITTED, "2026-01-01", R),
        move(S.REQUEST_TRANSMITTED, S.ACKNOWLEDGED, "2026-01-05", D),
        move(S.ACKNOWLEDGED, S.UNDER_EXECUTION, "2026-01-20", D),
    ]
    got = deadlines(Kind.MLA, eio, inputs, "2026-03-01")
    assert got["acknowledgement"].status is DeadlineStatus.MET
    assert got["recognition_decision"].status is DeadlineStatus.MET
    execution = got["execution"]
    assert execution.due == day("2026-04-20") and execution.status is DeadlineStatus.PENDING


def test_mla_default_supplementary_information() -> None:
    inputs = [
        move(S.PRE_REQUEST_CONSULTATION, S.REQUEST_TRANSMITTED, "2026-01-01", R),
        move(S.REQUEST_TRANSMITTED, S.SUPPLEMENTARY_INFO_REQUESTED, "2026-01-03", D),
    ]
    got = deadlines(Kind.MLA, LegalBasis(basis=LegalBasisType.RECIPROCITY), inputs, "2026-02-10")
    assert got["acknowledgement"].status is DeadlineStatus.MET
    assert got["supplementary_information"].due == day("2026-02-02")
    assert got["supplementary_information"].status is DeadlineStatus.OVERDUE


def test_reminders_at_configured_offsets() -> None:
    got = deadlines(Kind.EXTRADITION, ECE, ARREST, "2026-03-03", offsets=(-3, 0))
    d = got["formal_request_after_provisional_arrest"]
    assert d.reminders == (day("2026-03-17"), day("2026-03-20"))
    assert [
        r.on for r in reminders_between(got.values(), day("2026-03-10"), day("2026-03-17"))
    ] == [day("2026-03-17")]
    assert reminders_between(got.values(), day("2026-03-17"), day("2026-03-19")) == ()
    default = deadlines(
        Kind.EXTRADITION, ECE, ARREST, "2026-03-03", offsets=BOOK.reminder_offsets_days
    )
    assert len(default["formal_request_after_provisional_arrest"].reminders) == len(
        BOOK.reminder_offsets_days
    )


def test_track_from_a_timeline() -> None:
    opened = ConsultationOpened.from_dict(
        {
            "case_ref": "CN-1",
            "kind": "extradition",
            "requesting_authority": "ch",
            "requested_authority": "mx",
            "legal_basis": {"basis": "multilateral_treaty", "instrument": "ece-1957"},
        }
    )
    assert isinstance(opened, ConsultationOpened)
    items = [
        TimelineItem(i.transition, "ch" if i.side is R else "mx", i.transition.date, f"$t{n}")
        for n, i in enumerate(ARREST)
    ]
    items.append(TimelineItem(ext("2026-04-01"), "mx", day("2026-03-10")))
    items.append(TimelineItem(ARREST[0].transition, "cn", day("2026-03-10"), "$intruder"))
    status = track(opened, items, today=day("2026-03-25"))
    assert status.stages.current is S.PROVISIONAL_ARREST_EXECUTED
    assert [(r.code, r.event_id) for r in status.stages.refused] == [("from_mismatch", "$intruder")]
    d = {x.rule.id: x for x in status.deadlines}["formal_request_after_provisional_arrest"]
    assert d.due == day("2026-04-01") and d.status is DeadlineStatus.PENDING


def test_outsider_cannot_move_the_stage() -> None:
    opened = ConsultationOpened.from_dict(
        {
            "case_ref": "CN-1",
            "kind": "mla",
            "requesting_authority": "ch",
            "requested_authority": "mx",
            "legal_basis": {"basis": "untoc"},
        }
    )
    assert isinstance(opened, ConsultationOpened)
    t = StageTransition(
        from_stage=S.PRE_REQUEST_CONSULTATION,
        to_stage=S.REQUEST_TRANSMITTED,
        date=day("2026-01-01"),
    )
    status = track(opened, [TimelineItem(t, "cn", day("2026-01-01"))], today=day("2026-01-02"))
    assert status.stages.refused[0].code == "unknown_side"


def good_book() -> dict[str, Any]:
    return json.loads(RULES_PATH.read_text("utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.update(format=2), "format: 2 is not supported"),
        (
            lambda b: b["rulesets"][1]["rules"][0].update(start_stage="nowhere"),
            r"rulesets\[1\]\.rules\[0\]\.start_stage: 'nowhere' is not one of",
        ),
        (lambda b: b["rulesets"][1]["rules"][0].update(certainty="maybe"), "certainty"),
        (lambda b: b["rulesets"][1]["rules"][0].update(extendable_to_days=5), "extendable"),
        (lambda b: b["rulesets"][1]["rules"][0].pop("source"), "source: missing"),
        (lambda b: b["rulesets"][1]["rules"][0].pop("met_at"), "met_at: required for a rule"),
        (lambda b: b["rulesets"][1]["rules"][0].update(days="18"), "days: expected a whole"),
        (lambda b: b["rulesets"][1].update(kind="war"), r"rulesets\[1\]\.kind: 'war' is not"),
        (lambda b: b.update(reminder_offsets_days=["soon"]), r"reminder_offsets_days\[0\]"),
    ],
)
def test_malformed_rulebook_names_the_problem(mutate: Any, message: str) -> None:
    book = good_book()
    mutate(book)
    with pytest.raises(RulebookError, match=message):
        parse_rulebook(book)


def test_load_rulebook_from_another_file(tmp_path: Path) -> None:
    book = good_book()
    book["rulesets"][1]["rules"][0]["days"] = 20
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(book), "utf-8")
    custom = load_rulebook(path)
    assert custom.rules_for(Kind.EXTRADITION, ECE)[2].days == 20
    with pytest.raises(RulebookError):
        load_rulebook(tmp_path / "missing.json")
