"""Closed vocabularies of the consultation protocol (language-neutral codes).

Every value here is what travels on the wire; its human label in the six UN languages
lives in ``labels.json`` under ``<enum_key>.<value>`` (see :func:`enum_key`), e.g.
``stage.provisional_arrest_executed`` or ``urgency.urgent``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from coopnet.protocol.draft_vocab import DRAFT_ENUMS


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


class ExpertRole(StrEnum):
    """What an expert given temporary access to one consultation is there for."""

    INTERPRETER = "interpreter"
    DOMESTIC_AGENCY = "domestic_agency"  # prosecutor, police, foreign affairs, court liaison
    EXPERT = "expert"  # any other specialist


class AccessEndReason(StrEnum):
    """Why an expert's access to a consultation ended."""

    EXPIRED = "expired"
    REVOKED = "revoked"


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
    """Grounds of a refusal of extradition or of mutual legal assistance (in whole or in
    part). Each label names the provision it comes from; UNTOC art. 16(15) and 18(22) bar a
    refusal on the sole ground that the offence involves fiscal matters."""

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
    DUAL_CRIMINALITY = "dual_criminality"  # UNTOC art. 16(1), 18(9); ECE art. 2(1)
    NON_EXTRADITABLE_OFFENCE = "non_extraditable_offence"  # penalty threshold, ECE art. 2(1)
    REQUEST_NOT_CONFORMING = "request_not_conforming"  # UNTOC art. 18(21)(a)
    ESSENTIAL_INTERESTS = "essential_interests"  # UNTOC art. 18(21)(b)
    DOMESTIC_LAW_PROHIBITS = "domestic_law_prohibits"  # UNTOC art. 18(21)(c)
    CONTRARY_TO_LEGAL_SYSTEM = "contrary_to_legal_system"  # UNTOC art. 18(21)(d)
    PENDING_PROCEEDINGS = "pending_proceedings"  # ECE art. 8
    PARDON_AMNESTY = "pardon_amnesty"  # ECE Second Additional Protocol, art. 4 (amnesty)
    IMMUNITY = "immunity"
    NOT_TAKEN_OVER = "not_taken_over"  # ECE art. 18(4): person not taken over in time
    OTHER = "other"


class Stage(StrEnum):
    """Every stage of both machines (which stage belongs to which kind: ``coopnet.stages``)."""

    PRE_REQUEST_CONSULTATION = "pre_request_consultation"
    # extradition
    LOCATING_PERSON = "locating_person"
    PROVISIONAL_ARREST_REQUESTED = "provisional_arrest_requested"
    PROVISIONAL_ARREST_EXECUTED = "provisional_arrest_executed"
    PROVISIONALLY_RELEASED = "provisionally_released"  # ECE art. 16(4)-(5)
    FORMAL_REQUEST_TRANSMITTED = "formal_request_transmitted"
    FORMAL_REQUEST_RECEIVED = "formal_request_received"  # the ECE art. 16(4) clock stops
    SIMPLIFIED_CONSENT = "simplified_consent"
    JUDICIAL_PHASE = "judicial_phase"
    APPEAL = "appeal"
    EXECUTIVE_DECISION = "executive_decision"
    GRANTED = "granted"
    PROSECUTION_INSTEAD = "prosecution_instead"  # UNTOC art. 16(10)
    ENFORCEMENT_INSTEAD = "enforcement_instead"  # UNTOC art. 16(12)
    SURRENDER_SCHEDULED = "surrender_scheduled"
    RELEASED_NOT_TAKEN_OVER = "released_not_taken_over"  # ECE art. 18(4)
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
    RETURN_TO_SERVE_SENTENCE = "return_to_serve_sentence"  # UNTOC art. 16(11)
    REDUCIBLE_LIFE_SENTENCE = "reducible_life_sentence"  # ECtHR, Trabelsi v. Belgium, 2014
    NO_EXTRAORDINARY_COURT = "no_extraordinary_court"  # UN Model Treaty on Extradition, 4(g)
    LIMITATION_OF_USE = "limitation_of_use"  # UNTOC art. 18(19) (MLA)
    CONFIDENTIALITY = "confidentiality"  # UNTOC art. 18(20) (MLA; given by the requested State)
    OTHER = "other"


class LibraryTopic(StrEnum):
    """What a practice-library entry (case law, practice on assurances) is about."""

    DEATH_PENALTY = "death_penalty"
    TORTURE = "torture"  # torture or ill-treatment
    DETENTION_CONDITIONS = "detention_conditions"
    FAIR_TRIAL = "fair_trial"
    IN_ABSENTIA = "in_absentia"  # judgment in absentia
    SPECIALTY = "specialty"
    MONITORING = "monitoring"  # monitoring of assurances
    NATIONALS = "nationals"
    POLITICAL_OFFENCE = "political_offence"


class AssuranceStatus(StrEnum):
    REQUESTED = "requested"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    MONITORED = "monitored"
    BREACHED = "breached"
    DECLINED = "declined"  # the giving State will not give it
    INSUFFICIENT = "insufficient"  # not "deemed sufficient by the requested Party" (ECE art. 11)
    WITHDRAWN = "withdrawn"  # withdrawn by the State that gave it
    FULFILLED = "fulfilled"  # its object is achieved (e.g. sentence served, person returned)


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
    INTERFERES_WITH_PROCEEDINGS = "interferes_with_proceedings"  # UNTOC art. 18(25)
    OTHER = "other"


class AuthorityRole(StrEnum):
    """What an authority of a State does in a case (a profile lists them by role, so that
    one authority that receives requests is not confused with the one that goes to court)."""

    RECEIVES_EXTRADITION_REQUESTS = "receives_extradition_requests"
    DECIDES_EXTRADITION = "decides_extradition"
    RECEIVES_PROVISIONAL_ARREST_REQUESTS = "receives_provisional_arrest_requests"
    APPLIES_FOR_DETENTION = "applies_for_detention"  # asks the judge, argues the case
    CENTRAL_AUTHORITY_MLA = "central_authority_mla"  # UNTOC art. 18(13)


class RuleOrigin(StrEnum):
    """Where a deadline rule of a consultation comes from (the most specific wins)."""

    INSTRUMENT = "instrument"  # the treaty named as the legal basis
    REQUESTED_STATE = "requested_state"  # the requested State's law, from its profile
    BASIS_DEFAULT = "basis_default"  # a default for the kind of legal basis
    COMMON = "common"  # rules of every consultation


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


class HandlingCode(StrEnum):
    """How the receiver may use what it got (as police networks such as Europol's SIENA
    mark every exchange). An exchange may carry several; each restricts or permits one use,
    and :mod:`coopnet.protocol.handling` says what a code forbids."""

    CASE_ONLY = "case_only"  # for this case only
    NOT_EVIDENCE = "not_evidence"  # not to be used as evidence without a formal request
    NO_ONWARD = "no_onward"  # no onward transmission without the sender's consent
    DOMESTIC_AGENCIES = "domestic_agencies"  # may be shared with competent domestic agencies


class DeadlineStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class NetworkRoomTopic(StrEnum):
    """What a network room of the central authorities is for (regular contact, practice).

    Its label is the room's name for the client; these rooms carry no case data.
    """

    LOBBY = "lobby"  # the central authorities of the network
    ASSURANCES_PRACTICE = "assurances_practice"
    EXTRADITION_OF_NATIONALS = "extradition_of_nationals"
    HUMANITARIAN_POSTPONEMENT = "humanitarian_postponement"
    LEGAL_REQUIREMENTS = "legal_requirements"


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
    LibraryTopic,
    AssuranceStatus,
    MonitoringMethod,
    MonitoringFinding,
    PostponementMode,
    PostponementReason,
    AuthorityRole,
    RuleOrigin,
    *DRAFT_ENUMS,
    DocumentKind,
    HandlingCode,
    DeadlineStatus,
    NetworkRoomTopic,
    ExpertRole,
    AccessEndReason,
)


def enum_key(enum: type[StrEnum]) -> str:
    """Label prefix of an enum: class name in snake case (``AssuranceType``: ``assurance_type``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()
