"""The internal coordination room's core (issue 18 part 1): the board folded from its
messages, the rules on bad tasks, what may be shared, the mirror and task reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coopnet.consultation import (
    Message,
    board_of,
    item_to_share,
    judge_task,
    mirror_of,
    plan_coordination_room,
    share_refusals,
    shared_item_refusals,
)
from coopnet.consultation import task_notices as notices
from coopnet.errors import ConsultationError
from coopnet.protocol import (
    CoordinationTask,
    PersonIdentity,
    RequirementsAnswer,
    SharedItem,
    encode,
    label,
)
from coopnet.protocol.events import Event
from coopnet.protocol.labels import LANGUAGES
from coopnet.protocol.vocab import DeadlineStatus, HandlingCode, Stage
from tests.unit.test_consultation_law import CH, MX, ROSTER, Room

POLICE = "@police:ch.example"
DAY = dt.date(2026, 12, 1)
DAY_MS = int(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC).timestamp() * 1000)


def task(**extra: Any) -> CoordinationTask:
    fields = {
        "task_id": "t1",
        "title": "Confirm the address",
        "assignee": POLICE,
        "due_date": "2026-12-05",
        **extra,
    }
    parsed = CoordinationTask.from_dict(fields)
    assert isinstance(parsed, CoordinationTask), parsed
    return parsed


def msg(n: int, sender: str, event: Event, trusted: bool = True) -> Message:
    return Message.of(f"$c{n}", sender, DAY_MS + n, encode(event), trusted)


def test_a_later_version_of_a_task_replaces_it_and_done_closes_it() -> None:
    board = board_of(
        [
            msg(2, CH, task(due_date="2026-12-09")),
            msg(1, CH, task()),
            msg(3, POLICE, task(done=True), trusted=False),  # never counts
        ]
    )
    assert board.tasks["t1"].task.due_date == dt.date(2026, 12, 9)
    assert [t.task.task_id for t in board.open_tasks()] == ["t1"]
    board.add(msg(4, POLICE, task(due_date="2026-12-09", done=True)))
    assert board.open_tasks() == []


def test_a_task_for_someone_not_in_the_room_is_refused_naming_the_field() -> None:
    problems = judge_task(task(), {CH}, DAY)
    assert [(p.path, p.reason) for p in problems] == [("assignee", "not_a_member")]
    assert POLICE in problems[0].detail


def test_a_due_date_in_the_past_is_refused_but_an_overdue_task_can_be_closed() -> None:
    problems = judge_task(task(due_date="2026-11-30"), {POLICE}, DAY)
    assert [(p.path, p.reason) for p in problems] == [("due_date", "in_the_past")]
    board = board_of([msg(1, CH, task(due_date="2026-12-01"))])
    closing = task(due_date="2026-12-01", done=True)
    assert judge_task(closing, {POLICE}, dt.date(2026, 12, 3), board) == []


def test_reminders_fall_a_day_before_then_overdue_once_each() -> None:
    board = board_of([msg(1, CH, task())])
    assert notices(board, set(), dt.date(2026, 12, 3)) == []
    due = notices(board, set(), dt.date(2026, 12, 4))
    assert [(n.key, n.overdue) for n in due] == [("task:t1:2026-12-05:due", False)]
    assert notices(board, {due[0].key}, dt.date(2026, 12, 5)) == []
    late = notices(board, {due[0].key}, dt.date(2026, 12, 6))
    assert [(n.key, n.overdue) for n in late] == [("task:t1:2026-12-05:overdue", True)]
    board.add(msg(2, POLICE, task(done=True)))
    assert notices(board, set(), dt.date(2026, 12, 6)) == []


def test_sharing_refuses_what_the_handling_code_forbids() -> None:
    identity = PersonIdentity.from_dict({"names": [{"family": "DOE"}]})
    assert isinstance(identity, PersonIdentity)
    # Sent without codes: the network default for an identity is case only, not evidence,
    # which lets domestic agencies of the case see it.
    assert share_refusals(identity) == ()
    forbidding = identity.__class__.from_dict(
        {"names": [{"family": "DOE"}], "handling": ["no_onward"]}
    )
    assert isinstance(forbidding, PersonIdentity)
    assert share_refusals(forbidding) == ("handling_warning.no_onward",)
    answer = RequirementsAnswer.from_dict({"handling": ["no_onward", "domestic_agencies"]})
    assert isinstance(answer, RequirementsAnswer)
    assert share_refusals(answer) == ()  # the code that permits it outweighs
    assert share_refusals(task()) == ("handling_warning.not_an_item",)
    assert HandlingCode.NO_ONWARD in forbidding.handling


def test_the_item_to_share_carries_text_and_codes_or_says_why_not() -> None:
    identity = PersonIdentity.from_dict({"names": [{"family": "DOE"}]})
    assert isinstance(identity, PersonIdentity)

    def message(event: Event | None, trusted: bool = True) -> Message:
        content = encode(event) if event is not None else {"msgtype": "m.text", "body": "hi"}
        return Message("$m1", MX, DAY_MS, content, event, trusted)

    item = item_to_share(message(identity), "fr")
    assert isinstance(item, SharedItem), item
    assert item.source_event == "$m1" and item.source_type == identity.type_name()
    assert "DOE" in item.text and item.handling  # the network default codes, said
    assert shared_item_refusals(item) == ()  # what the bot checks in the internal room
    forbidding = PersonIdentity.from_dict({"names": [{"family": "DOE"}], "handling": ["no_onward"]})
    assert isinstance(forbidding, PersonIdentity)
    assert item_to_share(message(forbidding), "en") == share_refusals(forbidding)
    assert item_to_share(message(None), "en") == ("handling_warning.not_an_item",)
    assert item_to_share(message(task()), "en") == ("handling_warning.not_an_item",)
    untrusted = item_to_share(message(identity, trusted=False), "en")
    assert untrusted == ("handling_warning.untrusted_sender",)
    assert all(label(key, lang) != key for key in untrusted for lang in LANGUAGES)


def test_the_mirror_follows_the_consultation_and_its_key_changes_with_it() -> None:
    room = Room()
    status = room.c.status(DAY)
    assert status is not None
    first = mirror_of(status, room.c.drafts())
    assert first.stage is Stage.PRE_REQUEST_CONSULTATION
    room.stage(CH, "pre_request_consultation", "formal_request_transmitted")
    room.stage(MX, "formal_request_transmitted", "formal_request_received")
    status = room.c.status(DAY)
    assert status is not None
    second = mirror_of(status, room.c.drafts())
    assert second.stage is Stage.FORMAL_REQUEST_RECEIVED
    assert second.key != first.key
    assert second.key == mirror_of(status, room.c.drafts()).key
    assert all(
        s in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE) for _, _, s in second.deadlines
    )
    assert second.to_dict()["stage"] == "formal_request_received"


def test_the_internal_room_is_not_federated_and_holds_only_own_accounts() -> None:
    plan = plan_coordination_room(ROSTER, "CH-MX-7", CH, [POLICE])
    assert plan.federate is False
    assert plan.servers == ("ch.example",)
    assert POLICE in plan.invite and CH not in plan.invite
    assert plan.name == "CH-MX-7 (internal)"
    acl = next(s for s in plan.initial_state if s["type"] == "m.room.server_acl")
    assert acl["content"]["allow"] == ["ch.example"]
    with pytest.raises(ConsultationError, match="members: @police:mx.example"):
        plan_coordination_room(ROSTER, "CH-MX-7", CH, ["@police:mx.example"])
