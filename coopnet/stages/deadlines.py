"""Compute a consultation's deadlines, their status and reminder dates.

Pure: the caller passes ``today`` (the bot's clock), the derived stage history, the
postponement and extension events. Nothing here reads a clock or a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coopnet.protocol.events import DeadlineExtension, SurrenderPostponement
from coopnet.protocol.vocab import DeadlineStatus, Stage
from coopnet.stages.machine import HistoryEntry, StageState
from coopnet.stages.rulebook import DeadlineRule

POSTPONEMENT_STAGES = frozenset(
    {Stage.SURRENDER_POSTPONED, Stage.TEMPORARY_SURRENDER, Stage.POSTPONED}
)


@dataclass(frozen=True)
class Deadline:
    rule: DeadlineRule
    start: dt.date
    due: dt.date
    limit: dt.date | None  # the latest the due date may be extended to
    status: DeadlineStatus
    closed_on: dt.date | None = None  # when met or cancelled
    late: bool = False  # met, but after the due date
    reminders: tuple[dt.date, ...] = ()
    warnings: tuple[str, ...] = ()
    extended: bool = False  # its due date was moved by a deadline extension


@dataclass(frozen=True)
class Reminder:
    deadline: Deadline
    on: dt.date


def _close(
    after: Sequence[HistoryEntry], met_at: Iterable[Stage], cancelled_at: Iterable[Stage]
) -> tuple[DeadlineStatus, dt.date | None] | None:
    met, cancelled = frozenset(met_at), frozenset(cancelled_at)
    for entry in after:
        if entry.stage in met:
            return DeadlineStatus.MET, entry.date
        if entry.stage in cancelled:
            return DeadlineStatus.CANCELLED, entry.date
    return None


def _finish(
    rule: DeadlineRule,
    start: dt.date,
    due: dt.date,
    closed: tuple[DeadlineStatus, dt.date | None] | None,
    today: dt.date,
    offsets: Sequence[int],
    extensions: Sequence[DeadlineExtension] = (),
) -> Deadline:
    warnings: list[str] = []
    limit = None
    extended = False
    if rule.extendable_to_days is not None:
        limit = start + dt.timedelta(days=rule.extendable_to_days)
    for ext in extensions:
        if ext.rule != rule.id or ext.extended_until < start:
            continue
        if limit is None:
            warnings.append(f"{rule.id} cannot be extended; extension ignored")
        elif ext.extended_until > limit:
            warnings.append(
                f"extension to {ext.extended_until.isoformat()} exceeds the maximum "
                f"{limit.isoformat()}; capped"
            )
            due, extended = limit, True
        else:
            due, extended = ext.extended_until, True
    if closed is not None:
        status, on = closed
        late = status is DeadlineStatus.MET and on is not None and on > due
        return Deadline(rule, start, due, limit, status, on, late, (), tuple(warnings), extended)
    status = DeadlineStatus.OVERDUE if today > due else DeadlineStatus.PENDING
    reminders = tuple(due + dt.timedelta(days=o) for o in offsets)
    return Deadline(
        rule, start, due, limit, status, None, False, reminders, tuple(warnings), extended
    )


def compute(
    rules: Iterable[DeadlineRule],
    state: StageState,
    *,
    today: dt.date,
    offsets: Sequence[int] = (-7, -2, 0, 1),
    postponements: Sequence[tuple[dt.date, SurrenderPostponement]] = (),
    extensions: Sequence[DeadlineExtension] = (),
) -> tuple[Deadline, ...]:
    """All deadlines of one consultation, oldest first.

    ``postponements`` are (date sent, event) in timeline order; ``extensions`` likewise.
    Reminder dates (due date + each offset in days) are given for open deadlines only.
    """
    history = state.history
    out: list[Deadline] = []
    for rule in rules:
        if rule.trigger == "stage":
            starts = [i for i, e in enumerate(history) if e.stage == rule.start_stage]
            if not starts or rule.days is None:
                continue
            entry = history[starts[-1]]
            start = entry.due_date if rule.start_from_due_date and entry.due_date else entry.date
            if start is None:
                continue
            due = start + dt.timedelta(days=rule.days)
            closed = _close(history[starts[-1] + 1 :], rule.met_at, rule.cancelled_at)
            out.append(_finish(rule, start, due, closed, today, offsets, extensions))
        elif rule.trigger == "postponement" and postponements:
            sent, event = postponements[-1]
            idx = [i for i, e in enumerate(history) if e.stage in POSTPONEMENT_STAGES]
            closed = None
            if idx:
                leaving = [e for e in history[idx[-1] + 1 :] if e.stage not in POSTPONEMENT_STAGES]
                if leaving and leaving[0].date is not None and leaving[0].date >= sent:
                    closed = (DeadlineStatus.MET, leaving[0].date)
            out.append(_finish(rule, sent, event.review_date, closed, today, offsets))
        elif rule.trigger == "transition_due_date":
            met_at = dict(rule.due_date_met_at)
            for i, entry in enumerate(history):
                if entry.due_date is None or entry.date is None:
                    continue
                if entry.stage in met_at:  # e.g. execution by a date (UNTOC art. 18(24))
                    closed = _close(history[i + 1 :], met_at[entry.stage], rule.cancelled_at)
                else:  # e.g. supplementary information by a date: met by the next step
                    nxt = history[i + 1] if i + 1 < len(history) else None
                    closed = None if nxt is None else (DeadlineStatus.MET, nxt.date)
                out.append(_finish(rule, entry.date, entry.due_date, closed, today, offsets))
    out.sort(key=lambda d: (d.start, d.due))
    return tuple(out)


def reminders_between(
    deadlines: Iterable[Deadline], after: dt.date, until: dt.date
) -> tuple[Reminder, ...]:
    """Reminders falling in ``(after, until]``: call with the last check date to fire each once."""
    found = [Reminder(d, on) for d in deadlines for on in d.reminders if after < on <= until]
    found.sort(key=lambda r: (r.on, r.deadline.due))
    return tuple(found)
