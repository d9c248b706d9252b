"""Draft review in a consultation: drafts and their versions, checklists, answers to
checklist items, and the confirmation that a draft is ready to transmit (pure).

The rules (:meth:`DraftRegister.judge`): the requesting side shares drafts, and a new
version replaces the latest one; the requested side posts checklists and alone confirms a
draft ready; an answer names an item of the checklist of the draft it answers. The fold
(:mod:`coopnet.consultation.fold`) calls them; :meth:`DraftRegister.reviews` is what the
bot and the client show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coopnet.consultation.draft_check import changes_between
from coopnet.protocol import ChecklistAnswer, DraftChecklist, DraftReady, DraftRequest, Event
from coopnet.protocol.draft_records import ChecklistItem, ItemChange
from coopnet.protocol.vocab import Side

# Reason codes of refused draft steps (labels ``reason.<code>`` in six languages).
DRAFT_WRONG_SIDE = "draft_wrong_side"
UNKNOWN_DRAFT = "unknown_draft"
DRAFT_REPLACED = "draft_replaced"
NO_CHECKLIST = "no_checklist"
UNKNOWN_ITEM = "unknown_item"
ALREADY_READY = "already_ready"
DRAFT_REASONS = (
    DRAFT_WRONG_SIDE,
    UNKNOWN_DRAFT,
    DRAFT_REPLACED,
    NO_CHECKLIST,
    UNKNOWN_ITEM,
    ALREADY_READY,
)

DraftStep = DraftRequest | DraftChecklist | ChecklistAnswer | DraftReady


@dataclass(frozen=True)
class HeldAnswer:
    event_id: str
    authority: str | None
    answer: ChecklistAnswer


@dataclass(frozen=True)
class HeldChecklist:
    event_id: str
    checklist: DraftChecklist


@dataclass
class DraftReview:
    """One draft and its versions, as every reader of the consultation sees it."""

    versions: list[tuple[str, DraftRequest]] = field(default_factory=list)  # oldest first
    checklists: dict[str, HeldChecklist] = field(default_factory=dict)  # by draft version id
    answers: dict[str, list[HeldAnswer]] = field(default_factory=dict)  # by draft version id
    ready: dict[str, str] = field(default_factory=dict)  # draft version id -> ready event id

    @property
    def first(self) -> str:
        return self.versions[0][0]

    @property
    def latest(self) -> str:
        return self.versions[-1][0]

    @property
    def draft(self) -> DraftRequest:
        return self.versions[-1][1]

    def checklist(self, draft_id: str | None = None) -> HeldChecklist | None:
        return self.checklists.get(draft_id or self.latest)

    @property
    def items(self) -> tuple[ChecklistItem, ...]:
        held = self.checklist()
        return held.checklist.items if held is not None else ()

    def previous_items(self) -> tuple[ChecklistItem, ...] | None:
        """The checklist of the version before the latest (None: no earlier checklist)."""
        for draft_id, _ in reversed(self.versions[:-1]):
            held = self.checklists.get(draft_id)
            if held is not None:
                return held.checklist.items
        return None

    def changes(self) -> tuple[ItemChange, ...]:
        """Items whose state changed since the previous version's checklist."""
        before = self.previous_items()
        if before is None or self.checklist() is None:
            return ()
        return changes_between(before, self.items)

    def answers_to(self, item_id: str, draft_id: str | None = None) -> list[HeldAnswer]:
        answers = self.answers.get(draft_id or self.latest, [])
        return [a for a in answers if a.answer.item_id == item_id]

    @property
    def is_ready(self) -> bool:
        """Ready to transmit: the requested side confirmed the latest version."""
        return self.latest in self.ready


class DraftRegister:
    def __init__(self) -> None:
        self._reviews: list[DraftReview] = []
        self._by_version: dict[str, DraftReview] = {}

    def reviews(self) -> list[DraftReview]:
        """Every draft of the consultation, in the order it was first shared."""
        return list(self._reviews)

    def review_of(self, draft_id: str) -> DraftReview | None:
        """The review a draft version belongs to."""
        return self._by_version.get(draft_id)

    def judge(self, event: Event, side: Side | None) -> tuple[str, str] | None:
        """(reason code, English message) when the step is refused, else None."""
        if isinstance(event, DraftRequest):
            if side is not Side.REQUESTING:
                return DRAFT_WRONG_SIDE, "draft: only the requesting side shares a draft"
            if event.replaces is not None:
                review = self._by_version.get(event.replaces)
                if review is None:
                    return UNKNOWN_DRAFT, f"draft: replaces {event.replaces}, not a draft here"
                if review.latest != event.replaces:
                    return (
                        DRAFT_REPLACED,
                        f"draft: {event.replaces} was already replaced by {review.latest}",
                    )
            return None
        if not isinstance(event, DraftChecklist | ChecklistAnswer | DraftReady):
            return None
        review = self._by_version.get(event.draft)
        if review is None:
            return UNKNOWN_DRAFT, f"{event.TYPE}: {event.draft} is not a draft here"
        if isinstance(event, DraftChecklist):
            if side is not Side.REQUESTED:
                return DRAFT_WRONG_SIDE, "draft.checklist: only the requested side checks a draft"
            return None
        checklist = review.checklist(event.draft)
        if isinstance(event, ChecklistAnswer):
            if checklist is None:
                return NO_CHECKLIST, f"draft.answer: {event.draft} has no checklist yet"
            if event.item_id not in {i.item_id for i in checklist.checklist.items}:
                return (
                    UNKNOWN_ITEM,
                    f"draft.answer: the checklist of {event.draft} has no item {event.item_id!r}",
                )
            return None
        if side is not Side.REQUESTED:
            return DRAFT_WRONG_SIDE, "draft.ready: only the requested side confirms a draft"
        if review.latest != event.draft:
            return DRAFT_REPLACED, f"draft.ready: {event.draft} was replaced by {review.latest}"
        if event.draft in review.ready:
            return ALREADY_READY, f"draft.ready: {event.draft} is already ready to transmit"
        return None

    def apply(self, event_id: str, event: DraftStep, authority: str | None) -> None:
        """Apply a step that :meth:`judge` accepted."""
        if isinstance(event, DraftRequest):
            review = self._by_version.get(event.replaces) if event.replaces else None
            if review is None:
                review = DraftReview()
                self._reviews.append(review)
            review.versions.append((event_id, event))
            self._by_version[event_id] = review
            return
        review = self._by_version[event.draft]
        if isinstance(event, DraftChecklist):
            review.checklists[event.draft] = HeldChecklist(event_id, event)
        elif isinstance(event, ChecklistAnswer):
            review.answers.setdefault(event.draft, []).append(
                HeldAnswer(event_id, authority, event)
            )
        else:
            review.ready[event.draft] = event_id
