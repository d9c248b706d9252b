"""The consultation record: append-only, hash-chained, Ed25519-signed, in SQLite.

Each entry holds the SHA-256 of the previous entry and is signed by the bot's key.
This facade is the pure half (no sqlite3, no asyncio, no threads started): entry
hashing, canonical JSON, the chain head, and verification of entries
(:func:`verify_entries`) and of exports (:func:`verify_export`), so that trust and
receipt verification can use it without loading a database driver.

The I/O half is imported explicitly by the programs that need it:

- :mod:`coopnet.records.store` — :class:`~coopnet.records.store.RecordStore`, the
  synchronous store (the CLI, tests, the writer thread);
- :mod:`coopnet.records.writer` — :class:`~coopnet.records.writer.AsyncRecordStore`
  (one writer thread; writes never block the event loop);
- :mod:`coopnet.records.database` — :func:`~coopnet.records.database.verify_db` and
  :func:`~coopnet.records.database.export_case`, straight from a database file.

Key files and key ids are :mod:`coopnet.keys`.
"""

from __future__ import annotations

from coopnet.records.canonical import canonical_json, sha256_hex
from coopnet.records.entry import GENESIS_HASH, KINDS, Entry, NewEntry
from coopnet.records.errors import RecordError, RecordFull
from coopnet.records.export import ExportReport, parse_export, verify_export
from coopnet.records.head import Head
from coopnet.records.verify import RecordProblem, VerifyReport, verify_entries

__all__ = [
    "GENESIS_HASH",
    "KINDS",
    "Entry",
    "ExportReport",
    "Head",
    "NewEntry",
    "RecordProblem",
    "RecordError",
    "RecordFull",
    "VerifyReport",
    "canonical_json",
    "parse_export",
    "sha256_hex",
    "verify_entries",
    "verify_export",
]
