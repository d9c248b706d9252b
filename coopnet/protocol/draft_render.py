"""Readable text of draft review in one language: checklist items, a checklist's fallback
body, and validation problems named by their field (the bot and the client share them)."""

from __future__ import annotations

import re

from coopnet.protocol.draft_records import ChecklistItem, ItemChange
from coopnet.protocol.draft_vocab import CheckKind, ItemState
from coopnet.protocol.events import DraftChecklist
from coopnet.protocol.labels import event_label, field_label, label, value_label
from coopnet.protocol.validation import Problem

STATE_MARKS = {ItemState.MET: "✓", ItemState.MISSING: "✗", ItemState.UNCLEAR: "?"}


def item_title(item: ChecklistItem, lang: str) -> str:
    """What the item is about: its kind, and the document or ground it concerns."""
    title = value_label(item.check, lang)
    if item.check is CheckKind.REQUIRED_DOCUMENT and item.document_kinds:
        return f"{title}: {' / '.join(value_label(k, lang) for k in item.document_kinds)}"
    if item.check is CheckKind.REFUSAL_GROUND and item.ground is not None:
        return f"{title}: {value_label(item.ground, lang)}"
    return title


def item_detail(item: ChecklistItem, lang: str) -> str:
    """The values that say why the item stands as it does (empty when none)."""
    parts: list[str] = []
    months, days = label("ui.months", lang), label("ui.days", lang)
    if item.check is CheckKind.PENALTY_THRESHOLD and item.stated_months is not None:
        if item.threshold_months is not None:
            parts.append(
                f"{field_label('stated_months', lang)}: {item.stated_months} {months}; "
                f"{field_label('threshold_months', lang)}: {item.threshold_months} {months}"
            )
    if item.check is not CheckKind.REQUIRED_DOCUMENT and item.document_kinds:
        kinds = ", ".join(value_label(k, lang) for k in item.document_kinds)
        parts.append(f"{field_label('document_kinds', lang)}: {kinds}")
    if item.languages:
        parts.append(f"{field_label('languages', lang)}: {', '.join(item.languages)}")
    if item.certifications:
        forms = ", ".join(value_label(c, lang) for c in item.certifications)
        parts.append(f"{field_label('accepted_certifications', lang)}: {forms}")
    if item.legal_bases:
        bases = ", ".join(value_label(b, lang) for b in item.legal_bases)
        parts.append(f"{field_label('legal_bases', lang)}: {bases}")
    if item.provisional_arrest_days is not None:
        parts.append(
            f"{field_label('provisional_arrest_days', lang)}: {item.provisional_arrest_days} {days}"
        )
    if item.surrender_days is not None:
        parts.append(f"{field_label('surrender_days', lang)}: {item.surrender_days} {days}")
    return "; ".join(parts)


def item_line(item: ChecklistItem, lang: str) -> str:
    detail = item_detail(item, lang)
    state = value_label(item.state, lang)
    line = f"{STATE_MARKS[item.state]} {item_title(item, lang)} — {state}"
    return f"{line} ({detail})" if detail else line


def change_line(change: ItemChange, items: dict[str, ChecklistItem], lang: str) -> str:
    item = items.get(change.item_id)
    title = item_title(item, lang) if item is not None else change.item_id

    def state(value: ItemState | None) -> str:
        return value_label(value, lang) if value is not None else "—"

    return f"{title}: {state(change.state_before)} → {state(change.state_after)}"


def checklist_text(checklist: DraftChecklist, lang: str) -> str:
    """A checklist as a reader without CoopNet sees it, in ``lang``."""
    lines = [f"[{label('ui.header', lang)}] {event_label(checklist.TYPE, lang)}"]
    if checklist.illustrative:
        lines[0] += f" ({label('ui.checklist_illustrative', lang)})"
    lines.append(f"{field_label('draft', lang)}: {checklist.draft}")
    lines += [item_line(i, lang) for i in checklist.items]
    if checklist.changes:
        by_id = {i.item_id: i for i in checklist.items}
        lines.append(f"{field_label('changes', lang)}:")
        lines += [f"  {change_line(c, by_id, lang)}" for c in checklist.changes]
    return "\n".join(lines)


def problem_text(problem: Problem, lang: str) -> str:
    """A validation problem in ``lang``: the field's label and path, what is wrong, and
    the exact limit or pattern (which reads the same in every language)."""
    name = re.sub(r"\[\d+\]$", "", problem.path.rsplit(".", 1)[-1]) if problem.path else ""
    where = f"{field_label(name, lang)} ({problem.path})" if name else "(root)"
    reason = label(f"problem.{problem.reason}", lang)
    if reason == f"problem.{problem.reason}":
        reason = problem.reason
    return f"{where}: {reason} — {problem.detail}"
