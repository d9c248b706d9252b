"""Vocabularies of draft review: what a completeness check looks at, how each item stands,
and the forms of certification a State accepts (labels in ``labels.json``)."""

from __future__ import annotations

from enum import StrEnum


class CheckKind(StrEnum):
    """One kind of item of a draft's checklist (the requested State's requirements)."""

    REQUIRED_DOCUMENT = "required_document"  # one item per document the profile requires
    TRANSLATION = "translation"  # every document in (or translated into) an accepted language
    CERTIFICATION = "certification"  # every document in a form of certification accepted
    LEGAL_BASIS = "legal_basis"  # the draft's legal basis is one the State accepts
    DUAL_CRIMINALITY = "dual_criminality"  # each offence names its counterpart there
    PENALTY_THRESHOLD = "penalty_threshold"  # min_penalty_months / sentence left to serve
    TIME_LIMITS = "time_limits"  # the State's time limits that will apply
    REFUSAL_GROUND = "refusal_ground"  # one item per ground that may apply


class ItemState(StrEnum):
    MET = "met"
    MISSING = "missing"
    UNCLEAR = "unclear"  # not stated in the draft, or the profile says nothing


class CertificationForm(StrEnum):
    """How a document is authenticated (a profile lists the forms it accepts)."""

    ORIGINAL = "original"
    CERTIFIED_COPY = "certified_copy"
    LEGALISED = "legalised"
    APOSTILLE = "apostille"
    SIGNED_AND_SEALED = "signed_and_sealed"  # by the competent authority


DRAFT_ENUMS: tuple[type[StrEnum], ...] = (CheckKind, ItemState, CertificationForm)
