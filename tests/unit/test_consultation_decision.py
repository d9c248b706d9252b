"""Consultation before refusal, the duty to prosecute a national, progress queries (issue
17): the rules of revision 3 in the consultation core."""

from __future__ import annotations

import datetime as dt

from coopnet.consultation import propose_answer
from coopnet.protocol.vocab import DeadlineStatus, Side, Stage
from tests.unit.test_consultation_law import CH, MX, Room, refusal

NATIONAL = {"grounds": ["nationality"], "reasons": "The person is a Mexican national."}


def envisaged(**extra: object) -> dict[str, object]:
    return {**NATIONAL, "respond_by": "2026-12-31", **extra}


def deadline(room: Room, rule: str, today: dt.date):
    status = room.c.status(today)
    assert status is not None
    return next(d for d in status.deadlines if d.rule.id == rule)


def test_a_refusal_without_the_envisaged_step_is_refused() -> None:
    room = Room()
    room.to_decision()
    found = room.add(MX, "stage", refusal(**NATIONAL))
    assert room.c.refusal(found.event_id).code == "consultation_required"  # type: ignore[union-attr]
    assert room.current() is Stage.EXECUTIVE_DECISION


def test_the_envisaged_step_opens_a_deadline_and_allows_the_refusal() -> None:
    room = Room()
    room.to_decision()
    step = room.add(MX, "refusal.envisaged", envisaged())
    assert room.c.refusal(step.event_id) is None
    waiting = deadline(room, "refusal_envisaged_answer", dt.date(2026, 12, 1))
    assert waiting.status is DeadlineStatus.PENDING and waiting.due == dt.date(2026, 12, 31)
    assert waiting.rule.responsible is Side.REQUESTING
    late = deadline(room, "refusal_envisaged_answer", dt.date(2027, 1, 2))
    assert late.status is DeadlineStatus.OVERDUE
    refused = room.add(MX, "stage", refusal(**NATIONAL))
    assert room.c.refusal(refused.event_id) is None and room.current() is Stage.REFUSED


def test_a_step_of_the_requesting_side_answers_the_envisaged_refusal() -> None:
    room = Room()
    room.to_decision()
    room.add(MX, "refusal.envisaged", envisaged())
    room.add(CH, "identity", {"names": [{"family": "DOE"}], "nationalities": ["CH"]})
    found = deadline(room, "refusal_envisaged_answer", dt.date(2027, 2, 1))
    assert found.status is DeadlineStatus.MET


def test_a_refusal_on_grounds_not_consulted_on_is_refused() -> None:
    room = Room()
    room.to_decision()
    room.add(MX, "refusal.envisaged", envisaged())
    other = room.add(
        MX, "stage", refusal(grounds=["political_offence"], reasons="Political offence.")
    )
    assert room.c.refusal(other.event_id).code == "grounds_not_consulted"  # type: ignore[union-attr]


def test_only_the_requested_side_envisages_and_not_in_the_past() -> None:
    room = Room()
    room.to_decision()
    wrong = room.add(CH, "refusal.envisaged", envisaged())
    assert room.c.refusal(wrong.event_id).code == "requested_side_only"  # type: ignore[union-attr]
    past = room.add(MX, "refusal.envisaged", envisaged(respond_by="2020-01-01"))
    assert room.c.refusal(past.event_id).code == "respond_by_past"  # type: ignore[union-attr]


def test_a_refusal_sent_under_revision_2_needs_no_envisaged_step() -> None:
    room = Room(revision=2)
    room.to_decision()
    old = room.add(MX, "stage", refusal(**NATIONAL))
    assert room.c.refusal(old.event_id) is None and room.current() is Stage.REFUSED


def test_a_refusal_on_nationality_opens_the_duty_to_prosecute_until_reported() -> None:
    room = Room()
    room.to_decision()
    early = room.add(
        MX, "prosecution.reported", {"submitted_on": "2026-11-22", "prosecuting_authority": "FGR"}
    )
    assert room.c.refusal(early.event_id).code == "no_prosecution_obligation"  # type: ignore[union-attr]
    room.add(MX, "refusal.envisaged", envisaged())
    room.add(MX, "stage", refusal(**NATIONAL))
    duty = deadline(room, "prosecution_submission", dt.date(2026, 12, 1))
    assert duty.status is DeadlineStatus.PENDING and duty.rule.responsible is Side.REQUESTED
    assert duty.due == dt.date(2026, 11, 21) + dt.timedelta(days=60)
    report = room.add(
        MX, "prosecution.reported", {"submitted_on": "2026-12-05", "prosecuting_authority": "FGR"}
    )
    assert room.c.refusal(report.event_id) is None
    done = deadline(room, "prosecution_submission", dt.date(2027, 6, 1))
    assert done.status is DeadlineStatus.MET and done.closed_on == dt.date(2026, 12, 5)
    again = room.add(
        MX, "prosecution.reported", {"submitted_on": "2026-12-06", "prosecuting_authority": "FGR"}
    )
    assert room.c.refusal(again.event_id).code == "no_prosecution_obligation"  # type: ignore[union-attr]


def test_a_progress_answer_to_no_query_is_refused() -> None:
    room = Room()
    room.to_decision()
    stray = room.add(MX, "progress.answer", {"query": "$nothing", "stage": "executive_decision"})
    assert room.c.refusal(stray.event_id).code == "no_such_query"  # type: ignore[union-attr]


def test_a_progress_query_is_due_in_working_days_of_the_answering_state() -> None:
    room = Room()
    room.to_decision()
    query = room.add(CH, "progress.query", {"question": "Where does it stand?"})
    asked = query.day
    found = deadline(room, "progress_answer", asked)
    calendar = room.c.calendar(Side.REQUESTED)
    assert calendar.country == "MX" and found.calendar == calendar.source
    assert "MX public holidays" in found.calendar
    assert found.due == calendar.add_working_days(asked, 10)
    assert found.rule.responsible is Side.REQUESTED
    own = room.add(CH, "progress.answer", {"query": query.event_id, "stage": "executive_decision"})
    assert room.c.refusal(own.event_id).code == "own_query"  # type: ignore[union-attr]
    status = room.c.status(asked)
    assert status is not None
    proposal = propose_answer(status, query.event_id)
    assert proposal.stage is Stage.EXECUTIVE_DECISION and proposal.query == query.event_id
    assert proposal.last_step is Stage.EXECUTIVE_DECISION
    assert proposal.last_step_date == dt.date(2026, 11, 20)
    answer = room.add(MX, "progress.answer", proposal.to_dict())
    assert room.c.refusal(answer.event_id) is None
    met = deadline(room, "progress_answer", asked + dt.timedelta(days=60))
    assert met.status is DeadlineStatus.MET
    twice = room.add(MX, "progress.answer", proposal.to_dict())
    assert room.c.refusal(twice.event_id).code == "query_answered"  # type: ignore[union-attr]
