"""The rows of a consultation's documents panel (pure rendering, Rich renderables).

Each original first, its later versions under it, then its translations (each with its
own versions), as :func:`coopnet.consultation.document_tree` groups them; every row says
what the document is and its receipt state, drawn by the cards' own
:func:`~tui.widgets.cards.document_mark` so the panel and the timeline always agree.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from coopnet.consultation import DocumentRow, document_tree
from tui.i18n import has_rtl, show, t, value_label, when
from tui.model import Consultation
from tui.names import Names
from tui.widgets.cards import document_line, document_mark

INDENT = "   "
RTL_REASON = 24  # characters of a rejection's reason on a right-to-left row


def document_rows(consultation: Consultation) -> list[DocumentRow]:
    return document_tree(consultation.documents())


def render_row(
    row: DocumentRow, consultation: Consultation, names: Names, lang: str
) -> RenderableType:
    """One document: kind, title, version or translation; who sent it when; language,
    size and short hash; its receipt state."""
    held, document = row.held, row.held.document
    pad = INDENT * row.depth
    head = Text(pad)
    head.append(show(value_label(document.document_kind, lang)), style="bold")
    head.append(" · ")
    head.append(show(document.title), style="bold")
    tags = []
    if row.translation and row.version == 1:
        tags.append(t("docs.translation", lang))
    if row.version > 1:
        tags.append(t("docs.version", lang, n=row.version))
    if tags:
        head.append(f"  ({', '.join(tags)})", style="italic")
    sent_at = when(held.ts, lang)
    sent = Text(f"{pad}{INDENT}{show(names.person(held.sender, lang))} · {sent_at}", style="dim")
    line = Text(f"{pad}{INDENT}{document_line(document, lang)}", style="dim")
    for text in (head, sent, line):
        text.no_wrap = True
        text.overflow = "ellipsis"
    # The receipt state wraps, so a rejection's reason is read whole; right-to-left text
    # keeps one line (wrapped after reordering, its lines would read bottom up), its
    # reason cut before reordering so the state itself stays (``i``: the reason in full).
    rtl = has_rtl(t("doc.rejected", lang, who="", reason=""))
    state = document_mark(held, consultation, names, lang, RTL_REASON if rtl else None)
    mark = Text.assemble(pad + INDENT, state)
    if rtl:
        mark.no_wrap, mark.overflow = True, "ellipsis"
    return Group(head, sent, line, mark)


def render_none(lang: str) -> Text:
    return Text(t("docs.none", lang), style="dim")
