"""How one timeline entry is drawn: chat lines for messages, cards for structured events.

Pure rendering (Rich renderables); the reader's language labels the fields and values,
whatever language the sender used.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from coopnet.consultation import ReceiptMatch
from coopnet.protocol import Event, Receipt, StageTransition
from coopnet.protocol.fields import Boolean, Choice, Day, Instant, ListOf, Nested, Spec, spec_of
from coopnet.protocol.labels import event_label
from tui.i18n import day, field_label, label, show, t, value_label, when
from tui.model import Consultation, Entry, EntryKind

CARD_STYLES = {
    "opened": "cyan",
    "identity": "magenta",
    "requirements.query": "yellow",
    "requirements.answer": "yellow",
    "stage": "green",
    "assurance": "blue",
    "receipt": "bright_black",
}


def _scalar(spec: Spec, value: Any, lang: str) -> str:
    if isinstance(spec, Choice):
        return value_label(value, lang)
    if isinstance(spec, Boolean):
        return label("ui.yes" if value else "ui.no", lang)
    if isinstance(spec, Day):
        return day(value, lang)
    if isinstance(spec, Instant):
        return str(value.isoformat(timespec="seconds"))
    return str(value)


def _value(spec: Spec, value: Any, lang: str) -> str:
    if isinstance(spec, Nested):
        return "; ".join(
            f"{field_label(n, lang)}: {_value(s, v, lang)}" for n, s, v in items(value)
        )
    if isinstance(spec, ListOf):
        if isinstance(spec.item, Nested):
            return "\n".join(_value(spec.item, v, lang) for v in value)
        return ", ".join(_scalar(spec.item, v, lang) for v in value)
    return _scalar(spec, value, lang)


def items(record: Any) -> list[tuple[str, Spec, Any]]:
    out = []
    for f in fields(record):
        spec = spec_of(f)
        value = getattr(record, f.name)
        if spec is None or value is None or (isinstance(spec, ListOf) and not value):
            continue
        out.append((f.name, spec, value))
    return out


def sender_name(sender: str, own: str, lang: str) -> str:
    if sender == own:
        return t("you", lang)
    return sender.split(":", 1)[0].lstrip("@")


def untrusted_note(entry: Entry, lang: str) -> Text:
    """Said on every event of an untrusted device: it is not the officer's word."""
    return Text(t("entry.untrusted", lang, device=entry.device_id or "?"), style="bold red")


def render_entry(
    entry: Entry, consultation: Consultation, own_user: str, lang: str
) -> RenderableType:
    who = sender_name(entry.sender, own_user, lang)
    if not entry.trusted:
        # Never drawn as the officer's word: red, marked, the device named.
        head = Text.assemble(
            (f"⚠ {who}", "bold red"),
            (f"  {entry.sender.split(':', 1)[-1]}  {when(entry.ts, lang)}", "red"),
        )
        if entry.kind is EntryKind.STRUCTURED:
            return render_card(entry, consultation, f"⚠ {who}", lang)
        said = entry.body if entry.kind is not EntryKind.INVALID else t("entry.invalid", lang)
        return Group(head, untrusted_note(entry, lang), Text(show(said), style="red"))
    head = Text.assemble(
        (who, "bold green" if entry.sender == own_user else "bold cyan"),
        (f"  {entry.sender.split(':', 1)[-1]}  {when(entry.ts, lang)}", "dim"),
    )
    if entry.reply_to:
        head.append(f"  ↩ {t('entry.reply_to', lang)} {entry.reply_to[:12]}", style="dim italic")
    if entry.kind is EntryKind.TEXT:
        return Group(head, Text(show(entry.body)))
    if entry.kind is EntryKind.UNDECRYPTABLE:
        return Group(head, Text(t("entry.undecryptable", lang), style="italic yellow"))
    if entry.kind is EntryKind.OTHER:
        return Group(head, Text(entry.body, style="dim"))
    if entry.kind is EntryKind.INVALID:
        problems = entry.error.problems if entry.error else ()
        body = Text("\n".join(str(p) for p in problems[:8]), style="red")
        return Panel(
            body,
            title=t("entry.invalid", lang),
            title_align="left",
            border_style="red",
            subtitle=who,
            subtitle_align="right",
        )
    return render_card(entry, consultation, who, lang)


def field_table(event: Event, lang: str) -> Table:
    """A structured event's fields, labelled in the reader's language."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    if isinstance(event, StageTransition):
        arrow = f"{value_label(event.from_stage, lang)} → {value_label(event.to_stage, lang)}"
        table.add_row("", show(arrow))
    for name, spec, value in items(event):
        if isinstance(event, StageTransition) and name in ("from_stage", "to_stage"):
            continue
        table.add_row(show(field_label(name, lang)), show(_value(spec, value, lang)))
    return table


def render_card(entry: Entry, consultation: Consultation, who: str, lang: str) -> RenderableType:
    event = entry.event
    assert event is not None
    table = field_table(event, lang)
    body: RenderableType = table
    border = CARD_STYLES.get(event.TYPE, "white")
    if not entry.trusted:
        # What it says is not applied (the core refused it), certified or counted.
        title = show(event_label(event.TYPE, lang))
        return Panel(
            Group(untrusted_note(entry, lang), table),
            title=f"[b red]⚠ {title}[/b red]",
            title_align="left",
            border_style="bold red",
            subtitle=f"{who} · {when(entry.ts, lang)}",
            subtitle_align="right",
        )
    if isinstance(event, Receipt):
        check = consultation.receipt_check(event)
        style = {"matches": "green", "mismatch": "bold red", "unknown": "yellow"}[check.value]
        signature = consultation.receipt_signature(entry)
        if signature.valid is None:
            signed = Text(t("receipt.sig_unchecked", lang), style="yellow")
        elif signature.valid:
            signed = Text(t("receipt.sig_valid", lang, kid=signature.key_id or ""), style="green")
        else:
            signed = Text(t("receipt.sig_invalid", lang, reason=signature.reason), style="bold red")
        body = Group(table, Text(t(f"receipt.{check.value}", lang), style=style), signed)
        if check is ReceiptMatch.MISMATCH or signature.valid is False:
            border = "red"
    refusal = consultation.refusal(entry)
    if refusal is not None:
        # The bots refused it too (the same core): never shown as if it had happened.
        if refusal.conflict_with is not None:
            why = t("entry.conflict", lang, other=refusal.conflict_with[:12])
        else:
            why = t("entry.refused", lang, reason=refusal.message)
        body = Group(body, Text(why, style="bold red"))
        border = "red"
    title = show(event_label(event.TYPE, lang))
    return Panel(
        body,
        title=f"[b]{title}[/b]",
        title_align="left",
        border_style=border,
        subtitle=f"{who} · {when(entry.ts, lang)}",
        subtitle_align="right",
    )
