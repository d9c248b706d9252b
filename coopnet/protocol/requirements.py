"""Fields of a State's legal requirements for extradition / mutual legal assistance.

Modelled on the Council of Europe PC-OC national-procedures form and the UNODC directory
of competent national authorities. Every field is optional: an answer covers the topics
that were asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coopnet.protocol.draft_records import DocumentRequirement
from coopnet.protocol.draft_vocab import CertificationForm
from coopnet.protocol.fields import (
    COUNTRY,
    EVENT_ID,
    LANGUAGE,
    LINE_LEN,
    LONG_LEN,
    NOTE_LEN,
    Boolean,
    Choice,
    Day,
    Integer,
    ListOf,
    Nested,
    Text,
    optional,
)
from coopnet.protocol.records import AuthorityEntry, Record, authority_id
from coopnet.protocol.vocab import (
    Availability,
    Channel,
    EvidentiaryStandard,
    LegalBasisType,
    NationalsPolicy,
    RefusalGround,
    TransmissionMeans,
)


@dataclass(frozen=True, kw_only=True)
class RequirementsFields(Record):
    in_reply_to: str | None = optional(Text(255, pattern=EVENT_ID))
    as_of: dt.date | None = optional(Day())
    illustrative: bool | None = optional(Boolean())  # demo profiles must say so
    # Whose requirements these are: only the requested State's own answer sets the
    # deadline rules of its consultations (UNTOC art. 16(7): its law decides).
    authority: str | None = optional(authority_id())
    authorities: tuple[AuthorityEntry, ...] = optional(ListOf(Nested(AuthorityEntry), 20))
    central_authority: str | None = optional(Text(LINE_LEN))
    receiving_authority: str | None = optional(Text(LINE_LEN))
    channels: tuple[Channel, ...] = optional(ListOf(Choice(Channel), len(Channel)))
    transmission_means: tuple[TransmissionMeans, ...] = optional(
        ListOf(Choice(TransmissionMeans), len(TransmissionMeans))
    )
    languages: tuple[str, ...] = optional(ListOf(Text(3, min_len=2, pattern=LANGUAGE), 10))
    translation_required: bool | None = optional(Boolean())
    required_documents: tuple[str, ...] = optional(ListOf(Text(LINE_LEN), 30))
    certification: str | None = optional(Text(NOTE_LEN, multiline=True))
    # Machine-checkable forms of the two fields above (a draft is checked against them).
    document_requirements: tuple[DocumentRequirement, ...] = optional(
        ListOf(Nested(DocumentRequirement), 30)
    )
    accepted_certifications: tuple[CertificationForm, ...] = optional(
        ListOf(Choice(CertificationForm), len(CertificationForm))
    )
    country: str | None = optional(Text(2, pattern=COUNTRY))  # ISO 3166: whose nationals
    legal_bases: tuple[LegalBasisType, ...] = optional(
        ListOf(Choice(LegalBasisType), len(LegalBasisType))
    )
    dual_criminality_required: bool | None = optional(Boolean())
    min_penalty_months: int | None = optional(Integer(0, 1200))
    min_sentence_left_months: int | None = optional(Integer(0, 1200))
    min_sentence_awarded_months: int | None = optional(Integer(0, 1200))  # ECE art. 2(1)
    evidentiary_standard: EvidentiaryStandard | None = optional(Choice(EvidentiaryStandard))
    extradition_of_nationals: NationalsPolicy | None = optional(Choice(NationalsPolicy))
    refusal_grounds: tuple[RefusalGround, ...] = optional(
        ListOf(Choice(RefusalGround), len(RefusalGround))
    )
    provisional_arrest_days: int | None = optional(Integer(0, 365))
    provisional_arrest_max_days: int | None = optional(Integer(0, 365))
    provisional_arrest_citation: str | None = optional(Text(LINE_LEN))
    simplified_procedure: Availability | None = optional(Choice(Availability))
    surrender_days: int | None = optional(Integer(0, 365))  # from the appointed date
    surrender_citation: str | None = optional(Text(LINE_LEN))
    notes: str | None = optional(Text(LONG_LEN, multiline=True))
