"""The records nested in draft review events and in machine-checkable profiles."""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.protocol.draft_vocab import CertificationForm, CheckKind, ItemState
from coopnet.protocol.fields import (
    EVENT_ID,
    EVENT_ID_LEN,
    LANGUAGE,
    LINE_LEN,
    NOTE_LEN,
    Boolean,
    Choice,
    Integer,
    ListOf,
    Text,
    optional,
    required,
)
from coopnet.protocol.records import Record
from coopnet.protocol.vocab import DocumentKind, LegalBasisType, RefusalGround

ITEM_ID = "^[a-z0-9][a-z0-9_.-]*$"
"""A checklist item's id, e.g. ``penalty_threshold`` or
``required_document.arrest_warrant-judgment``."""
ITEM_ID_LEN = 200


def language_code() -> Text:
    return Text(3, min_len=2, pattern=LANGUAGE)


@dataclass(frozen=True, kw_only=True)
class Offence(Record):
    """One offence of a draft request, with the provisions that define it."""

    description: str = required(Text(LINE_LEN))
    legal_provisions: tuple[str, ...] = required(ListOf(Text(LINE_LEN), 20, min_items=1))
    # Dual criminality stated: the offence the conduct would be in the requested State.
    dual_criminality: str | None = optional(Text(NOTE_LEN, multiline=True))
    political: bool | None = optional(Boolean())  # may the offence be seen as political?


@dataclass(frozen=True, kw_only=True)
class DraftDocument(Record):
    """A document a draft comes with: attached (``event_id`` of its document event in the
    consultation) or only listed; its language, the languages it is translated into, and
    how it is certified."""

    document_kind: DocumentKind = required(Choice(DocumentKind))
    language: str = required(language_code())
    event_id: str | None = optional(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    title: str | None = optional(Text(LINE_LEN))
    translations: tuple[str, ...] = optional(ListOf(language_code(), 10))
    certification: CertificationForm | None = optional(Choice(CertificationForm))


@dataclass(frozen=True, kw_only=True)
class DocumentRequirement(Record):
    """A document a State requires: any one of ``any_of`` (e.g. warrant or judgment)."""

    any_of: tuple[DocumentKind, ...] = required(
        ListOf(Choice(DocumentKind), len(DocumentKind), min_items=1)
    )
    note: str | None = optional(Text(LINE_LEN))


@dataclass(frozen=True, kw_only=True)
class ChecklistItem(Record):
    """One item of a checklist: what was checked, how it stands, and the values that say
    why (each reader's program labels them in its own language)."""

    item_id: str = required(Text(ITEM_ID_LEN, pattern=ITEM_ID))
    check: CheckKind = required(Choice(CheckKind))
    state: ItemState = required(Choice(ItemState))
    document_kinds: tuple[DocumentKind, ...] = optional(
        ListOf(Choice(DocumentKind), len(DocumentKind))
    )
    languages: tuple[str, ...] = optional(ListOf(language_code(), 10))
    certifications: tuple[CertificationForm, ...] = optional(
        ListOf(Choice(CertificationForm), len(CertificationForm))
    )
    legal_bases: tuple[LegalBasisType, ...] = optional(
        ListOf(Choice(LegalBasisType), len(LegalBasisType))
    )
    ground: RefusalGround | None = optional(Choice(RefusalGround))
    threshold_months: int | None = optional(Integer(0, 1800))
    stated_months: int | None = optional(Integer(0, 1800))
    provisional_arrest_days: int | None = optional(Integer(0, 365))
    surrender_days: int | None = optional(Integer(0, 365))


@dataclass(frozen=True, kw_only=True)
class ItemChange(Record):
    """An item whose state changed from one version of the draft to the next (None: the
    item did not exist on that side)."""

    item_id: str = required(Text(ITEM_ID_LEN, pattern=ITEM_ID))
    state_before: ItemState | None = optional(Choice(ItemState))
    state_after: ItemState | None = optional(Choice(ItemState))


DRAFT_RECORDS: tuple[type[Record], ...] = (
    Offence,
    DraftDocument,
    DocumentRequirement,
    ChecklistItem,
    ItemChange,
)
