"""An authority's internal coordination room for one consultation (pure).

The room lives on the authority's own homeserver only (not federated) and holds its
domestic agencies (prosecutor, police, foreign affairs, court liaison). Its state is a
:class:`Board`, folded from the room's messages: which consultation it coordinates, the
tasks (the latest version of each) and the items officers shared. What the bot mirrors
there (:func:`mirror_of`: stage, deadlines, open checklist items) is computed from the
consultation's own state, never copied from the counterpart's messages. The rules on bad
input (:func:`judge_task`) and on what may be shared (:func:`share_refusals`,
:func:`item_to_share`) live here,
so the bot and the command line refuse the same things.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coopnet.consultation.drafts import DraftReview
from coopnet.consultation.message import Message
from coopnet.errors import CoordinationError
from coopnet.protocol import CoordinationOpened, CoordinationTask, Event, Receipt, SharedItem
from coopnet.protocol.handling import Use, effective_handling, sharing_warnings
from coopnet.protocol.render import render_text
from coopnet.protocol.validation import Problem
from coopnet.protocol.vocab import DeadlineStatus, HandlingCode, Stage
from coopnet.stages import ConsultationStatus

NOT_A_MEMBER = "not_a_member"
IN_THE_PAST = "in_the_past"
COORDINATION_EVENTS = (CoordinationOpened, CoordinationTask, SharedItem)

REMIND_DAYS_BEFORE = 1
"""A task's reminder falls this many days before its due date (and on it, if missed)."""


@dataclass(frozen=True)
class HeldTask:
    task: CoordinationTask
    event_id: str  # the latest version's event
    set_by: str
    day: dt.date


@dataclass
class Board:
    """The state of one internal room."""

    opened: CoordinationOpened | None = None
    opened_id: str | None = None
    opened_by: str | None = None
    tasks: dict[str, HeldTask] = field(default_factory=dict)
    shared: list[tuple[str, SharedItem, str]] = field(default_factory=list)  # id, item, by

    @property
    def consultation_room(self) -> str | None:
        return self.opened.consultation_room if self.opened is not None else None

    def open_tasks(self) -> list[HeldTask]:
        return sorted(
            (t for t in self.tasks.values() if not t.task.done),
            key=lambda t: (t.task.due_date, t.task.task_id),
        )

    def add(self, message: Message) -> None:
        """Apply one message, the next in the room's order; untrusted devices never count."""
        event = message.parsed
        if not message.trusted or not isinstance(event, Event):
            return
        if isinstance(event, CoordinationOpened):
            if self.opened is None:
                self.opened, self.opened_id, self.opened_by = (
                    event,
                    message.event_id,
                    message.sender,
                )
        elif isinstance(event, CoordinationTask):
            self.tasks[event.task_id] = HeldTask(
                event, message.event_id, message.sender, message.day
            )
        elif isinstance(event, SharedItem):
            self.shared.append((message.event_id, event, message.sender))


def board_of(messages: Iterable[Message]) -> Board:
    """Fold a room's messages, ordered by server time then event id (one homeserver: the
    same order for every reader)."""
    board = Board()
    for message in sorted(messages, key=lambda m: (m.ts, m.event_id)):
        board.add(message)
    return board


def judge_task(
    task: CoordinationTask, members: Collection[str], day: dt.date, board: Board | None = None
) -> list[Problem]:
    """What is wrong with setting ``task`` on ``day`` in a room with these members, each
    problem naming its field: the assignee must be in the room; a new or moved due date
    must not be in the past (marking an overdue task done is fine)."""
    problems = []
    if task.assignee not in members:
        problems.append(
            Problem(
                "assignee",
                NOT_A_MEMBER,
                f"{task.assignee} is not a member of this internal room "
                f"(members: {', '.join(sorted(members)) or 'none'})",
            )
        )
    held = board.tasks.get(task.task_id) if board is not None else None
    moved = held is None or held.task.due_date != task.due_date
    if moved and task.due_date < day:
        problems.append(
            Problem(
                "due_date",
                IN_THE_PAST,
                f"{task.due_date.isoformat()} is in the past (today is {day.isoformat()})",
            )
        )
    return problems


def share_refusals(
    event: Event, defaults: Mapping[str, tuple[HandlingCode, ...]] | None = None
) -> tuple[str, ...]:
    """The label keys of the handling codes that forbid sharing ``event`` with the
    authority's domestic agencies (its own codes, else the network default for its kind);
    empty when it may be shared. Receipts and the room's own events are not items."""
    if isinstance(event, (Receipt, *COORDINATION_EVENTS)):
        return ("handling_warning.not_an_item",)
    codes, _default = effective_handling(event, defaults)
    return sharing_warnings(codes, Use.DOMESTIC_AGENCY)


SHARED_TEXT_CHARS = 4000
"""How much of an item's rendered text goes into the internal room."""
UNTRUSTED = "handling_warning.untrusted_sender"


def item_to_share(
    message: Message, lang: str, defaults: Mapping[str, tuple[HandlingCode, ...]] | None = None
) -> SharedItem | tuple[str, ...]:
    """What an officer shares of one message of the consultation into its internal room:
    its text rendered in ``lang`` and its handling codes; or the label keys of why it may
    not be shared (:func:`share_refusals`; not a structured item; sent from a device the
    trust policy does not trust, so not the counterpart's word), and nothing is to be
    sent. The command line and the client share through here."""
    event = message.parsed
    if not isinstance(event, Event):
        return ("handling_warning.not_an_item",)
    if not message.trusted:
        return (UNTRUSTED,)
    refusals = share_refusals(event, defaults)
    if refusals:
        return refusals
    codes, _default = effective_handling(event, defaults)
    item = SharedItem.from_dict(
        {
            "source_event": message.event_id,
            "source_type": event.type_name(),
            "text": render_text(event, lang)[:SHARED_TEXT_CHARS],
            "handling": [code.value for code in codes],
        }
    )
    if not isinstance(item, SharedItem):  # our own rendering: a bug, not bad input
        raise CoordinationError(f"{message.event_id}: cannot be shared: {item}")
    return item


def shared_item_refusals(item: SharedItem) -> tuple[str, ...]:
    """The same check on an item as shared: the codes it carries must let domestic
    agencies see it (what the bot refuses in the internal room)."""
    return sharing_warnings(item.handling, Use.DOMESTIC_AGENCY)


# ---------------------------------------------------------------- mirror


@dataclass(frozen=True)
class Mirror:
    """What the bot mirrors of a consultation into its internal room."""

    stage: Stage
    deadlines: tuple[tuple[str, dt.date, DeadlineStatus], ...]  # rule id, due, status
    open_items: tuple[tuple[str, str, str], ...]  # item id, check kind, state

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "deadlines": [
                {"rule": rule, "due": due.isoformat(), "status": status.value}
                for rule, due, status in self.deadlines
            ],
            "open_items": [
                {"item_id": item, "check": check, "state": state}
                for item, check, state in self.open_items
            ],
        }

    @property
    def key(self) -> str:
        """Changes exactly when what is mirrored changes (the bot posts once per key)."""
        data = json.dumps(self.to_dict(), sort_keys=True).encode()
        return "mirror:" + hashlib.sha256(data).hexdigest()[:16]


OPEN_DEADLINES = (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)


def mirror_of(status: ConsultationStatus, drafts: Iterable[DraftReview]) -> Mirror:
    """The stage, the deadlines still running and the checklist items of drafts not yet
    ready that are not met."""
    deadlines = tuple(
        (d.rule.id, d.due, d.status) for d in status.deadlines if d.status in OPEN_DEADLINES
    )
    items = tuple(
        (item.item_id, item.check.value, item.state.value)
        for review in drafts
        if review.latest not in review.ready
        for item in review.items
        if item.state.value != "met"
    )
    return Mirror(status.stages.current, deadlines, items)


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class TaskNotice:
    key: str
    task: CoordinationTask
    overdue: bool


def task_notices(board: Board, sent: Collection[str], today: dt.date) -> list[TaskNotice]:
    """The reminders owed now, each once (its key is remembered): a reminder from
    :data:`REMIND_DAYS_BEFORE` days before the due date, an overdue warning after it."""
    notices = []
    for held in board.open_tasks():
        task = held.task
        base = f"task:{task.task_id}:{task.due_date.isoformat()}"
        if today > task.due_date:
            notice = TaskNotice(f"{base}:overdue", task, True)
        elif today >= task.due_date - dt.timedelta(days=REMIND_DAYS_BEFORE):
            notice = TaskNotice(f"{base}:due", task, False)
        else:
            continue
        if notice.key not in sent:
            notices.append(notice)
    return notices
