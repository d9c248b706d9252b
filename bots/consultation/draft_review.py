"""The requested authority's side of draft review: which drafts await a checklist, and
the checklist the bot posts for one (computed by the consultation core, never here)."""

from __future__ import annotations

import html

from coopnet.consultation import Consultation, DraftReview, changes_between, check_draft
from coopnet.consultation.draft_check import Attached
from coopnet.protocol import DraftChecklist
from coopnet.protocol.draft_records import ItemChange
from coopnet.protocol.draft_render import checklist_text
from coopnet.protocol.requirements import RequirementsFields


def awaiting_checklist(consultation: Consultation, authority_id: str) -> list[DraftReview]:
    """The drafts whose latest version the requested authority ``authority_id`` has not
    checked yet (none when it is not the requested side of the consultation)."""
    opened = consultation.opened
    if opened is None or opened.requested_authority != authority_id:
        return []
    return [r for r in consultation.drafts() if r.checklist() is None]


def checklist_for(
    review: DraftReview,
    profile: RequirementsFields,
    authority_id: str,
    attached: dict[str, Attached] | None = None,
) -> DraftChecklist:
    """The checklist of the review's latest version, with what changed since the last
    version that was checked (``attached``: the consultation's documents)."""
    items = check_draft(review.draft, profile, attached)
    previous = next(
        (d for d, _ in reversed(review.versions[:-1]) if review.checklist(d) is not None), None
    )
    changes: tuple[ItemChange, ...] = ()
    if previous is not None:
        held = review.checklist(previous)
        assert held is not None
        changes = changes_between(held.checklist.items, items)
    return DraftChecklist(
        draft=review.latest,
        items=items,
        authority=authority_id,
        illustrative=profile.illustrative is not False,
        previous=previous,
        changes=changes,
    )


def fallback(checklist: DraftChecklist, languages: list[str]) -> tuple[str, str]:
    """(body, formatted body) in each reader's language, one after the other."""
    texts = [checklist_text(checklist, lang) for lang in dict.fromkeys(languages)]
    body = "\n\n".join(texts)
    formatted = "".join(f"<p>{html.escape(t).replace(chr(10), '<br>')}</p>" for t in texts)
    return body, formatted
