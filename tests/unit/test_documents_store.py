"""The evidence store and the export bundle's document checks, on files (no homeserver)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from coopnet.protocol import Document, encode_document, encrypted_file
from coopnet.records import Entry
from coopnet.records.bundle import (
    DOCUMENTS_DIR,
    check_documents,
    recorded_documents,
    write_bundle,
)
from coopnet.records.errors import RecordError
from coopnet.records.evidence import EvidenceStore


def ciphertext(plain: bytes) -> tuple[bytes, dict]:
    """What a sender's client makes of a file: AES-256-CTR and the spec's file object."""
    key, iv = os.urandom(32), os.urandom(8) + bytes(8)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    data = encryptor.update(plain) + encryptor.finalize()
    return data, encrypted_file("mxc://s/m", key, iv, hashlib.sha256(data).digest())


def kept(tmp_path: Path, plain: bytes) -> tuple[EvidenceStore, str]:
    store = EvidenceStore(tmp_path / "evidence", tmp_path / "evidence.key")
    digest = hashlib.sha256(plain).hexdigest()
    data, file = ciphertext(plain)
    store.ciphertext_path(digest).write_bytes(data)
    store.keep(digest, file)
    return store, digest


def test_the_store_keeps_ciphertext_and_restores_the_checked_plaintext(tmp_path: Path) -> None:
    plain = b"ORDEN DE DETENCION " * 100_000
    store, digest = kept(tmp_path, plain)
    assert store.folder.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "evidence.key").stat().st_mode & 0o777 == 0o600
    for path in store.folder.iterdir():
        assert b"ORDEN" not in path.read_bytes()
    out = tmp_path / "restored.pdf"
    assert store.restore(digest, out) == len(plain)
    assert out.read_bytes() == plain and out.stat().st_mode & 0o777 == 0o600


def test_an_altered_copy_or_sealed_key_is_refused(tmp_path: Path) -> None:
    store, digest = kept(tmp_path, b"judgment text" * 1000)
    path = store.ciphertext_path(digest)
    data = bytearray(path.read_bytes())
    data[5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(RecordError, match="does not match its hash"):
        store.restore(digest, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    key = store.folder / f"{digest}.key"
    sealed = bytearray(key.read_bytes())
    sealed[-1] ^= 1
    key.write_bytes(bytes(sealed))
    with pytest.raises(RecordError, match="sealed key was altered"):
        store.restore(digest, tmp_path / "out")


def test_the_store_key_alone_is_needed(tmp_path: Path) -> None:
    store, digest = kept(tmp_path, b"statement of facts")
    other = EvidenceStore(tmp_path / "evidence", tmp_path / "another.key")
    with pytest.raises(RecordError, match="altered"):
        other.restore(digest, tmp_path / "out")
    assert store.has(digest)


def entry(seq: int, kind: str, event_id: str, content: dict) -> Entry:
    return Entry(
        seq=seq,
        case_ref="CH-MX-1",
        room_id="!r",
        event_id=event_id,
        kind=kind,
        sender="@officer:ch",
        origin_ts=0,
        recorded_at=0,
        content=json.dumps({"type": "m.room.message", "content": content}),
        prev_hash="0" * 64,
        entry_hash="1" * 64,
        signature="",
        key_id="k",
    )


def document_entry(seq: int, event_id: str, plain: bytes, **fields: str) -> Entry:
    _, file = ciphertext(plain)
    document = Document.from_dict(
        {
            "document_kind": "arrest_warrant",
            "title": "Warrant",
            "language": "es",
            "size": len(plain),
            "sha256": hashlib.sha256(plain).hexdigest(),
            "filename": "warrant.pdf",
            **fields,
        }
    )
    assert isinstance(document, Document)
    return entry(seq, "event", event_id, encode_document(document, file))


def test_bundle_documents_are_checked_against_the_record(tmp_path: Path) -> None:
    v1, v2 = b"version one" * 100, b"version two" * 100
    entries = [
        document_entry(1, "$v1", v1),
        document_entry(2, "$v2", v2, replaces="$v1"),
        entry(3, "message", "$m", {"msgtype": "m.text", "body": "hello"}),
    ]
    assert [d.event_id for d in recorded_documents(entries)] == ["$v1", "$v2"]
    store = EvidenceStore(tmp_path / "evidence", tmp_path / "evidence.key")
    for plain in (v1, v2):
        digest = hashlib.sha256(plain).hexdigest()
        data, file = ciphertext(plain)
        store.ciphertext_path(digest).write_bytes(data)
        store.keep(digest, file)
    out = tmp_path / "bundle"
    documents, absent = write_bundle(out, "{}", entries, store)
    assert absent == [] and len(documents) == 2
    listing = json.loads((out / "documents.json").read_text())
    assert listing[0]["replaced_by"] == "$v2" and listing[1]["replaces"] == "$v1"
    checks = check_documents(out, entries)
    assert all(c.ok for c in checks) and "replaces $v1" in checks[1].line

    # Altered, missing and extra files are each named.
    first = out / DOCUMENTS_DIR / documents[0].file_name
    first.write_bytes(b"forged")
    (out / DOCUMENTS_DIR / documents[1].file_name).unlink()
    (out / DOCUMENTS_DIR / "smuggled.pdf").write_bytes(b"x")
    lines = [c.line for c in check_documents(out, entries) if not c.ok]
    assert [line.split()[0] for line in lines] == ["ALTERED", "MISSING", "EXTRA"]


def test_a_bundle_is_never_written_over_another(tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "x").write_text("y")
    with pytest.raises(RecordError, match="not empty"):
        write_bundle(tmp_path / "bundle", "{}", [], None)


def test_a_missing_evidence_copy_is_reported(tmp_path: Path) -> None:
    entries = [document_entry(1, "$v1", b"never kept")]
    documents, absent = write_bundle(tmp_path / "bundle", "{}", entries, None)
    assert absent == ["$v1"] and documents[0].event_id == "$v1"
    assert json.loads((tmp_path / "bundle" / "documents.json").read_text())[0]["file"] is None
