"""The consultation record: append-only, hash-chained, Ed25519-signed, in SQLite.

Each entry holds the SHA-256 of the previous entry and is signed by the bot's key;
:func:`verify_db` names the first broken entry; :func:`export_case` produces an export
of one consultation that a third party can check offline with :func:`verify_export`.

Async programs use :class:`AsyncRecordStore` (one writer thread, writes never block the
event loop); the CLI and tests may use :class:`RecordStore` directly.
"""

from __future__ import annotations

from coopnet.records.canonical import canonical_json, sha256_hex
from coopnet.records.entry import GENESIS_HASH, KINDS, Entry, NewEntry
from coopnet.records.errors import RecordError
from coopnet.records.export import ExportReport, export_case, parse_export, verify_export
from coopnet.records.head import Head
from coopnet.records.keys import (
    generate_signing_key,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    prepare_signing_key,
    public_key_file,
    public_key_hex,
    write_public_key,
)
from coopnet.records.store import RecordStore
from coopnet.records.verify import Problem, VerifyReport, verify_db, verify_entries
from coopnet.records.writer import AsyncRecordStore

__all__ = [
    "GENESIS_HASH",
    "KINDS",
    "AsyncRecordStore",
    "Entry",
    "ExportReport",
    "Head",
    "NewEntry",
    "Problem",
    "RecordError",
    "RecordStore",
    "VerifyReport",
    "canonical_json",
    "export_case",
    "generate_signing_key",
    "key_id",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "prepare_signing_key",
    "public_key_file",
    "parse_export",
    "public_key_hex",
    "sha256_hex",
    "verify_db",
    "verify_entries",
    "verify_export",
    "write_public_key",
]
