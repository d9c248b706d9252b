"""Progress queries and their answers (UNTOC art. 18(24)) (pure).

Either side asks for information on the status and progress of the request
(:class:`~coopnet.protocol.ProgressQuery`); the other side answers it, naming it
(:class:`~coopnet.protocol.ProgressAnswer`). The answer is due within the network's number
of working days, counted in the answering State's calendar; an answer to no query, to one
answered already or to one's own query is refused. :func:`propose_answer` is the answer
the bot proposes and the client pre-fills, from the consultation's state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from coopnet.protocol import ProgressAnswer
from coopnet.protocol.vocab import DeadlineStatus, RuleOrigin, Side, Stage
from coopnet.stages import (
    ConsultationStatus,
    Deadline,
    DeadlineRule,
    WorkingCalendar,
    step_deadline,
)

NO_SUCH_QUERY = "no_such_query"
QUERY_ANSWERED = "query_answered"
OWN_QUERY = "own_query"
REASONS = (NO_SUCH_QUERY, QUERY_ANSWERED, OWN_QUERY)

ANSWER_RULE = DeadlineRule(
    id="progress_answer",
    ruleset="common",
    trigger="step",
    source="UNTOC art. 18(24): the requested State responds to reasonable requests by the "
    "requesting State on the progress of its handling of the request; the period is the "
    "network's, in working days of the answering State",
    certainty="cited",
    responsible=None,  # whichever side was asked
    origin=RuleOrigin.COMMON,
)


@dataclass
class Query:
    event_id: str
    day: dt.date
    side: Side  # who asked
    answer_id: str | None = None
    answered_on: dt.date | None = None

    @property
    def answering(self) -> Side:
        return Side.REQUESTED if self.side is Side.REQUESTING else Side.REQUESTING


class Progress:
    """The progress queries of one consultation, built one accepted step at a time."""

    def __init__(self) -> None:
        self.queries: dict[str, Query] = {}

    def judge_answer(self, event: ProgressAnswer, side: Side | None) -> tuple[str, str] | None:
        query = self.queries.get(event.query)
        if query is None:
            return NO_SUCH_QUERY, f"{event.query} is no progress query of this consultation"
        if query.answer_id is not None:
            return QUERY_ANSWERED, f"{event.query} was answered already by {query.answer_id}"
        if side is not query.answering:
            return OWN_QUERY, "a progress query is answered by the side it was put to"
        return None

    def add_query(self, event_id: str, day: dt.date, side: Side) -> None:
        self.queries[event_id] = Query(event_id, day, side)

    def add_answer(self, event_id: str, day: dt.date, event: ProgressAnswer) -> None:
        query = self.queries.get(event.query)
        if query is not None and query.answer_id is None:
            query.answer_id, query.answered_on = event_id, day

    def open_queries(self, to: Side | None = None) -> list[Query]:
        """Unanswered queries (put to ``to``, if given), oldest first."""
        return [
            q
            for q in self.queries.values()
            if q.answer_id is None and (to is None or q.answering is to)
        ]

    def deadlines(
        self,
        today: dt.date,
        offsets: Sequence[int],
        working_days: int,
        calendar_of: Callable[[Side], WorkingCalendar],
    ) -> tuple[Deadline, ...]:
        out = []
        for query in self.queries.values():
            calendar = calendar_of(query.answering)
            due = calendar.add_working_days(query.day, working_days)
            closed = None
            if query.answered_on is not None:
                closed = (DeadlineStatus.MET, query.answered_on)
            rule = replace(ANSWER_RULE, responsible=query.answering)
            out.append(step_deadline(rule, query.day, due, today, offsets, closed, calendar.source))
        return tuple(out)


# What is awaited from whom at each stage (the side that acts next), for the proposal.
_AWAITED_FROM_REQUESTING = frozenset(
    {
        Stage.PRE_REQUEST_CONSULTATION,
        Stage.LOCATING_PERSON,
        Stage.PROVISIONAL_ARREST_EXECUTED,
        Stage.SUPPLEMENTARY_INFO_REQUESTED,
        Stage.SURRENDER_SCHEDULED,
        Stage.GRANTED,
    }
)


def propose_answer(status: ConsultationStatus, query_id: str) -> ProgressAnswer:
    """The answer the bot proposes to ``query_id`` from the consultation's state: the stage,
    the last step and its date, the next open deadline and who it is awaited from. The
    officer edits it (``answer``, ``awaited``) before sending."""
    history = status.stages.history
    last = history[-1]
    open_ = (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)
    pending = sorted(
        (d for d in status.deadlines if d.status in open_ and d.rule.id != ANSWER_RULE.id),
        key=lambda d: d.due,
    )
    nxt = pending[0] if pending else None
    awaited_from = nxt.rule.responsible if nxt is not None else None
    if awaited_from is None and not status.stages.is_final:
        awaited_from = (
            Side.REQUESTING if status.stages.current in _AWAITED_FROM_REQUESTING else Side.REQUESTED
        )
    return ProgressAnswer(
        query=query_id,
        stage=status.stages.current,
        last_step=last.stage if last.date is not None else None,
        last_step_date=last.date,
        next_deadline=nxt.due if nxt is not None else None,
        next_deadline_rule=nxt.rule.id if nxt is not None else None,
        awaited_from=awaited_from,
    )
