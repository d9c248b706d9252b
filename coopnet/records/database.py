"""The record's I/O shell: verify a record database, export a case from it.

:mod:`coopnet.records.verify` and :mod:`coopnet.records.export` are pure (they check
rows and documents they are given); this module reads them from SQLite through
:mod:`coopnet.records.reader`. Import it explicitly: the ``coopnet.records`` facade
stays free of sqlite3 so that trust and receipt verification never load it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.records import reader
from coopnet.records.entry import Entry
from coopnet.records.errors import RecordError
from coopnet.records.export import FORMATS, build_export, render_markdown
from coopnet.records.store import RecordStore
from coopnet.records.verify import VerifyReport, normalise_keys, verify_entries


def verify_db(
    path: str | os.PathLike[str],
    public_keys: Ed25519PublicKey
    | Mapping[str, Ed25519PublicKey]
    | Sequence[Ed25519PublicKey]
    | None = None,
    *,
    signatures: bool | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Read a record database (one consistent snapshot) and verify it.

    ``signatures=False`` is the quick check: hashes, links and the signed head only.
    Because the head signature covers the last hash (and, version 2, a digest of every
    entry signature) and every hash covers the previous one, it still proves that no
    byte of the chain was changed, removed or inserted by someone without the key; it
    does not check each entry's own signature (which an export relies on) and, when
    the head signature fails, cannot say where the rewrite started.
    ``signatures=True`` is the full check (every entry's signature too). The default,
    ``None``, runs the quick check and falls back to the per-entry pass only when the
    quick check finds a problem (to name the first broken entry) or the head predates
    the signatures digest.

    Without *public_keys* the keys stored in the database's metadata table are used:
    that detects edits by anyone without the private key only if the stored key itself
    is checked against a trusted source (the network directory) — the CLI prints its id.
    """
    conn = reader.open_readonly(path)
    try:
        conn.execute("BEGIN")
        rows = reader.read_rows(conn)
        try:
            head = reader.read_head(conn)
        except RecordError:
            head = None  # an unreadable head is reported as a missing one
        case_heads = reader.read_case_heads(conn)
        keys = reader.read_public_keys(conn) if public_keys is None else normalise_keys(public_keys)
        conn.execute("ROLLBACK")
    except Exception as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(f"{path}: cannot read the record: {exc}") from exc
    finally:
        conn.close()
    if not keys:
        raise RecordError(f"{path}: no public key stored in the database; give one explicitly")
    return verify_entries(
        rows, keys, head, case_heads=case_heads, check_signatures=signatures, workers=workers
    )


def case_entries(db: str | os.PathLike[str], case_ref: str) -> list[Entry]:
    """Every entry of one consultation, in record order."""
    conn = reader.open_readonly(db)
    try:
        return list(reader.iter_entries(conn, case_ref))
    finally:
        conn.close()


def export_case(
    db: str | os.PathLike[str] | RecordStore | sqlite3.Connection,
    case_ref: str,
    format: str = "json",
    *,
    signing_key: Ed25519PrivateKey | None = None,
) -> str:
    """Export one consultation as JSON or Markdown text (Markdown embeds the JSON).

    *db* is a database path, an open :class:`RecordStore` or a sqlite3 connection.
    With *signing_key* (the bot's key) the export is signed as a whole too.
    """
    if format not in FORMATS:
        raise RecordError(f"format: one of {', '.join(FORMATS)}, not {format!r}")
    if isinstance(db, RecordStore):
        conn, close = db.conn, False
    elif isinstance(db, sqlite3.Connection):
        conn, close = db, False
    else:
        conn, close = reader.open_readonly(db), True
    try:
        entries = list(reader.iter_entries(conn, case_ref))
        head = reader.read_head(conn)
        case_head = reader.read_case_head(conn, case_ref)
        keys = reader.read_public_keys(conn)
    finally:
        if close:
            conn.close()
    document = build_export(
        entries, case_ref, keys, head, case_head=case_head, signing_key=signing_key
    )
    if format == "json":
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    return render_markdown(document)
