"""``!consult status`` as text in the reader's language (pure)."""

from __future__ import annotations

import datetime as dt

from bots.consultation.texts import text
from coopnet.consultation import Consultation
from coopnet.protocol import label
from coopnet.protocol.labels import value_label
from coopnet.protocol.vocab import DeadlineStatus


def render_status(consultation: Consultation, today: dt.date, case_ref: str, lang: str) -> str:
    status = consultation.status(today)
    if status is None:
        return text("status.not_opened", lang)
    lines = [text("status.title", lang, case_ref=case_ref)]
    stages = status.stages
    lines.append(f"{text('status.stage', lang)}: {value_label(stages.current, lang)}")
    lines.append(f"{text('status.history', lang)}:")
    for entry in stages.history:
        when = entry.date.isoformat() if entry.date else "—"
        lines.append(f"  {when}  {value_label(entry.stage, lang)}")
    lines.append(f"{text('status.deadlines', lang)}:")
    open_deadlines = [
        d for d in status.deadlines if d.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)
    ]
    for deadline in open_deadlines:
        lines.append(
            f"  {label(f'rule.{deadline.rule.id}', lang)}: "
            f"{text('status.due', lang, due=deadline.due.isoformat())} "
            f"({value_label(deadline.status, lang)})"
        )
        if deadline.rule.origin is not None:  # where the rule comes from, and its source
            lines.append(f"    {value_label(deadline.rule.origin, lang)}: {deadline.rule.source}")
        if deadline.calendar is not None:  # counted in working days: in which calendar
            lines.append(f"    {label('ui.working_days', lang)}: {deadline.calendar}")
    if not open_deadlines:
        lines.append(f"  {text('status.no_deadlines', lang)}")
    lines.append(f"{text('status.assurances', lang)}:")
    assurances = consultation.assurances()
    for assurance_id, record in sorted(assurances.items()):
        latest = record.latest
        lines.append(
            f"  {assurance_id}: {value_label(latest.assurance_type, lang)} — "
            f"{value_label(latest.assurance_status, lang)} "
            f"({latest.giver} → {latest.receiver}; {len(record.monitoring)} monitoring)"
        )
    if not assurances:
        lines.append(f"  {text('status.no_assurances', lang)}")
    conflicts = consultation.conflicts()
    if conflicts:
        lines.append(f"{text('status.conflicts', lang)}:")
        for conflict in conflicts:
            lines.append(f"  {conflict.event_id} ↔ {conflict.conflict_with}: {conflict.message}")
    return "\n".join(lines)
