"""What the bot posts in an internal coordination room, in the reader's language (pure)."""

from __future__ import annotations

from bots.consultation.texts import text
from coopnet.consultation import Mirror, TaskNotice
from coopnet.protocol import label
from coopnet.protocol.labels import value_label


def render_mirror(mirror: Mirror, case_ref: str, lang: str) -> str:
    lines = [text("coordination.mirror.title", lang, case_ref=case_ref)]
    lines.append(f"{text('status.stage', lang)}: {value_label(mirror.stage, lang)}")
    lines.append(f"{text('status.deadlines', lang)}:")
    for rule, due, status in mirror.deadlines:
        lines.append(
            f"  {label(f'rule.{rule}', lang)}: {text('status.due', lang, due=due.isoformat())} "
            f"({value_label(status, lang)})"
        )
    if not mirror.deadlines:
        lines.append(f"  {text('status.no_deadlines', lang)}")
    lines.append(f"{text('coordination.open_items', lang)}:")
    for item_id, check, state in mirror.open_items:
        checked, how = label(f"check_kind.{check}", lang), label(f"item_state.{state}", lang)
        lines.append(f"  {item_id}: {checked} ({how})")
    if not mirror.open_items:
        lines.append(f"  {text('coordination.no_open_items', lang)}")
    return "\n".join(lines)


def render_task_notice(notice: TaskNotice, assignee: str, lang: str) -> str:
    task = notice.task
    key = "coordination.task.overdue" if notice.overdue else "coordination.task.due"
    return text(
        key,
        lang,
        task=task.task_id,
        assignee=assignee,
        due=task.due_date.isoformat(),
        title=task.title,
    )
