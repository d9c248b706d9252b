"""The structured consultation events: one frozen dataclass per event type.

Every type lives in one namespace, :data:`NAMESPACE`, and is versioned (the envelope
carries ``version``; see :mod:`coopnet.protocol.envelope`). ``from_dict`` validates the
``content`` object of the envelope and returns the event or a
:class:`~coopnet.protocol.validation.ParseError`; ``to_dict`` gives it back, unknown
extra fields included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from coopnet.protocol.draft_records import (
    ITEM_ID,
    ITEM_ID_LEN,
    ChecklistItem,
    DraftDocument,
    ItemChange,
    Offence,
)
from coopnet.protocol.fields import (
    CASE_REF,
    COUNTRY,
    DEVICE_KEY,
    EVENT_ID,
    EVENT_ID_LEN,
    FILENAME,
    HTTP_URL,
    ID_LEN,
    LANGUAGE,
    LINE_LEN,
    LOCAL_ID,
    LONG_LEN,
    MAX_DOCUMENT_SIZE,
    MEDIA_TYPE,
    NAME_LEN,
    NOTE_LEN,
    NOTICE_REF,
    REF_LEN,
    REFERENCE,
    ROOM_ID,
    RULE_ID,
    SHA256_HEX,
    USER_ID,
    Boolean,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    Nested,
    PartialDay,
    Text,
    optional,
    required,
)
from coopnet.protocol.records import (
    GrantedDevice,
    IdentityDocument,
    LegalBasis,
    Penalty,
    PersonName,
    Record,
    Warrant,
    authority_id,
)
from coopnet.protocol.requirements import RequirementsFields
from coopnet.protocol.validation import ParseError
from coopnet.protocol.vocab import (
    AccessEndReason,
    AssuranceStatus,
    AssuranceType,
    DocumentKind,
    ExpertRole,
    HandlingCode,
    Kind,
    LibraryTopic,
    MonitoringFinding,
    MonitoringMethod,
    PenaltyKind,
    PersonStatus,
    PostponementMode,
    PostponementReason,
    RefusalGround,
    Sex,
    Side,
    Stage,
    Topic,
    Urgency,
)

NAMESPACE = "org.coopnet.consultation"
"""Prefix of every event type, and the key of the structured payload in a message."""

VERSION = 1
"""The protocol version this code writes and understands."""


@dataclass(frozen=True, kw_only=True)
class Event(Record):
    """Base of every structured event. ``raw`` is the input dict exactly as received."""

    TYPE: ClassVar[str] = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # How the receiver may use it (every structured exchange and document may carry it;
    # absent: the network's default for its kind, :mod:`coopnet.protocol.handling`).
    handling: tuple[HandlingCode, ...] = optional(ListOf(Choice(HandlingCode), len(HandlingCode)))

    @classmethod
    def type_name(cls) -> str:
        return f"{NAMESPACE}.{cls.TYPE}"

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Self | ParseError:
        parsed = super().from_dict(data, path)
        if isinstance(parsed, ParseError):
            return parsed
        object.__setattr__(parsed, "raw", data)
        return parsed


@dataclass(frozen=True, kw_only=True)
class ConsultationOpened(Event):
    """A consultation between two central authorities starts."""

    TYPE: ClassVar[str] = "opened"
    case_ref: str = required(Text(ID_LEN, pattern=CASE_REF))
    kind: Kind = required(Choice(Kind))
    requesting_authority: str = required(authority_id())
    requested_authority: str = required(authority_id())
    legal_basis: LegalBasis = required(Nested(LegalBasis))
    urgency: Urgency | None = optional(Choice(Urgency))
    summary: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class PersonIdentity(Event):
    """Identity of the person sought. Photos and fingerprints travel only as references."""

    TYPE: ClassVar[str] = "identity"
    names: tuple[PersonName, ...] = required(ListOf(Nested(PersonName), 10, min_items=1))
    aliases: tuple[str, ...] = optional(ListOf(Text(NAME_LEN), 20))
    date_of_birth: str | None = optional(PartialDay())
    place_of_birth: str | None = optional(Text(NAME_LEN))
    nationalities: tuple[str, ...] = optional(ListOf(Text(2, pattern=COUNTRY), 5))
    sex: Sex | None = optional(Choice(Sex))
    physical_description: str | None = optional(Text(NOTE_LEN, multiline=True))
    identity_documents: tuple[IdentityDocument, ...] = optional(
        ListOf(Nested(IdentityDocument), 10)
    )
    photo_refs: tuple[str, ...] = optional(ListOf(Text(REF_LEN, pattern=REFERENCE), 10))
    fingerprint_refs: tuple[str, ...] = optional(ListOf(Text(REF_LEN, pattern=REFERENCE), 10))
    known_location: str | None = optional(Text(LINE_LEN))
    person_status: PersonStatus | None = optional(Choice(PersonStatus))
    warrant: Warrant | None = optional(Nested(Warrant))
    offence_facts: str | None = optional(Text(LONG_LEN, multiline=True))
    legal_provisions: tuple[str, ...] = optional(ListOf(Text(LINE_LEN), 20))
    penalty: Penalty | None = optional(Nested(Penalty))
    red_notice_ref: str | None = optional(Text(ID_LEN, pattern=NOTICE_REF))
    detained: bool | None = optional(Boolean())


@dataclass(frozen=True, kw_only=True)
class RequirementsQuery(Event):
    """Ask the counterpart about its legal requirements on the listed topics."""

    TYPE: ClassVar[str] = "requirements.query"
    topics: tuple[Topic, ...] = required(ListOf(Choice(Topic), len(Topic), min_items=1))
    question: str | None = optional(Text(LONG_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class RequirementsAnswer(RequirementsFields, Event):
    """A State's legal requirements (PC-OC national-procedures / UNODC directory fields)."""

    TYPE: ClassVar[str] = "requirements.answer"


@dataclass(frozen=True, kw_only=True)
class StageTransition(Event):
    """The consultation moves from one stage to another (checked by ``coopnet.stages``)."""

    TYPE: ClassVar[str] = "stage"
    from_stage: Stage = required(Choice(Stage))
    to_stage: Stage = required(Choice(Stage))
    date: dt.date = required(Day())
    note: str | None = optional(Text(NOTE_LEN, multiline=True))
    due_date: dt.date | None = optional(Day())  # a time limit set for the next step
    # A refusal in whole or in part names its grounds and gives its reasons (UNTOC art.
    # 18(23), ECE art. 18(2)); ``partial`` marks a grant or execution refused in part.
    grounds: tuple[RefusalGround, ...] = optional(ListOf(Choice(RefusalGround), len(RefusalGround)))
    reasons: str | None = optional(Text(LONG_LEN, multiline=True))
    partial: bool | None = optional(Boolean())
    # The accepted assurances a grant is conditioned on (ECE art. 11).
    assurance_ids: tuple[str, ...] = optional(ListOf(Text(ID_LEN, pattern=LOCAL_ID), 20))


@dataclass(frozen=True, kw_only=True)
class DeadlineExtension(Event):
    """A running deadline is extended (within the rule's maximum, e.g. ECE art. 16(4))."""

    TYPE: ClassVar[str] = "deadline.extended"
    rule: str = required(Text(ID_LEN, pattern=RULE_ID))
    extended_until: dt.date = required(Day())
    reason: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class Assurance(Event):
    """An assurance or guarantee; later events with the same ``assurance_id`` update it."""

    TYPE: ClassVar[str] = "assurance"
    assurance_id: str = required(Text(ID_LEN, pattern=LOCAL_ID))
    assurance_type: AssuranceType = required(Choice(AssuranceType))
    giver: str = required(authority_id())
    receiver: str = required(authority_id())
    text: str = required(Text(LONG_LEN, multiline=True))
    assurance_status: AssuranceStatus = required(Choice(AssuranceStatus))
    date: dt.date | None = optional(Day())
    caselaw_refs: tuple[str, ...] = optional(ListOf(Text(255, pattern=EVENT_ID), 20))


@dataclass(frozen=True, kw_only=True)
class AssuranceMonitoring(Event):
    """A monitoring entry on an assurance after surrender."""

    TYPE: ClassVar[str] = "assurance.monitoring"
    assurance_id: str = required(Text(ID_LEN, pattern=LOCAL_ID))
    date: dt.date = required(Day())
    method: MonitoringMethod = required(Choice(MonitoringMethod))
    finding: MonitoringFinding = required(Choice(MonitoringFinding))
    observer: str | None = optional(Text(LINE_LEN))
    note: str | None = optional(Text(LONG_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class SurrenderPostponement(Event):
    """Surrender postponed, or temporary surrender, with a date to review it."""

    TYPE: ClassVar[str] = "postponement"
    mode: PostponementMode = required(Choice(PostponementMode))
    reason: PostponementReason = required(Choice(PostponementReason))
    review_date: dt.date = required(Day())
    until: dt.date | None = optional(Day())
    details: str | None = optional(Text(LONG_LEN, multiline=True))
    conditions: str | None = optional(Text(NOTE_LEN, multiline=True))
    consulted_on: dt.date | None = optional(Day())  # UNTOC art. 18(26): consult first


@dataclass(frozen=True, kw_only=True)
class Receipt(Event):
    """Acknowledges a structured event; the consultation bot adds its signature."""

    TYPE: ClassVar[str] = "receipt"
    event_id: str = required(Text(255, pattern=EVENT_ID))
    content_hash: str = required(Text(64, min_len=64, pattern=SHA256_HEX))
    receiver: str = required(Text(255, pattern=USER_ID))
    received_at: dt.datetime = required(Instant())
    event_type: str | None = optional(Text(128, pattern="^org\\.coopnet\\.consultation\\.[a-z.]+$"))
    # For a document: the SHA-256 and size of the plaintext the bot downloaded, decrypted
    # and checked against the event's own ``sha256`` and ``size``, certified by signing.
    document_sha256: str | None = optional(Text(64, min_len=64, pattern=SHA256_HEX))
    document_size: int | None = optional(Integer(0, MAX_DOCUMENT_SIZE))


@dataclass(frozen=True, kw_only=True)
class CaseLawReference(Event):
    """A practice-library entry: case law or practice, e.g. on assurances. It lives in a
    library room or in a consultation. ``jurisdiction`` and ``topics`` came with the
    library (rules revision 4, :mod:`coopnet.protocol.library`, requires them and the
    date); entries sent before still read, without them."""

    TYPE: ClassVar[str] = "caselaw"
    citation: str = required(Text(500))
    court: str = required(Text(LINE_LEN))
    date: dt.date | None = optional(Day())
    summary: str | None = optional(Text(LONG_LEN, multiline=True))
    url: str | None = optional(Text(NOTE_LEN, pattern=HTTP_URL))
    assurance_types: tuple[AssuranceType, ...] = optional(
        ListOf(Choice(AssuranceType), len(AssuranceType))
    )
    jurisdiction: str | None = optional(Text(NAME_LEN))  # a State (ISO code) or a body
    topics: tuple[LibraryTopic, ...] = optional(ListOf(Choice(LibraryTopic), len(LibraryTopic)))


@dataclass(frozen=True, kw_only=True)
class AssuranceReliance(Event):
    """An assurance relies on a practice-library entry (``entry``: its event id, in a
    library room or in this consultation). The entry's citation travels with the link so
    that the counterpart sees what is relied on without being in the library room."""

    TYPE: ClassVar[str] = "assurance.reliance"
    assurance_id: str = required(Text(ID_LEN, pattern=LOCAL_ID))
    entry: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    citation: str = required(Text(500))
    court: str | None = optional(Text(LINE_LEN))
    jurisdiction: str | None = optional(Text(NAME_LEN))
    date: dt.date | None = optional(Day())
    note: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class DraftRequest(Event):
    """A draft of the request, shared before it is sent so that the requested side can
    check it against its requirements. ``replaces`` names the version it corrects."""

    TYPE: ClassVar[str] = "draft"
    legal_basis: LegalBasis = required(Nested(LegalBasis))
    offences: tuple[Offence, ...] = required(ListOf(Nested(Offence), 20, min_items=1))
    penalty_months: int = required(Integer(0, 1800))  # maximum penalty, or left to serve
    penalty_kind: PenaltyKind | None = optional(Choice(PenaltyKind))  # default: maximum
    facts_summary: str = required(Text(LONG_LEN, multiline=True))
    person_sought: str = required(Text(NAME_LEN))
    nationalities: tuple[str, ...] = optional(ListOf(Text(2, pattern=COUNTRY), 5))
    death_penalty_possible: bool | None = optional(Boolean())
    documents: tuple[DraftDocument, ...] = optional(ListOf(Nested(DraftDocument), 30))
    replaces: str | None = optional(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    note: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class DraftChecklist(Event):
    """The requested side's completeness check of one draft version, computed by
    :func:`coopnet.consultation.check_draft` from its requirements profile."""

    TYPE: ClassVar[str] = "draft.checklist"
    draft: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    items: tuple[ChecklistItem, ...] = required(ListOf(Nested(ChecklistItem), 60, min_items=1))
    authority: str | None = optional(authority_id())  # whose requirements were applied
    illustrative: bool | None = optional(Boolean())  # the profile is illustrative
    previous: str | None = optional(Text(EVENT_ID_LEN, pattern=EVENT_ID))  # version before
    changes: tuple[ItemChange, ...] = optional(ListOf(Nested(ItemChange), 60))


@dataclass(frozen=True, kw_only=True)
class ChecklistAnswer(Event):
    """An officer's answer to one item of a draft's checklist."""

    TYPE: ClassVar[str] = "draft.answer"
    draft: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    item_id: str = required(Text(ITEM_ID_LEN, pattern=ITEM_ID))
    comment: str = required(Text(LONG_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class DraftReady(Event):
    """The requested side confirms that a draft version is ready to transmit."""

    TYPE: ClassVar[str] = "draft.ready"
    draft: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    note: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class Document(Event):
    """A document sent as a Matrix encrypted attachment: the message is an ``m.file``
    whose ``file`` (the spec's ``EncryptedFile``) holds the key, IV and ciphertext hash
    (:func:`coopnet.protocol.envelope.encode_document`). ``sha256`` and ``size`` are the
    plaintext's: what the receiving bot checks and certifies. ``replaces`` names the
    earlier version of the same document; ``translation_of`` the original it translates."""

    TYPE: ClassVar[str] = "document"
    document_kind: DocumentKind = required(Choice(DocumentKind))
    title: str = required(Text(LINE_LEN))
    language: str = required(Text(3, min_len=2, pattern=LANGUAGE))
    size: int = required(Integer(0, MAX_DOCUMENT_SIZE))
    sha256: str = required(Text(64, min_len=64, pattern=SHA256_HEX))
    filename: str | None = optional(Text(NAME_LEN, pattern=FILENAME))
    media_type: str | None = optional(Text(127, pattern=MEDIA_TYPE))
    pages: int | None = optional(Integer(1, 1_000_000))
    replaces: str | None = optional(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    translation_of: str | None = optional(Text(EVENT_ID_LEN, pattern=EVENT_ID))


@dataclass(frozen=True, kw_only=True)
class RefusalEnvisaged(Event):
    """The requested side envisages refusing (in whole or, with ``partial``, in part) and
    consults first (UNTOC art. 16(16) for extradition, 18(26) for mutual legal assistance):
    it names the grounds and gives the requesting side until ``respond_by`` to provide
    additional information or to withdraw. A refusal may only follow it (revision 3)."""

    TYPE: ClassVar[str] = "refusal.envisaged"
    grounds: tuple[RefusalGround, ...] = required(
        ListOf(Choice(RefusalGround), len(RefusalGround), min_items=1)
    )
    reasons: str = required(Text(LONG_LEN, multiline=True))
    respond_by: dt.date = required(Day())
    partial: bool | None = optional(Boolean())


@dataclass(frozen=True, kw_only=True)
class ProsecutionReport(Event):
    """The requested State reports that it submitted the case to its authorities for
    prosecution after refusing extradition of its national (UNTOC art. 16(10))."""

    TYPE: ClassVar[str] = "prosecution.reported"
    submitted_on: dt.date = required(Day())
    prosecuting_authority: str = required(Text(LINE_LEN))
    reference: str | None = optional(Text(ID_LEN))
    note: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class ProgressQuery(Event):
    """A request for information on the status and progress of the request (UNTOC art.
    18(24)); the other side answers it with a :class:`ProgressAnswer` naming it."""

    TYPE: ClassVar[str] = "progress.query"
    question: str | None = optional(Text(LONG_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class ProgressAnswer(Event):
    """The answer to a :class:`ProgressQuery` (``query``: its event id). The bot proposes
    it from the consultation's state; the officer edits it and sends it."""

    TYPE: ClassVar[str] = "progress.answer"
    query: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    stage: Stage = required(Choice(Stage))
    last_step: Stage | None = optional(Choice(Stage))
    last_step_date: dt.date | None = optional(Day())
    next_deadline: dt.date | None = optional(Day())
    next_deadline_rule: str | None = optional(Text(ID_LEN, pattern=RULE_ID))
    awaited_from: Side | None = optional(Choice(Side))
    awaited: str | None = optional(Text(NOTE_LEN, multiline=True))
    answer: str | None = optional(Text(LONG_LEN, multiline=True))


# ---------------------------------------------------------------- temporary access


@dataclass(frozen=True, kw_only=True)
class AccessGranted(Event):
    """An officer gives an expert of the officer's own authority (another agency, an
    interpreter: an account of the same homeserver) access to this one consultation until
    ``until`` (inclusive). It names the expert's devices (``devices``: id and Ed25519 key)
    and/or cross-signing ``master_key`` as the granting authority enrolled them: the only
    keys the counterpart's devices trust for the expert, and only while the grant lasts."""

    TYPE: ClassVar[str] = "access.granted"
    expert: str = required(Text(255, pattern=USER_ID))
    until: dt.date = required(Day())
    role: ExpertRole = required(Choice(ExpertRole))
    devices: tuple[GrantedDevice, ...] = optional(ListOf(Nested(GrantedDevice), 10))
    master_key: str | None = optional(Text(43, min_len=43, pattern=DEVICE_KEY))
    purpose: str | None = optional(Text(NOTE_LEN, multiline=True))


@dataclass(frozen=True, kw_only=True)
class AccessEnded(Event):
    """An expert's access ends: revoked early by an officer, or expired (posted by the
    granting authority's bot when it removes the expert from the room)."""

    TYPE: ClassVar[str] = "access.ended"
    expert: str = required(Text(255, pattern=USER_ID))
    grant: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    end_reason: AccessEndReason = required(Choice(AccessEndReason))
    note: str | None = optional(Text(NOTE_LEN, multiline=True))


# ---------------------------------------------------------------- coordination room
# Events of an authority's internal coordination room (its domestic agencies), never of a
# consultation room: that room is not federated, so they never leave its homeserver.


@dataclass(frozen=True, kw_only=True)
class CoordinationOpened(Event):
    """The first event of an authority's internal room: the consultation it coordinates."""

    TYPE: ClassVar[str] = "coordination.opened"
    consultation_room: str = required(Text(255, pattern=ROOM_ID))
    case_ref: str = required(Text(ID_LEN, pattern=CASE_REF))


@dataclass(frozen=True, kw_only=True)
class CoordinationTask(Event):
    """A task of the internal room; a later event with the same ``task_id`` updates it
    (reassigned, new due date, done)."""

    TYPE: ClassVar[str] = "coordination.task"
    task_id: str = required(Text(ID_LEN, pattern=LOCAL_ID))
    title: str = required(Text(LINE_LEN))
    assignee: str = required(Text(255, pattern=USER_ID))
    due_date: dt.date = required(Day())
    done: bool | None = optional(Boolean())


@dataclass(frozen=True, kw_only=True)
class SharedItem(Event):
    """An item of the consultation an officer chose to share with the domestic agencies
    (nothing is copied automatically). It carries the item's own handling codes."""

    TYPE: ClassVar[str] = "coordination.shared"
    source_event: str = required(Text(EVENT_ID_LEN, pattern=EVENT_ID))
    source_type: str = required(Text(128, pattern="^org\\.coopnet\\.consultation\\.[a-z.]+$"))
    text: str = required(Text(LONG_LEN, multiline=True))


EVENT_CLASSES: tuple[type[Event], ...] = (
    ConsultationOpened,
    PersonIdentity,
    RequirementsQuery,
    RequirementsAnswer,
    StageTransition,
    DeadlineExtension,
    Assurance,
    AssuranceMonitoring,
    SurrenderPostponement,
    Receipt,
    CaseLawReference,
    AssuranceReliance,
    DraftRequest,
    DraftChecklist,
    ChecklistAnswer,
    DraftReady,
    Document,
    RefusalEnvisaged,
    ProsecutionReport,
    ProgressQuery,
    ProgressAnswer,
    AccessGranted,
    AccessEnded,
    CoordinationOpened,
    CoordinationTask,
    SharedItem,
)

EVENT_TYPES: dict[str, type[Event]] = {cls.type_name(): cls for cls in EVENT_CLASSES}
"""Full event type → class."""
