"""Draft review in the client: what the draft forms start from (pure; the state is the
consultation core's :class:`~coopnet.consultation.DraftReview`)."""

from __future__ import annotations

from typing import Any

from coopnet.consultation import Consultation, DraftReview
from coopnet.protocol import ChecklistAnswer, DraftReady, DraftRequest, Event
from coopnet.protocol.draft_vocab import ItemState

REFUSED_FIELD = {"unknown_item": "item_id", "no_checklist": "draft", "unknown_draft": "draft"}
"""The form field a refused draft step points at (the rest: the ``draft`` field)."""


def latest_review(core: Consultation) -> DraftReview | None:
    reviews = core.drafts()
    return reviews[-1] if reviews else None


def draft_prefill(core: Consultation, cls: type[Event]) -> dict[str, Any]:
    """A new version starts from the latest one (and replaces it); an answer names the
    latest version and its first item that is not met; a confirmation, the latest."""
    review = latest_review(core)
    if review is None:
        return {}
    if cls is DraftRequest:
        content = review.draft.to_dict()
        content.pop("note", None)
        return {**content, "replaces": review.latest}
    if cls is ChecklistAnswer:
        open_items = [i for i in review.items if i.state is not ItemState.MET]
        values: dict[str, Any] = {"draft": review.latest}
        if open_items:
            values["item_id"] = open_items[0].item_id
        return values
    if cls is DraftReady:
        return {"draft": review.latest}
    return {}
