"""How one timeline entry is drawn: every kind of entry, in this one module.

:func:`render_entry` picks the drawing for an entry's kind: a chat message (sender, time,
text), a bot's notice (compact, in its own colour), a card for a structured event (a
coloured bar, its title, sender and time, its fields, then its marks), a rejected event,
an undecryptable one. A new kind of card is one more function here and one more branch
in :func:`render_entry`.

A receipt is not drawn on its own: it is a **mark** on the card of the event it
certifies ("✓ received by bot · Mexico 11:15"; red when the hash or the signature fails,
grey while it is awaited), with the full receipt in the details view (:func:`details`).
A bot's answer to a rejected event marks that event's card too. A document's card says
what it is (kind, title, size, short SHA-256) and its receipt state: certified by the
receiving bot, awaited, or rejected with the bot's reason (:func:`document_mark`, which
the documents panel shows too). Names come from the
directory (:mod:`tui.names`); raw ids only in the details view.

Pure rendering (Rich renderables); the reader's language labels the fields and values,
whatever language the sender used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from coopnet.consultation import DocumentState, HeldDocument, ReceiptMatch, relied_on
from coopnet.protocol import (
    AccessGranted,
    Assurance,
    AssuranceReliance,
    Document,
    Event,
    Problem,
    Receipt,
    StageTransition,
)
from coopnet.protocol.fields import (
    AUTHORITY,
    EVENT_ID,
    Boolean,
    Choice,
    Day,
    Instant,
    ListOf,
    Nested,
    Spec,
    spec_of,
)
from coopnet.protocol.fields import (
    Text as TextSpec,
)
from coopnet.protocol.handling import effective_handling
from coopnet.protocol.labels import event_label
from tui.i18n import (
    clock,
    date_text,
    day,
    field_label,
    file_size,
    label,
    moment,
    moment_near,
    show,
    t,
    text,
    value_label,
    when,
)
from tui.model import Consultation, Entry, EntryKind
from tui.names import Names
from tui.widgets.draft_cards import checklist_body, review_mark, step_rows

CARD_STYLES = {
    "opened": "cyan",
    "identity": "magenta",
    "requirements.query": "yellow",
    "requirements.answer": "yellow",
    "stage": "green",
    "assurance": "blue",
    "receipt": "bright_black",
    "document": "bright_blue",
    "draft": "bright_cyan",
    "draft.checklist": "bright_yellow",
    "draft.answer": "bright_cyan",
    "draft.ready": "bright_green",
    "access.granted": "bright_magenta",
    "access.ended": "bright_magenta",
}
NOTICE_STYLE = "bright_magenta"  # a bot's notices: never mistaken for an officer's words
CARD_ROWS = 3
"""Field rows a card shows until it is expanded (Enter on it), one line each: the
timeline reads like a conversation, the whole event is one key away."""
MAX_LABEL = 32  # columns a field label keeps before it gives way
GOOD, BAD, UNSURE, AWAITED = "green", "bold red", "yellow", "bright_black"


@dataclass(frozen=True)
class Bar:
    """A renderable drawn with a coloured bar down its left side (a card's edge): one
    column instead of a box's two extra lines."""

    inner: RenderableType
    style: str
    glyph: str = "▌"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - 2)
        bar = Segment(self.glyph + " ", Style.parse(self.style))
        for line in console.render_lines(self.inner, options.update(width=width), pad=False):
            yield bar
            yield from line
            yield Segment.line()


@dataclass(frozen=True)
class Head:
    """An entry's first line and its body, with one mark at the first line's right end
    when both fit on it (a receipt's ✓ beside the card's title), else below the body."""

    left: Text
    right: Text | None = None
    body: RenderableType = ""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        right = self.right
        room = options.max_width - self.left.cell_len - (right.cell_len if right else 0)
        if right is not None and room >= 2:
            line = self.left.copy()
            line.append(" " * room)
            line.append_text(right)
            yield line
            right = None
        else:
            yield self.left
        yield self.body
        if right is not None:
            yield right


# ---------------------------------------------------------------- values
def _scalar(spec: Spec, value: Any, lang: str, names: Names | None) -> str:
    if isinstance(spec, Choice):
        return value_label(value, lang)
    if isinstance(spec, Boolean):
        return label("ui.yes" if value else "ui.no", lang)
    if isinstance(spec, Day):
        return day(value, lang)
    if isinstance(spec, Instant):
        return moment(value, lang)
    if names is not None and isinstance(spec, TextSpec) and spec.pattern == AUTHORITY:
        return names.authority(str(value))
    return str(value)


def _value(spec: Spec, value: Any, lang: str, names: Names | None = None) -> str:
    if isinstance(spec, Nested):
        return "; ".join(
            f"{field_label(n, lang)}: {_value(s, v, lang, names)}" for n, s, v in items(value)
        )
    if isinstance(spec, ListOf):
        if isinstance(spec.item, Nested):
            return "\n".join(_value(spec.item, v, lang, names) for v in value)
        return ", ".join(_scalar(spec.item, v, lang, names) for v in value)
    return _scalar(spec, value, lang, names)


def items(record: Any) -> list[tuple[str, Spec, Any]]:
    out = []
    for f in fields(record):
        spec = spec_of(f)
        value = getattr(record, f.name)
        if spec is None or value is None or (isinstance(spec, ListOf) and not value):
            continue
        out.append((f.name, spec, value))
    return out


def field_rows(
    event: Event, lang: str, names: Names | None = None, with_ids: bool = False
) -> list[tuple[str, str]]:
    """A structured event's fields as (label, value), labelled in the reader's language
    (logical order); fields that hold an event id only ``with_ids`` (the details view)."""
    rows: list[tuple[str, str]] = []
    if isinstance(event, StageTransition):
        rows.append(
            ("", f"{value_label(event.from_stage, lang)} → {value_label(event.to_stage, lang)}")
        )
    for name, spec, value in items(event):
        if isinstance(event, StageTransition) and name in ("from_stage", "to_stage"):
            continue
        if isinstance(event, Receipt) and name == "event_id":
            continue  # a raw id: in the receipt's part of the details view
        if not with_ids and _is_event_id(spec):
            continue  # a raw id: in the details view
        rows.append((field_label(name, lang), _value(spec, value, lang, names)))
    return rows


def _is_event_id(spec: Spec) -> bool:
    item = spec.item if isinstance(spec, ListOf) else spec
    return isinstance(item, TextSpec) and item.pattern == EVENT_ID


def field_table(
    event: Event,
    lang: str,
    names: Names | None = None,
    limit: int | None = None,
    rows: list[tuple[str, str]] | None = None,
    with_ids: bool = False,
) -> Table:
    """The fields (or the ``rows`` given) as a two-column grid; ``limit`` rows at most,
    each on one line."""
    rows = field_rows(event, lang, names, with_ids) if rows is None else rows
    shown = rows if limit is None else rows[:limit]
    table = Table.grid(padding=(0, 1))
    # The labels stay whole (up to a third of a card); the values give way.
    widest = max((cell_len(name) for name, _ in shown), default=0)
    table.add_column(style="bold", no_wrap=True, min_width=min(widest, MAX_LABEL))
    if limit is None:
        table.add_column(overflow="fold")
    else:
        table.add_column(no_wrap=True, overflow="ellipsis")
    for name, value in shown:
        one_line = value if limit is None else value.replace("\n", " · ")
        table.add_row(show(name), show(one_line))
    return table


# ---------------------------------------------------------------- marks
def _bot_of(names: Names) -> Any:
    def bot_of(authority_id: str) -> str | None:
        party = names.directory.get(authority_id)
        return party.bot if party is not None else None

    return bot_of


def receipt_marks(entry: Entry, consultation: Consultation, names: Names, lang: str) -> list[Text]:
    """One line per receipt of a step; one grey line while the expected one is awaited."""
    marks: list[Text] = []
    for held in consultation.receipts_of(entry):
        receipt = held.receipt
        values = {
            "who": show(names.person(receipt.receiver, lang)),
            "at": moment_near(receipt.received_at, entry.ts, lang),
        }
        match = consultation.receipt_check(receipt)
        signature = consultation.core.receipt_signature(held.event_id)
        if match is ReceiptMatch.MISMATCH:
            marks.append(Text(t("mark.mismatch", lang, **values), style=BAD))
        elif signature.valid is False:
            marks.append(Text(t("mark.bad_signature", lang, **values), style=BAD))
        elif signature.valid is None:
            marks.append(Text(t("mark.unchecked", lang, **values), style=UNSURE))
        else:
            marks.append(Text(t("mark.received", lang, **values), style=GOOD))
    if not marks:
        bot = consultation.certifier(entry, _bot_of(names))
        if bot is not None:
            who = show(names.person(bot, lang))
            marks.append(Text(t("mark.awaited", lang, who=who), style=AWAITED))
    return marks


def answer_mark(entry: Entry, consultation: Consultation, names: Names, lang: str) -> Text | None:
    """The mark of a bot's answer on the event it refused."""
    answer = consultation.answers.get(entry.event_id)
    if answer is None or not names.is_bot(answer.sender):
        return None
    at = moment_near(dt.datetime.fromtimestamp(answer.ts / 1000, dt.UTC), entry.ts, lang)
    values = {"who": show(names.person(answer.sender, lang)), "at": at}
    return Text(t("mark.answered", lang, **values), style=BAD)


def document_mark(
    held: HeldDocument,
    consultation: Consultation,
    names: Names,
    lang: str,
    reason_limit: int | None = None,
) -> Text:
    """A document's receipt state: certified (by whom), the receipt certifying another
    file, rejected by the receiving bot (its reason, cut to ``reason_limit`` characters
    when given), or awaited."""
    if held.state is DocumentState.CERTIFIED:
        who = ", ".join(names.person(bot, lang) for bot in dict.fromkeys(held.certified_by))
        return Text(t("doc.certified", lang, who=who), style=GOOD)
    if held.state is DocumentState.MISMATCH:
        who = names.person(held.certifications[0].bot, lang)
        return Text(t("doc.mismatch", lang, who=who), style=BAD)
    answer = consultation.answers.get(held.event_id)
    if answer is not None and names.is_bot(answer.sender):
        reason = " ".join(answer.body.split())
        if reason_limit is not None and len(reason) > reason_limit:
            reason = reason[: reason_limit - 1] + "…"  # cut in logical order
        who = names.person(answer.sender, lang)
        return Text(t("doc.rejected", lang, who=who, reason=reason), style=BAD)
    entry = consultation.entry(held.event_id)
    bot = consultation.certifier(entry, _bot_of(names)) if entry is not None else None
    who = names.person(bot, lang) if bot is not None else "?"
    return Text(t("mark.awaited", lang, who=who), style=AWAITED)


def document_line(document: Document, lang: str) -> str:
    """Language, size and short hash of a document, on one line."""
    return (
        f"{document.language} · {file_size(document.size, lang)} · sha256 {document.sha256[:12]}…"
    )


def problem_line(problem: Problem, lang: str) -> str:
    """A validation problem named by its field's label (the raw path: in the details)."""
    name = re.sub(r"\[\d+\]$", "", problem.path.rsplit(".", 1)[-1]) if problem.path else ""
    where = field_label(name, lang) if name else ""
    return f"{where}: {problem.detail}" if where else f"{problem.reason}: {problem.detail}"


def refusal_mark(entry: Entry, consultation: Consultation, names: Names, lang: str) -> Text | None:
    refusal = consultation.refusal(entry)
    if refusal is None:
        return None
    # The bots refused it too (the same core): never shown as if it had happened.
    if refusal.conflict_with is not None:
        other = consultation.entry(refusal.conflict_with)
        what = refusal.conflict_with[:12]
        if other is not None and other.event is not None:
            what = f"{event_label(other.event.TYPE, lang)} · {names.person(other.sender, lang)}"
        return Text(t("entry.conflict", lang, other=show(what)), style=BAD)
    return Text(t("entry.refused", lang, reason=refusal.message), style=BAD)


# ---------------------------------------------------------------- entries
def is_folded(entry: Entry, consultation: Consultation) -> bool:
    """A receipt drawn as a mark on the card it certifies, not on its own."""
    event = entry.event
    return (
        isinstance(event, Receipt)
        and entry.trusted
        and entry.kind is EntryKind.STRUCTURED
        and consultation.has(event.event_id)
    )


def related(entry: Entry) -> str | None:
    """The entry whose drawing changes when ``entry`` arrives (the certified or refused
    event), if any."""
    if isinstance(entry.event, Receipt):
        return entry.event.event_id
    if entry.marker is not None and entry.marker[0] == "answer":
        return entry.marker[1]
    return None


def redrawn_by(entry: Entry, consultation: Consultation) -> list[str]:
    """Cards beside :func:`related` whose drawing ``entry`` changes: a "relied on" link
    marks every card of its assurance."""
    event = entry.event
    if not isinstance(event, AssuranceReliance):
        return []
    record = consultation.core.assurances().get(event.assurance_id)
    return [i for i in record.event_ids if i is not None] if record is not None else []


def relied_on_mark(event: Event, consultation: Consultation, lang: str) -> Text | None:
    """On an assurance's card: the library entries it relies on (citation, court, date)."""
    if not isinstance(event, Assurance):
        return None
    links = relied_on(consultation.core, event.assurance_id)
    if not links:
        return None
    cited = []
    for link in links:
        where = [x for x in (link.court, link.jurisdiction) if x]
        if link.date is not None:
            where.append(date_text(link.date, lang))
        cited.append(f"{link.citation} ({', '.join(where)})" if where else link.citation)
    return Text(show(f"{text('card.relied_on', lang)}: " + "; ".join(cited)), style="cyan")


def access_mark(
    entry: Entry, consultation: Consultation, lang: str, today: dt.date | None = None
) -> Text | None:
    """On a grant's card: whether the expert's access is in force, expired (the granting
    bot removes the expert) or ended, as the consultation core folded it."""
    if not isinstance(entry.event, AccessGranted):
        return None
    held = consultation.core.access.grants.get(entry.event_id)
    if held is None:  # refused: the refusal mark says why
        return None
    until = date_text(held.until, lang)
    if held.end is not None:
        return Text(t("card.access.ended", lang), style=AWAITED)
    if held.in_force(today or dt.datetime.now(dt.UTC).date()):
        return Text(t("card.access.in_force", lang, until=until), style=GOOD)
    return Text(t("card.access.expired", lang, until=until), style=UNSURE)


def untrusted_note(entry: Entry, lang: str) -> Text:
    """Said on every event of an untrusted device: it is not the officer's word."""
    label = "entry.from_backup" if entry.from_backup else "entry.untrusted"
    return Text(t(label, lang, device=entry.device_id or "?"), style="bold red")


def _head(title: str, title_style: str, who: str, ts: int, lang: str, more: int = 0) -> Text:
    """Title, sender and time of day (the timeline's day divider gives the date); how
    many fields the short card leaves out."""
    head = Text.assemble((show(title), title_style))
    if who:
        head.append("  ")
        head.append(show(who), style="bold")
    head.append(f"  {clock(ts, lang)}", style="dim")
    if more:
        head.append(f"  {t('card.more', lang, n=more)}", style="dim")
    return head


def render_entry(
    entry: Entry,
    consultation: Consultation,
    names: Names,
    lang: str,
    expanded: bool = False,
) -> RenderableType | None:
    """How ``entry`` is drawn; None for a receipt drawn as a mark on its event's card."""
    if is_folded(entry, consultation):
        return None
    who = names.person(entry.sender, lang)
    if not entry.trusted:
        return _untrusted(entry, consultation, who, lang, expanded)
    if entry.kind is EntryKind.STRUCTURED:
        if isinstance(entry.event, Receipt):
            return _lone_receipt(entry, who, lang)
        if isinstance(entry.event, Document) and not expanded:
            return render_document(entry, entry.event, consultation, names, lang)
        return render_card(entry, consultation, names, lang, expanded)
    if entry.kind is EntryKind.INVALID:
        return _rejected(entry, consultation, names, who, lang, expanded)
    if entry.notice and names.is_bot(entry.sender):
        return _notice(entry, who, lang)
    own = entry.sender == names.own_user
    head = Text.assemble((show(who), "bold green" if own else "bold cyan"))
    head.append(f"  {clock(entry.ts, lang)}", style="dim")
    if entry.reply_to:
        head.append(f"  ↩ {t('entry.reply_to', lang)} ", style="dim italic")
        replied = consultation.entry(entry.reply_to)
        if replied is not None:
            head.append(show(names.person(replied.sender, lang)), style="dim italic")
    if entry.kind is EntryKind.UNDECRYPTABLE:
        return Group(head, Text(t("entry.undecryptable", lang), style="italic yellow"))
    if entry.kind is EntryKind.OTHER:
        return Group(head, Text(entry.body, style="dim"))
    return Group(head, Text(show(entry.body)))


def _notice(entry: Entry, who: str, lang: str) -> RenderableType:
    """A bot's notice (reminder, answer, command output): compact and in its own colour."""
    head = Text.assemble(("◆ ", NOTICE_STYLE), (show(who), f"bold {NOTICE_STYLE}"))
    head.append(f"  {clock(entry.ts, lang)}", style="dim")
    kind = entry.marker[0] if entry.marker else "reply"
    if kind in ("reminder", "answer", "untrusted"):
        head.append(f"  · {t(f'notice.{kind}', lang)}", style=NOTICE_STYLE)
    body = Text(show(entry.body), style=f"italic {NOTICE_STYLE}")
    return Group(head, Bar(body, NOTICE_STYLE, glyph=" "))


def _lone_receipt(entry: Entry, who: str, lang: str) -> RenderableType:
    """A receipt for an event this device does not hold: one line, never hidden."""
    head = _head(t("receipt.unknown", lang), UNSURE, who, entry.ts, lang)
    return Bar(head, UNSURE)


def _untrusted(
    entry: Entry, consultation: Consultation, who: str, lang: str, expanded: bool
) -> RenderableType:
    # Never drawn as the officer's word: red, marked, the device named.
    parts: list[RenderableType] = [untrusted_note(entry, lang)]
    if entry.kind is EntryKind.STRUCTURED and entry.event is not None:
        title = f"⚠ {event_label(entry.event.TYPE, lang)}"
        parts.append(field_table(entry.event, lang, None, None if expanded else CARD_ROWS))
    else:
        title = f"⚠ {t('entry.untrusted.title', lang)}"
        said = entry.body if entry.kind is not EntryKind.INVALID else t("entry.invalid", lang)
        parts.append(Text(show(said), style="red"))
    return Bar(Group(_head(title, "bold red", who, entry.ts, lang), *parts), "bold red")


def _rejected(
    entry: Entry,
    consultation: Consultation,
    names: Names,
    who: str,
    lang: str,
    expanded: bool,
) -> RenderableType:
    problems = entry.error.problems if entry.error else ()
    shown = problems if expanded else problems[:CARD_ROWS]
    head = _head(
        t("entry.invalid", lang), "bold red", who, entry.ts, lang, len(problems) - len(shown)
    )
    lines = "\n".join(show(problem_line(p, lang)) for p in shown)
    body = Text(lines, style="red", no_wrap=not expanded, overflow="ellipsis")
    answered = answer_mark(entry, consultation, names, lang)
    return Bar(Head(head, answered, body), "red")


def render_card(
    entry: Entry,
    consultation: Consultation,
    names: Names,
    lang: str,
    expanded: bool = False,
) -> RenderableType:
    """A structured event's card: title, sender and time; its fields; its marks."""
    event = entry.event
    assert event is not None
    border = CARD_STYLES.get(event.TYPE, "white")
    checklist = checklist_body(event, consultation.core, lang, expanded)
    step = step_rows(event, consultation.core, lang)
    fields_shown = step if step is not None else field_rows(event, lang, names)
    rows = len(fields_shown) if checklist is None else 0
    limit = None if expanded else CARD_ROWS
    marks: list[Text] = []
    refused = refusal_mark(entry, consultation, names, lang)
    if refused is not None:
        marks.append(refused)
        border = "red"
    answered = answer_mark(entry, consultation, names, lang)
    if answered is not None:
        marks.append(answered)
    received = receipt_marks(entry, consultation, names, lang)
    if any(mark.style == BAD for mark in received):
        border = "red"
    marks += received
    review = review_mark(event, entry.event_id, consultation.core, lang)
    if review is not None:
        marks.append(review)
    relied = relied_on_mark(event, consultation, lang)
    if relied is not None:
        marks.append(relied)
    access = access_mark(entry, consultation, lang)
    if access is not None:
        marks.append(access)
    codes, by_default = effective_handling(event, consultation.core.settings.handling)
    if by_default and codes:  # sent without codes: the network's default applies
        shown = ", ".join(value_label(code, lang) for code in codes)
        note = f"{label('field.handling', lang)}: {shown} ({label('ui.handling_default', lang)})"
        marks.append(Text(show(note), style="dim"))
    head = _head(
        event_label(event.TYPE, lang),
        f"bold {border}",
        names.person(entry.sender, lang),
        entry.ts,
        lang,
        0 if limit is None else max(0, rows - limit),
    )
    table = (
        checklist if checklist is not None else field_table(event, lang, names, limit, fields_shown)
    )
    if len(marks) == 1:  # beside the title when it fits
        return Bar(Head(head, marks[0], table), border)
    return Bar(Group(head, table, *marks), border)


def render_document(
    entry: Entry, document: Document, consultation: Consultation, names: Names, lang: str
) -> RenderableType:
    """A document's card: kind, title, size, short hash, links, who certified it (Enter
    shows every field, as on any card)."""
    border = CARD_STYLES["document"]
    marks: list[Text] = []
    refused = refusal_mark(entry, consultation, names, lang)
    held = consultation.document(entry.event_id)
    if refused is not None:
        marks.append(refused)
    elif held is not None:
        marks.append(document_mark(held, consultation, names, lang))
    if any(mark.style == BAD for mark in marks):
        border = "red"
    title = f"{event_label(document.TYPE, lang)} · {value_label(document.document_kind, lang)}"
    head = _head(title, f"bold {border}", names.person(entry.sender, lang), entry.ts, lang)
    body = [
        Text(show(document.title), style="bold", no_wrap=True, overflow="ellipsis"),
        Text(document_line(document, lang), style="dim", no_wrap=True, overflow="ellipsis"),
    ]
    for name, linked in (
        ("replaces", document.replaces),
        ("translation_of", document.translation_of),
    ):
        if linked is not None:
            other = consultation.document(linked)
            what = other.document.title if other is not None else linked[:16]
            line = show(f"{field_label(name, lang)}: {what}")
            body.append(Text(line, style="dim italic", no_wrap=True, overflow="ellipsis"))
    return Bar(Group(head, *body, *marks), border)


# ---------------------------------------------------------------- details
def details(entry: Entry, consultation: Consultation, names: Names, lang: str) -> RenderableType:
    """Everything about one entry, raw ids included: the details view (key ``i``)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(key: str, value: str) -> None:
        grid.add_row(show(t(key, lang)), show(value))

    row("details.event_id", entry.event_id)
    row("details.sender", f"{names.person(entry.sender, lang)} ({entry.sender})")
    if entry.device_id:
        row("details.device", entry.device_id)
    row("details.sent_at", when(entry.ts, lang))
    row("details.trusted", label("ui.yes" if entry.trusted else "ui.no", lang))
    parts: list[RenderableType] = [grid]
    event = entry.event
    if event is not None:
        row("details.type", event.TYPE)
        digest = consultation.core.payload_hash(entry.event_id)
        if digest:
            row("details.hash", digest)
        parts += [Text(""), Text(show(event_label(event.TYPE, lang)), style="bold underline")]
        parts.append(field_table(event, lang, names, with_ids=True))
        if isinstance(event, Receipt):
            parts += [Text(""), *_receipt_details(entry, consultation, names, lang)]
    for held in consultation.receipts_of(entry):
        held_entry = consultation.entry(held.event_id)
        if held_entry is not None:
            parts += [Text(""), *_receipt_details(held_entry, consultation, names, lang)]
    marks = [
        m
        for m in (
            refusal_mark(entry, consultation, names, lang),
            answer_mark(entry, consultation, names, lang),
        )
        if m is not None
    ]
    if marks:
        parts += [Text(""), *marks]
    answer = consultation.answers.get(entry.event_id)
    if answer is not None and names.is_bot(answer.sender):
        parts.append(Text(show(answer.body), style=f"italic {NOTICE_STYLE}"))
    if entry.error is not None:
        parts += [Text(""), *(Text(str(p), style="red") for p in entry.error.problems)]
    return Group(*parts)


def _receipt_details(
    entry: Entry, consultation: Consultation, names: Names, lang: str
) -> Iterable[RenderableType]:
    """A receipt in full: what it certifies, who received it when, and both checks."""
    receipt = entry.event
    assert isinstance(receipt, Receipt)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    receiver = f"{names.person(receipt.receiver, lang)} ({receipt.receiver})"
    for key, value in (
        ("details.receipt_id", entry.event_id),
        ("details.certifies", receipt.event_id),
        ("details.hash", receipt.content_hash),
        ("details.receiver", receiver),
        ("details.received_at", moment(receipt.received_at, lang)),
    ):
        grid.add_row(show(t(key, lang)), show(value))
    yield Text(show(event_label(receipt.TYPE, lang)), style="bold underline")
    yield grid
    check = consultation.receipt_check(receipt)
    yield Text(
        t(f"receipt.{check.value}", lang),
        style={"matches": GOOD, "mismatch": BAD, "unknown": UNSURE}[check.value],
    )
    signature = consultation.core.receipt_signature(entry.event_id)
    if signature.valid is None:
        yield Text(t("receipt.sig_unchecked", lang), style=UNSURE)
    elif signature.valid:
        yield Text(t("receipt.sig_valid", lang, kid=signature.key_id or ""), style=GOOD)
    else:
        yield Text(t("receipt.sig_invalid", lang, reason=signature.reason), style=BAD)
