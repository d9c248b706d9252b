"""An export bundle: a consultation's record with the documents it certified.

``coopnet records export --case REF --with-documents OUT`` writes a folder (0700)::

    OUT/record.json      the case export (coopnet.records.export), signed entries
    OUT/documents.json   a readable list of the documents, their versions and translations
    OUT/documents/…      each document as received (0600), restored from the evidence store

``coopnet records verify-export OUT`` checks the record as for any export and then every
document against the SHA-256 that the *signed record* holds for it (the list in
``documents.json`` is for readers and is not trusted): a missing, altered or extra file
is named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.datafile import file_sha256
from coopnet.keys import ensure_private_dir, write_private
from coopnet.protocol import PAYLOAD_KEY, Document, parse_payload
from coopnet.records.entry import Entry
from coopnet.records.errors import RecordError
from coopnet.records.evidence import EvidenceStore

RECORD_FILE = "record.json"
DOCUMENTS_FILE = "documents.json"
DOCUMENTS_DIR = "documents"


@dataclass(frozen=True)
class RecordedDocument:
    """A document the record holds as received (an ``event`` entry), with its receipts."""

    event_id: str
    sender: str
    document: Document
    receipts: tuple[str, ...]  # event ids of the receipt entries that certify its hash

    @property
    def file_name(self) -> str:
        return f"{self.document.sha256[:16]}-{self.document.filename or 'document'}"


def recorded_documents(entries: Iterable[Entry]) -> list[RecordedDocument]:
    """The documents among a consultation's entries, in record order (pure)."""
    documents: dict[str, tuple[str, Document]] = {}
    receipts: dict[str, list[str]] = {}
    for entry in entries:
        content = _content(entry)
        payload = content.get(PAYLOAD_KEY) if isinstance(content, dict) else None
        if payload is None or entry.event_id is None:
            continue
        parsed = parse_payload({k: v for k, v in payload.items() if k != "signature"})
        if entry.kind == "event" and isinstance(parsed, Document):
            documents[entry.event_id] = (entry.sender, parsed)
        elif entry.kind == "receipt" and parsed is not None:
            target = getattr(parsed, "event_id", None)
            if target in documents and getattr(parsed, "document_sha256", None) == (
                documents[target][1].sha256
            ):
                receipts.setdefault(target, []).append(entry.event_id)
    return [
        RecordedDocument(event_id, sender, document, tuple(receipts.get(event_id, ())))
        for event_id, (sender, document) in documents.items()
    ]


def _content(entry: Entry) -> Any:
    try:
        recorded = json.loads(entry.content)
    except ValueError:
        return None
    return recorded.get("content") if isinstance(recorded, dict) else None


def manifest(documents: list[RecordedDocument], held: set[str]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": d.event_id,
            "sender": d.sender,
            **d.document.to_dict(),
            "file": f"{DOCUMENTS_DIR}/{d.file_name}" if d.event_id in held else None,
            "certified_by_receipts": list(d.receipts),
            "replaced_by": next(
                (o.event_id for o in documents if o.document.replaces == d.event_id), None
            ),
            "translations": [
                o.event_id for o in documents if o.document.translation_of == d.event_id
            ],
        }
        for d in documents
    ]


def write_bundle(
    out: Path, record_text: str, entries: list[Entry], evidence: EvidenceStore | None
) -> tuple[list[RecordedDocument], list[str]]:
    """Write the bundle; returns the documents and those the evidence store lacked."""
    if out.exists() and any(out.iterdir()):
        raise RecordError(f"{out}: exists and is not empty")
    ensure_private_dir(out)
    ensure_private_dir(out / DOCUMENTS_DIR)
    write_private(out / RECORD_FILE, record_text.encode("utf-8"))
    documents = recorded_documents(entries)
    held: set[str] = set()
    absent: list[str] = []
    for d in documents:
        if evidence is None or not evidence.has(d.document.sha256):
            absent.append(d.event_id)
            continue
        evidence.restore(d.document.sha256, out / DOCUMENTS_DIR / d.file_name)
        held.add(d.event_id)
    listing = json.dumps(manifest(documents, held), ensure_ascii=False, indent=2) + "\n"
    write_private(out / DOCUMENTS_FILE, listing.encode("utf-8"))
    return documents, absent


@dataclass(frozen=True)
class DocumentCheck:
    event_id: str
    ok: bool
    line: str


def check_documents(out: Path, entries: Iterable[Entry]) -> list[DocumentCheck]:
    """Each recorded document against the file the bundle holds for it, and any file the
    record does not account for."""
    documents = recorded_documents(entries)
    folder = out / DOCUMENTS_DIR
    expected = {d.file_name for d in documents}
    checks = []
    for d in documents:
        doc = d.document
        what = f"{d.event_id} ({doc.document_kind.value}, {doc.title!r})"
        links = "".join(
            f", {name} {target}"
            for name, target in (("replaces", doc.replaces), ("translation of", doc.translation_of))
            if target
        )
        certified = f"certified by {len(d.receipts)} receipt(s)" if d.receipts else "no receipt"
        path = folder / d.file_name
        if not path.is_file():
            checks.append(DocumentCheck(d.event_id, False, f"MISSING {what}: no {path.name}"))
            continue
        digest = file_sha256(path)
        if digest != doc.sha256 or path.stat().st_size != doc.size:
            line = f"ALTERED {what}: sha256 {digest}, the record says {doc.sha256}"
            checks.append(DocumentCheck(d.event_id, False, line))
            continue
        line = f"ok {what}: sha256 {doc.sha256}, {doc.size} bytes, {certified}{links}"
        checks.append(DocumentCheck(d.event_id, True, line))
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name not in expected:
                line = f"EXTRA {path.name}: not a document of the record"
                checks.append(DocumentCheck("", False, line))
    return checks
