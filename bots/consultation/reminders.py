"""Which deadline reminders and overdue warnings to post now (pure).

Each notice has a key that the record remembers, so it is posted once. After the bot
was offline it posts only the latest reminder that fell due (not every missed one),
or the overdue warning when the date has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bots.consultation.texts import text
from coopnet.protocol import label
from coopnet.protocol.vocab import DeadlineStatus
from coopnet.stages import ConsultationStatus, Deadline


@dataclass(frozen=True)
class Notice:
    key: str
    text: str


def _base(deadline: Deadline) -> str:
    return f"{deadline.rule.id}:{deadline.start.isoformat()}:{deadline.due.isoformat()}"


def _calendar(deadline: Deadline, lang: str) -> str:
    """Which calendar a deadline counted in working days used (empty: calendar days)."""
    if deadline.calendar is None:
        return ""
    return f" ({label('ui.working_days', lang)}: {deadline.calendar})"


def due_notices(
    status: ConsultationStatus, sent: set[str], today: dt.date, lang: str
) -> list[Notice]:
    notices = []
    for deadline in status.deadlines:
        base = _base(deadline)
        rule = label(f"rule.{deadline.rule.id}", lang)
        if deadline.status is DeadlineStatus.OVERDUE:
            key = f"{base}:overdue"
            if key not in sent:
                body = text("overdue.title", lang, rule=rule, due=deadline.due)
                notices.append(Notice(key, body + _calendar(deadline, lang)))
            continue
        if deadline.status is not DeadlineStatus.PENDING:
            continue
        fallen_due = sorted(on for on in deadline.reminders if on <= today)
        if not fallen_due:
            continue
        key = f"{base}:{fallen_due[-1].isoformat()}"
        if key in sent:
            continue
        days = (deadline.due - today).days
        body = text("reminder.due", lang, rule=rule, due=deadline.due, days=days)
        notices.append(Notice(key, body + _calendar(deadline, lang)))
    return notices
