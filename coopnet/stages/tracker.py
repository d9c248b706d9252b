"""One call from a consultation's timeline to its stage, history and deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coopnet.protocol.envelope import REVISION
from coopnet.protocol.events import (
    ConsultationOpened,
    DeadlineExtension,
    Event,
    RequirementsAnswer,
    StageTransition,
    SurrenderPostponement,
)
from coopnet.stages.deadlines import Deadline, compute
from coopnet.stages.machine import StageInput, StageState, derive, side_of
from coopnet.stages.profile_rules import profile_ruleset
from coopnet.stages.rulebook import Rulebook, load_rulebook


@dataclass(frozen=True)
class TimelineItem:
    """A parsed CoopNet event with what Matrix tells us about it.

    ``authority`` is the sender's authority id, resolved by the caller from the Matrix
    sender through the signed directory; ``day`` is the date of ``origin_server_ts``.
    """

    event: Event
    authority: str | None
    day: dt.date
    event_id: str | None = None
    revision: int = REVISION  # the rules revision it was sent under


def answers_for(opened: ConsultationOpened, answer: RequirementsAnswer, sender: str | None) -> bool:
    """Whether a requirements answer states the requested State's own law in this
    consultation: sent by the requested side about itself (never the other side's word)."""
    requested = opened.requested_authority
    return sender == requested and answer.authority == requested


@dataclass(frozen=True)
class ConsultationStatus:
    opened: ConsultationOpened
    stages: StageState
    deadlines: tuple[Deadline, ...]


def track(
    opened: ConsultationOpened,
    items: Iterable[TimelineItem],
    *,
    today: dt.date,
    rulebook: Rulebook | None = None,
    offsets: Sequence[int] | None = None,
) -> ConsultationStatus:
    """Derive stage, history and deadlines from the events that followed ``opened``."""
    book = rulebook if rulebook is not None else load_rulebook()
    inputs: list[StageInput] = []
    postponements: list[tuple[dt.date, SurrenderPostponement]] = []
    extensions: list[DeadlineExtension] = []
    requested: RequirementsAnswer | None = None
    for item in items:
        side = None
        if item.authority is not None:
            side = side_of(item.authority, opened.requesting_authority, opened.requested_authority)
        if isinstance(item.event, StageTransition):
            inputs.append(StageInput(item.event, side, item.event_id, item.revision))
        elif isinstance(item.event, RequirementsAnswer):
            if answers_for(opened, item.event, item.authority):
                requested = item.event
        elif isinstance(item.event, SurrenderPostponement) and side is not None:
            postponements.append((item.day, item.event))
        elif isinstance(item.event, DeadlineExtension) and side is not None:
            extensions.append(item.event)
    state = derive(opened.kind, inputs)
    return status_of(
        opened,
        state,
        postponements,
        extensions,
        today=today,
        rulebook=book,
        offsets=offsets,
        requested_state=requested,
    )


def status_of(
    opened: ConsultationOpened,
    state: StageState,
    postponements: Sequence[tuple[dt.date, SurrenderPostponement]],
    extensions: Sequence[DeadlineExtension],
    *,
    today: dt.date,
    rulebook: Rulebook | None = None,
    offsets: Sequence[int] | None = None,
    requested_state: RequirementsAnswer | None = None,
) -> ConsultationStatus:
    """The status for a stage state already derived (by :func:`track` or by the
    consultation core's fold): the deadlines its rules give on ``today``.
    ``requested_state`` is the requested State's answer on its own requirements in the
    consultation (see :func:`answers_for`), whose time limits rank below a treaty's."""
    book = rulebook if rulebook is not None else load_rulebook()
    own = None
    if requested_state is not None:
        own = profile_ruleset(requested_state, opened.requested_authority)
    deadlines = compute(
        book.rules_for(opened.kind, opened.legal_basis, own),
        state,
        today=today,
        offsets=book.reminder_offsets_days if offsets is None else offsets,
        postponements=postponements,
        extensions=extensions,
    )
    return ConsultationStatus(opened, state, deadlines)
