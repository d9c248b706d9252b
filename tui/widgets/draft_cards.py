"""How draft review is drawn: a checklist card lists its items with their state, the
changes since the previous version and the answers given; a draft's card says where its
review stands (pure rendering; the state is the consultation core's)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from coopnet.consultation import Consultation
from coopnet.protocol import DraftChecklist, DraftRequest, Event
from coopnet.protocol.draft_render import STATE_MARKS, change_line, item_detail, item_title
from coopnet.protocol.draft_vocab import ItemState
from tui.i18n import field_label, label, show, value_label

STATE_STYLES = {ItemState.MET: "green", ItemState.MISSING: "bold red", ItemState.UNCLEAR: "yellow"}


def checklist_body(
    event: Event, core: Consultation, lang: str, expanded: bool
) -> RenderableType | None:
    """The body of a checklist card (None for any other event)."""
    if not isinstance(event, DraftChecklist):
        return None
    table = Table.grid(padding=(0, 1))
    table.add_column(overflow="fold" if expanded else "ellipsis", no_wrap=not expanded)
    review = core.draft_review(event.draft)
    for item in event.items:
        style = STATE_STYLES[item.state]
        line = Text.assemble(
            (f"{STATE_MARKS[item.state]} ", style),
            (show(item_title(item, lang)), "bold"),
            " — ",
            (value_label(item.state, lang), style),
        )
        detail = item_detail(item, lang)
        if detail and (expanded or item.state is not ItemState.MET):
            line.append(f" ({show(detail)})", style="dim")
        answers = review.answers_to(item.item_id, event.draft) if review is not None else []
        if answers:
            line.append(f"  ↩ {len(answers)} {label('ui.answers', lang)}", style="cyan")
            if expanded:
                for held in answers:
                    line.append(f"\n    {show(held.answer.comment)}", style="italic")
        if not expanded and item.state is ItemState.MET:
            continue  # the short card: what still needs work
        table.add_row(line)
    counts = {s: sum(1 for i in event.items if i.state is s) for s in ItemState}
    summary = Text(
        "  ".join(f"{STATE_MARKS[s]} {counts[s]} {value_label(s, lang)}" for s in ItemState)
    )
    parts: list[RenderableType] = [summary, table]
    if event.changes:
        by_id = {i.item_id: i for i in event.items}
        parts.append(Text(show(field_label("changes", lang)), style="bold"))
        parts += [Text(f"  {show(change_line(c, by_id, lang))}") for c in event.changes]
    if review is not None and review.is_ready and review.latest == event.draft:
        parts.append(Text(f"✓ {label('ui.draft_ready', lang)}", style="bold green"))
    return Group(*parts)


def review_mark(event: Event, event_id: str, core: Consultation, lang: str) -> Text | None:
    """Where a draft version's review stands, on its card."""
    if not isinstance(event, DraftRequest):
        return None
    review = core.draft_review(event_id)
    if review is None:
        return None  # refused: the refusal mark says why
    if review.latest != event_id:
        return Text(
            f"{label('ui.draft_version', lang)}: {label('reason.draft_replaced', lang)}",
            style="dim",
        )
    if review.is_ready:
        return Text(f"✓ {label('ui.draft_ready', lang)}", style="bold green")
    if review.checklist(event_id) is None:
        return Text(label("ui.checklist_awaited", lang), style="bright_black")
    missing = sum(1 for i in review.items if i.state is ItemState.MISSING)
    state = value_label(ItemState.MISSING, lang)
    return Text(f"{label('ui.draft_under_review', lang)} · ✗ {missing} {state}", style="yellow")
