"""The completeness check of a draft request against the requested State's profile (pure).

:func:`check_draft` gives one :class:`~coopnet.protocol.draft_records.ChecklistItem` per
thing the requested State will look at (the issue's list: required documents, translation,
certification, legal basis, dual criminality, penalty threshold, time limits, refusal
grounds that may apply); each is met, missing or unclear. Unclear means the draft does not
say, or the profile does not, so nobody can tell yet: it is never reported as met.
:func:`changes_between` says which items changed from one version to the next. The bot
posts what these compute; the client shows what the bot posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from coopnet.protocol import DraftRequest
from coopnet.protocol.draft_records import ChecklistItem, DraftDocument, ItemChange
from coopnet.protocol.draft_vocab import CheckKind, ItemState
from coopnet.protocol.requirements import RequirementsFields
from coopnet.protocol.vocab import DocumentKind, NationalsPolicy, PenaltyKind, RefusalGround

if TYPE_CHECKING:  # documents -> fold -> drafts -> here: only the type is needed
    from coopnet.consultation.documents import HeldDocument

MET, MISSING, UNCLEAR = ItemState.MET, ItemState.MISSING, ItemState.UNCLEAR

GROUNDS_CHECKED = (
    RefusalGround.NATIONALITY,
    RefusalGround.DEATH_PENALTY,
    RefusalGround.POLITICAL_OFFENCE,
)
"""The refusal grounds a draft says enough about to check (each its own item)."""


@dataclass(frozen=True)
class Attached:
    """What the consultation holds of a document a draft attaches: its own kind and
    language, and the languages of the translations sent of it."""

    kind: DocumentKind
    language: str
    translations: tuple[str, ...]


def attached_documents(held: Iterable[HeldDocument]) -> dict[str, Attached]:
    """The consultation's documents by event id, as a draft's check reads them."""
    documents = list(held)
    language = {d.event_id: d.document.language for d in documents}
    return {
        d.event_id: Attached(
            d.document.document_kind,
            d.document.language,
            tuple(language[t] for t in d.translations if t in language),
        )
        for d in documents
    }


def _resolved(document: DraftDocument, attached: Mapping[str, Attached]) -> DraftDocument:
    """An attached document as the consultation holds it (what its event says, not what
    the draft's list says); a listed one as listed."""
    held = attached.get(document.event_id) if document.event_id else None
    if held is None:
        return document
    translations = tuple(dict.fromkeys((*document.translations, *held.translations)))
    return replace(
        document, document_kind=held.kind, language=held.language, translations=translations
    )


def item_id(check: CheckKind, qualifier: str | None = None) -> str:
    return f"{check.value}.{qualifier}" if qualifier else check.value


def check_draft(
    draft: DraftRequest,
    profile: RequirementsFields,
    attached: Mapping[str, Attached] | None = None,
) -> tuple[ChecklistItem, ...]:
    """Every item of the checklist of ``draft`` under ``profile``, in a fixed order.
    ``attached``: the consultation's documents (:func:`attached_documents`), so that a
    document the draft attaches counts with its own kind, language and translations."""
    if attached:
        draft = replace(draft, documents=tuple(_resolved(d, attached) for d in draft.documents))
    return (
        *_required_documents(draft, profile),
        _translation(draft, profile),
        _certification(draft, profile),
        _legal_basis(draft, profile),
        _dual_criminality(draft, profile),
        _penalty(draft, profile),
        _time_limits(profile),
        *(_refusal_ground(ground, draft, profile) for ground in GROUNDS_CHECKED),
    )


def changes_between(
    before: Sequence[ChecklistItem], after: Sequence[ChecklistItem]
) -> tuple[ItemChange, ...]:
    """The items whose state differs between two checklists (new and gone items too)."""
    old = {i.item_id: i.state for i in before}
    new = {i.item_id: i.state for i in after}
    ids = [i.item_id for i in after] + [i for i in old if i not in new]
    return tuple(
        ItemChange(item_id=i, state_before=old.get(i), state_after=new.get(i))
        for i in ids
        if old.get(i) != new.get(i)
    )


def missing(items: Iterable[ChecklistItem]) -> list[str]:
    return [i.item_id for i in items if i.state is MISSING]


# ---------------------------------------------------------------- the items
def _required_documents(draft: DraftRequest, profile: RequirementsFields) -> list[ChecklistItem]:
    check = CheckKind.REQUIRED_DOCUMENT
    if not profile.document_requirements:
        return [ChecklistItem(item_id=item_id(check), check=check, state=UNCLEAR)]
    kinds = {d.document_kind for d in draft.documents}
    return [
        ChecklistItem(
            item_id=item_id(check, "-".join(k.value for k in need.any_of)),
            check=check,
            state=MET if kinds & set(need.any_of) else MISSING,
            document_kinds=need.any_of,
        )
        for need in profile.document_requirements
    ]


def _readable(document: DraftDocument, accepted: set[str]) -> bool:
    return document.language in accepted or bool(accepted & set(document.translations))


def _translation(draft: DraftRequest, profile: RequirementsFields) -> ChecklistItem:
    check = CheckKind.TRANSLATION

    def item(state: ItemState, lacking: Iterable[DraftDocument] = ()) -> ChecklistItem:
        kinds = tuple(dict.fromkeys(d.document_kind for d in lacking))
        return ChecklistItem(
            item_id=item_id(check),
            check=check,
            state=state,
            languages=profile.languages,
            document_kinds=kinds,
        )

    if profile.translation_required is False:
        return item(MET)
    if not profile.languages or not draft.documents:
        return item(UNCLEAR)
    lacking = [d for d in draft.documents if not _readable(d, set(profile.languages))]
    return item(MISSING, lacking) if lacking else item(MET)


def _certification(draft: DraftRequest, profile: RequirementsFields) -> ChecklistItem:
    check = CheckKind.CERTIFICATION
    accepted = profile.accepted_certifications

    def item(state: ItemState, concerned: Iterable[DraftDocument] = ()) -> ChecklistItem:
        kinds = tuple(dict.fromkeys(d.document_kind for d in concerned))
        return ChecklistItem(
            item_id=item_id(check),
            check=check,
            state=state,
            certifications=accepted,
            document_kinds=kinds,
        )

    if not accepted or not draft.documents:
        return item(UNCLEAR)
    wrong = [d for d in draft.documents if d.certification not in (None, *accepted)]
    if wrong:
        return item(MISSING, wrong)
    unstated = [d for d in draft.documents if d.certification is None]
    return item(UNCLEAR, unstated) if unstated else item(MET)


def _legal_basis(draft: DraftRequest, profile: RequirementsFields) -> ChecklistItem:
    check = CheckKind.LEGAL_BASIS
    accepted = profile.legal_bases
    state = UNCLEAR if not accepted else MET if draft.legal_basis.basis in accepted else MISSING
    return ChecklistItem(item_id=item_id(check), check=check, state=state, legal_bases=accepted)


def _dual_criminality(draft: DraftRequest, profile: RequirementsFields) -> ChecklistItem:
    check = CheckKind.DUAL_CRIMINALITY
    if profile.dual_criminality_required is False:
        state = MET
    elif all(o.dual_criminality for o in draft.offences):
        state = MET
    else:
        state = MISSING
    return ChecklistItem(item_id=item_id(check), check=check, state=state)


def _penalty(draft: DraftRequest, profile: RequirementsFields) -> ChecklistItem:
    check = CheckKind.PENALTY_THRESHOLD
    if draft.penalty_kind is PenaltyKind.SENTENCE_REMAINING:
        # What is left to serve; a State that counts the sentence awarded (ECE art. 2(1))
        # states that threshold instead.
        threshold = profile.min_sentence_left_months
        if threshold is None:
            threshold = profile.min_sentence_awarded_months
    else:
        threshold = profile.min_penalty_months
    if threshold is None:
        state = UNCLEAR
    else:
        state = MET if draft.penalty_months >= threshold else MISSING
    return ChecklistItem(
        item_id=item_id(check),
        check=check,
        state=state,
        threshold_months=threshold,
        stated_months=draft.penalty_months,
    )


def _time_limits(profile: RequirementsFields) -> ChecklistItem:
    """Known or not: what will run once the person is arrested or surrender is fixed."""
    check = CheckKind.TIME_LIMITS
    known = profile.provisional_arrest_days is not None or profile.surrender_days is not None
    return ChecklistItem(
        item_id=item_id(check),
        check=check,
        state=MET if known else UNCLEAR,
        provisional_arrest_days=profile.provisional_arrest_days,
        surrender_days=profile.surrender_days,
    )


def _refusal_ground(
    ground: RefusalGround, draft: DraftRequest, profile: RequirementsFields
) -> ChecklistItem:
    check = CheckKind.REFUSAL_GROUND
    if ground is RefusalGround.NATIONALITY:
        state = _nationality(draft, profile)
    elif ground not in profile.refusal_grounds:
        state = MET  # not a ground of this State
    elif ground is RefusalGround.DEATH_PENALTY:
        state = _stated(draft.death_penalty_possible)
    else:
        political = [o.political for o in draft.offences]
        state = _stated(True if any(political) else None if None in political else False)
    return ChecklistItem(
        item_id=item_id(check, ground.value), check=check, state=state, ground=ground
    )


def _stated(applies: bool | None) -> ItemState:
    """A ground the draft says applies is missing an answer (an assurance, an argument)."""
    return UNCLEAR if applies is None else MISSING if applies else MET


def _nationality(draft: DraftRequest, profile: RequirementsFields) -> ItemState:
    policy = profile.extradition_of_nationals
    if policy is NationalsPolicy.ALLOWED:
        return MET
    if profile.country is None or not draft.nationalities:
        return UNCLEAR
    if profile.country not in draft.nationalities:
        return MET
    return MISSING if policy is NationalsPolicy.NOT_ALLOWED else UNCLEAR
