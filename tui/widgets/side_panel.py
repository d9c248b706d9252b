"""The consultation's side panel: stage progress, open deadlines, assurances, and how
many documents (when there are any) with the keys of the documents panel."""

from __future__ import annotations

import datetime as dt

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from coopnet.consultation import DocumentState, relied_on
from coopnet.stages import MACHINES
from tui.directory import Directory
from tui.i18n import day, label, show, t, text, value_label
from tui.model import Consultation, urgency
from tui.names import Names


def render_panel(
    consultation: Consultation,
    today: dt.date,
    lang: str,
    names: Names | None = None,
) -> RenderableType:
    """Stages reached (with their dates) and those that can follow, open deadlines by due
    date, assurances; dates in the reader's locale, each on a line of its own."""
    parts: list[RenderableType] = []
    status = consultation.status(today)
    parts.append(Text(t("panel.stages", lang), style="bold underline"))
    if status is None:
        parts.append(Text(t("state.opening", lang), style="dim"))
    else:
        reached = {h.stage for h in status.stages.history}
        for entry in status.stages.history:
            parts.append(Text(show(f"● {value_label(entry.stage, lang)}"), style="green"))
            if entry.date:  # on a line of its own: a date is never cut in two
                parts.append(Text(f"  {day(entry.date, lang)}", style="green dim", no_wrap=True))
        machine = MACHINES[status.stages.kind]
        for stage in machine.next_stages(status.stages.current):
            if stage not in reached:
                parts.append(Text(show(f"○ {value_label(stage, lang)}"), style="dim"))
    parts.append(Text(""))
    parts.append(Text(t("panel.deadlines", lang), style="bold underline"))
    deadlines = consultation.open_deadlines(today)
    if not deadlines:
        parts.append(Text(t("panel.none", lang), style="dim"))
    for deadline in deadlines:
        state = urgency(deadline, today)
        style = {"overdue": "bold red", "near": "bold yellow"}.get(state, "")
        rule = label(f"rule.{deadline.rule.id}", lang)
        parts.append(Text(day(deadline.due, lang), style=f"bold {style}".strip(), no_wrap=True))
        parts.append(Text(show(f"  {rule}"), style=style))
        if deadline.calendar is not None:  # counted in working days: in which calendar
            calendar = f"  {label('ui.working_days', lang)}: {deadline.calendar}"
            parts.append(Text(show(calendar), style="dim"))
    parts.append(Text(""))
    parts.append(Text(t("panel.assurances", lang), style="bold underline"))
    assurances = consultation.assurances()
    if names is None:
        names = Names(Directory(), "")
    if not assurances:
        parts.append(Text(t("panel.none", lang), style="dim"))
    for assurance in assurances.values():
        line = (
            f"{value_label(assurance.assurance_type, lang)}: "
            f"{value_label(assurance.assurance_status, lang)} "
            f"({names.authority(assurance.giver, short=True)}"
            f" → {names.authority(assurance.receiver, short=True)})"
        )
        style = "bold red" if assurance.assurance_status == "breached" else ""
        parts.append(Text(show(line), style=style))
        for link in relied_on(consultation.core, assurance.assurance_id):
            relied = f"  {text('card.relied_on', lang)}: {link.citation}"
            parts.append(Text(show(relied), style="cyan"))
    documents = consultation.documents()
    if documents:
        parts.append(Text(""))
        parts.append(Text(t("panel.documents", lang), style="bold underline"))
        latest = [d for d in documents if d.is_latest]
        certified = sum(1 for d in latest if d.state is DocumentState.CERTIFIED)
        parts.append(Text(t("panel.documents_count", lang, n=len(latest), certified=certified)))
        parts.append(Text(t("panel.documents_keys", lang), style="dim"))
    return Group(*parts)


class SidePanel(Static):
    DEFAULT_CSS = """
    SidePanel { width: 38; border-left: solid $primary; padding: 0 1; height: 1fr; }
    """
