"""Consultation protocol core (no I/O): typed events, validation, fallback text, labels.

- :mod:`~coopnet.protocol.vocab` – closed vocabularies (stages, statuses, assurance types…);
- :mod:`~coopnet.protocol.fields` – field specifications and size limits;
- :mod:`~coopnet.protocol.validation` – error values (:class:`Problem`, :class:`ParseError`);
- :mod:`~coopnet.protocol.records`, :mod:`~coopnet.protocol.requirements`,
  :mod:`~coopnet.protocol.events` – the frozen dataclasses, one per event type;
- :mod:`~coopnet.protocol.envelope` – wire format in ``m.room.message`` (``m.file`` for a
  document), canonical JSON, hash; :mod:`~coopnet.protocol.attachment` – the spec's
  ``EncryptedFile`` of a document;
- :mod:`~coopnet.protocol.render` – fallback text / HTML; :mod:`~coopnet.protocol.labels` –
  labels in ar, zh, en, fr, ru, es; :mod:`~coopnet.protocol.schema` – JSON Schema.

See :mod:`coopnet.protocol.envelope` for how a structured event travels.
"""

from __future__ import annotations

from coopnet.protocol.attachment import EncryptedFile, encrypted_file, parse_encrypted_file
from coopnet.protocol.envelope import (
    AFTER_KEY,
    BOT_MARKER,
    MAX_PAYLOAD_BYTES,
    PAYLOAD_KEY,
    REVISION,
    REVISION_KEY,
    Link,
    PayloadTooLargeError,
    canonical_bytes,
    causal_parent,
    content_hash,
    encode,
    encode_document,
    parse_content,
    parse_payload,
    payload,
    payload_revision,
)
from coopnet.protocol.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    NAMESPACE,
    VERSION,
    AccessEnded,
    AccessGranted,
    Assurance,
    AssuranceMonitoring,
    AssuranceReliance,
    CaseLawReference,
    ChecklistAnswer,
    ConsultationOpened,
    CoordinationOpened,
    CoordinationTask,
    DeadlineExtension,
    Document,
    DraftChecklist,
    DraftReady,
    DraftRequest,
    Event,
    PersonIdentity,
    ProgressAnswer,
    ProgressQuery,
    ProsecutionReport,
    Receipt,
    RefusalEnvisaged,
    RequirementsAnswer,
    RequirementsQuery,
    SharedItem,
    StageTransition,
    SurrenderPostponement,
)
from coopnet.protocol.labels import LANGUAGES, label
from coopnet.protocol.library import LIBRARY_REVISION, entry_problems, parse_entry
from coopnet.protocol.records import IdentityDocument, LegalBasis, Penalty, PersonName, Warrant
from coopnet.protocol.render import render_html, render_text
from coopnet.protocol.validation import ParseError, Problem

__all__ = [
    "AccessEnded",
    "AccessGranted",
    "REVISION",
    "REVISION_KEY",
    "payload_revision",
    "AFTER_KEY",
    "Link",
    "causal_parent",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "LANGUAGES",
    "MAX_PAYLOAD_BYTES",
    "NAMESPACE",
    "PAYLOAD_KEY",
    "BOT_MARKER",
    "VERSION",
    "Assurance",
    "AssuranceMonitoring",
    "AssuranceReliance",
    "CaseLawReference",
    "LIBRARY_REVISION",
    "entry_problems",
    "parse_entry",
    "ConsultationOpened",
    "CoordinationOpened",
    "CoordinationTask",
    "DeadlineExtension",
    "Document",
    "ChecklistAnswer",
    "DraftChecklist",
    "DraftReady",
    "DraftRequest",
    "EncryptedFile",
    "Event",
    "IdentityDocument",
    "LegalBasis",
    "ParseError",
    "PayloadTooLargeError",
    "Penalty",
    "PersonIdentity",
    "ProgressAnswer",
    "ProgressQuery",
    "ProsecutionReport",
    "RefusalEnvisaged",
    "PersonName",
    "Problem",
    "Receipt",
    "RequirementsAnswer",
    "RequirementsQuery",
    "SharedItem",
    "StageTransition",
    "SurrenderPostponement",
    "Warrant",
    "canonical_bytes",
    "content_hash",
    "encode",
    "encode_document",
    "encrypted_file",
    "label",
    "parse_content",
    "parse_encrypted_file",
    "parse_payload",
    "payload",
    "render_html",
    "render_text",
]
