"""Closed vocabularies of the consultation protocol (language-neutral codes).

Every value here is what travels on the wire; its human label in the six UN languages
lives in ``labels.json`` under ``<enum_key>.<value>`` (see :func:`enum_key`), e.g.
``stage.provisional_arrest_executed`` or ``urgency.urgent``.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    """Kind of cooperation a consultation is about."""

    EXTRADITION = "extradition"
    MLA = "mla"  # mutual legal assistance


class Side(StrEnum):
    """The two parties of a consultation."""

    REQUESTING = "requesting"
    REQUESTED = "requested"


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    VERY_URGENT = "very_urgent"


class LegalBasisType(StrEnum):
    """Kind of legal basis; the instrument id (e.g. ``ece-1957``) selects deadline rules."""

    BILATERAL_TREATY = "bilateral_treaty"
    MULTILATERAL_TREATY = "multilateral_treaty"
    UNTOC = "untoc"  # UNTOC art. 16(4) (extradition) / art. 18 (MLA) as the legal basis
    RECIPROCITY = "reciprocity"
    DOMESTIC_LAW = "domestic_law"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class PersonStatus(StrEnum):
    """Whether the person is sought for prosecution or for enforcement of a sentence."""

    ACCUSED = "accused"
    CONVICTED = "convicted"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    TRAVEL_DOCUMENT = "travel_document"
    OTHER = "other"


class WarrantKind(StrEnum):
    ARREST_WARRANT = "arrest_warrant"
    JUDGMENT = "judgment"
    OTHER = "other"


class PenaltyKind(StrEnum):
    MAXIMUM_PENALTY = "maximum_penalty"
    SENTENCE_REMAINING = "sentence_remaining"


class Topic(StrEnum):
    """Topics of a legal-requirements query (PC-OC national-procedures form, UNODC directory)."""

    CENTRAL_AUTHORITY = "central_authority"
    CHANNEL = "channel"
    TRANSMISSION = "transmission"
    LANGUAGES = "languages"
    DOCUMENTS = "documents"
    LEGAL_BASIS = "legal_basis"
    DUAL_CRIMINALITY = "dual_criminality"
    EVIDENCE = "evidence"
    NATIONALS = "nationals"
    REFUSAL_GROUNDS = "refusal_grounds"
    PROVISIONAL_ARREST = "provisional_arrest"
    SIMPLIFIED_PROCEDURE = "simplified_procedure"
    SURRENDER = "surrender"
    ASSURANCES = "assurances"


class Channel(StrEnum):
    DIRECT = "direct"
    DIPLOMATIC = "diplomatic"
    INTERPOL = "interpol"


class TransmissionMeans(StrEnum):
    POST = "post"
    COURIER = "courier"
    EMAIL = "email"
    SECURE_PLATFORM = "secure_platform"
    FAX = "fax"
    INTERPOL = "interpol"
    DIPLOMATIC_BAG = "diplomatic_bag"


class EvidentiaryStandard(StrEnum):
    PRIMA_FACIE = "prima_facie"
    RECORD_OF_CASE = "record_of_case"
    NONE = "none"
    OTHER = "other"


class NationalsPolicy(StrEnum):
    """Whether the State extradites its own nationals."""

    ALLOWED = "allowed"
    NOT_ALLOWED = "not_allowed"
    CONDITIONAL = "conditional"


class Availability(StrEnum):
    AVAILABLE = "available"
    NOT_AVAILABLE = "not_available"
    CONDITIONAL = "conditional"


class RefusalGround(StrEnum):
    POLITICAL_OFFENCE = "political_offence"
    MILITARY_OFFENCE = "military_offence"
    FISCAL_OFFENCE = "fiscal_offence"
    NE_BIS_IN_IDEM = "ne_bis_in_idem"
    IN_ABSENTIA = "in_absentia"
    DEATH_PENALTY = "death_penalty"
    LAPSE_OF_TIME = "lapse_of_time"
    NATIONALITY = "nationality"
    DISCRIMINATION = "discrimination"
    TORTURE_RISK = "torture_risk"
    HUMANITARIAN = "humanitarian"
    OTHER = "other"


class Stage(StrEnum):
    """Every stage of both machines (which stage belongs to which kind: ``coopnet.stages``)."""

    PRE_REQUEST_CONSULTATION = "pre_request_consultation"
    # extradition
    LOCATING_PERSON = "locating_person"
    PROVISIONAL_ARREST_REQUESTED = "provisional_arrest_requested"
    PROVISIONAL_ARREST_EXECUTED = "provisional_arrest_executed"
    FORMAL_REQUEST_TRANSMITTED = "formal_request_transmitted"
    SIMPLIFIED_CONSENT = "simplified_consent"
    JUDICIAL_PHASE = "judicial_phase"
    APPEAL = "appeal"
    EXECUTIVE_DECISION = "executive_decision"
    GRANTED = "granted"
    PROSECUTION_INSTEAD = "prosecution_instead"
    SURRENDER_SCHEDULED = "surrender_scheduled"
    SURRENDER_POSTPONED = "surrender_postponed"
    TEMPORARY_SURRENDER = "temporary_surrender"
    IN_TRANSIT = "in_transit"
    SURRENDERED = "surrendered"
    POST_SURRENDER = "post_surrender"
    # mutual legal assistance
    REQUEST_TRANSMITTED = "request_transmitted"
    ACKNOWLEDGED = "acknowledged"
    UNDER_EXECUTION = "under_execution"
    PARTLY_EXECUTED = "partly_executed"
    EXECUTED = "executed"
    POSTPONED = "postponed"
    # shared
    SUPPLEMENTARY_INFO_REQUESTED = "supplementary_info_requested"
    SUPPLEMENTARY_INFO_PROVIDED = "supplementary_info_provided"
    REFUSED = "refused"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class AssuranceType(StrEnum):
    DEATH_PENALTY = "death_penalty"
    FAIR_TRIAL = "fair_trial"
    DETENTION_CONDITIONS = "detention_conditions"
    NO_TORTURE = "no_torture"
    SPECIALTY = "specialty"
    CONSULAR_ACCESS = "consular_access"
    RETRIAL = "retrial"
    CREDIT_FOR_TIME_SERVED = "credit_for_time_served"
    OTHER = "other"


class AssuranceStatus(StrEnum):
    REQUESTED = "requested"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    MONITORED = "monitored"
    BREACHED = "breached"


class MonitoringMethod(StrEnum):
    VISIT = "visit"
    CONSULAR_VISIT = "consular_visit"
    REPORT = "report"
    INTERVIEW = "interview"
    OTHER = "other"


class MonitoringFinding(StrEnum):
    COMPLIED = "complied"
    CONCERN = "concern"
    BREACH = "breach"


class PostponementMode(StrEnum):
    POSTPONED = "postponed"
    TEMPORARY_SURRENDER = "temporary_surrender"


class PostponementReason(StrEnum):
    HUMANITARIAN = "humanitarian"
    HEALTH = "health"
    LOCAL_PROCEEDINGS = "local_proceedings"
    SERVING_SENTENCE = "serving_sentence"
    OTHER = "other"


class DocumentKind(StrEnum):
    """What a document exchanged in a consultation is (DESIGN.md, "Documents")."""

    DRAFT_REQUEST = "draft_request"
    FORMAL_REQUEST = "formal_request"
    ARREST_WARRANT = "arrest_warrant"
    JUDGMENT = "judgment"
    STATEMENT_OF_FACTS = "statement_of_facts"
    LEGAL_PROVISIONS = "legal_provisions"
    EVIDENCE = "evidence"
    TRANSLATION = "translation"
    IDENTITY_PHOTOGRAPH = "identity_photograph"
    FINGERPRINTS = "fingerprints"
    ASSURANCE_TEXT = "assurance_text"
    OTHER = "other"


class DeadlineStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


ALL_ENUMS: tuple[type[StrEnum], ...] = (
    Kind,
    Side,
    Urgency,
    LegalBasisType,
    Sex,
    PersonStatus,
    DocumentType,
    WarrantKind,
    PenaltyKind,
    Topic,
    Channel,
    TransmissionMeans,
    EvidentiaryStandard,
    NationalsPolicy,
    Availability,
    RefusalGround,
    Stage,
    AssuranceType,
    AssuranceStatus,
    MonitoringMethod,
    MonitoringFinding,
    PostponementMode,
    PostponementReason,
    DocumentKind,
    DeadlineStatus,
)


def enum_key(enum: type[StrEnum]) -> str:
    """Label prefix of an enum: class name in snake case (``AssuranceType``: ``assurance_type``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()
