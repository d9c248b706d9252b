"""The synchronous record store: owns the one write connection, appends signed entries.

Use it directly from the writer thread, the CLI and tests. Async code uses
:class:`coopnet.records.writer.AsyncRecordStore`, which runs one of these in a thread.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from coopnet.canonical import canonical_text
from coopnet.keys import create_private_file, key_id, public_key_hex, tighten_private
from coopnet.records import reader
from coopnet.records.case_head import CASE_HEAD_COLUMNS, CaseHead
from coopnet.records.entry import (
    COLUMNS,
    GENESIS_HASH,
    Entry,
    NewEntry,
    compute_entry_hash,
    sign_entry_hash,
)
from coopnet.records.errors import RecordError, RecordFull
from coopnet.records.head import Head, next_signatures_digest, signatures_digest
from coopnet.records.schema import migrations

logger = logging.getLogger(__name__)

_INSERT = (
    f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT(event_id) DO NOTHING"
)
_UPSERT_CASE_HEAD = (
    f"INSERT INTO case_heads ({', '.join(CASE_HEAD_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(CASE_HEAD_COLUMNS))}) "
    "ON CONFLICT(case_ref) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CASE_HEAD_COLUMNS if c != "case_ref")
)
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def disk_full(exc: sqlite3.Error) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL: ENOSPC while writing)."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL


def _tighten_sidecars(path: Path) -> None:
    # SQLite creates -wal and -shm with the database file's permissions; make sure of it.
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            tighten_private(side)


class RecordStore:
    """Append-only, hash-chained, signed record of consultations in one SQLite file.

    Not thread-safe: use it from one thread (the writer thread in async programs).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        signing_key: Ed25519PrivateKey,
        *,
        synchronous: str = "FULL",
        clock: Callable[[], int] = now_ms,
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise RecordError(f"synchronous: one of {', '.join(_SYNCHRONOUS)}")
        self.path = Path(path)
        self._key = signing_key
        self.key_id = key_id(signing_key)
        self._clock = clock
        self._thread = threading.get_ident()
        try:
            create_private_file(self.path)
            _tighten_sidecars(self.path)
        except OSError as exc:
            raise RecordError(f"{self.path}: cannot create the record database: {exc}") from exc
        try:
            self.db = Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.enable_wal()
            self.db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            migrations.apply(self.db)
            self._register_public_key()
            self._sign_missing_case_heads()
        except sqlite3.Error as exc:
            raise RecordError(f"{self.path}: cannot open the record database: {exc}") from exc
        _tighten_sidecars(self.path)
        logger.debug("opened record store %s (key %s)", self.path, self.key_id)

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def _register_public_key(self) -> None:
        stored = reader.read_metadata(self.conn, reader.PUBLIC_KEYS_KEY)
        keys = json.loads(stored) if stored else {}
        if keys.get(self.key_id) == public_key_hex(self._key):
            return
        keys[self.key_id] = public_key_hex(self._key)
        with self.db.atomic():
            self._set_metadata(reader.PUBLIC_KEYS_KEY, canonical_text(keys))

    @contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE); rolled back on error."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _sign_missing_case_heads(self) -> None:
        """Once, for a record written before consultation heads: sign one for every
        consultation in it (its count and latest entry as stored), then a version-3 chain
        head, which states that every consultation has one from now on."""
        try:
            head = reader.read_head(self.conn)
        except RecordError:
            head = None
        if head is None or head.case_heads:
            # Nothing recorded yet, already done, or a missing/unreadable head that
            # verification must report: signing over it would hide the damage.
            return
        with self._write_transaction() as conn:
            last_seq, last_hash = conn.execute(
                "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            cases = conn.execute(
                "SELECT case_ref, count(*), max(seq) FROM entries GROUP BY case_ref"
            ).fetchall()
            for case_ref, count, seq in cases:
                (entry_hash,) = conn.execute(
                    "SELECT entry_hash FROM entries WHERE seq = ?", (seq,)
                ).fetchone()
                case_head = CaseHead.sign(self._key, self.key_id, case_ref, count, seq, entry_hash)
                conn.execute(_UPSERT_CASE_HEAD, case_head.as_row())
            digest = self._signatures_digest(last_seq)
            head = Head.sign(self._key, self.key_id, last_seq, last_hash, digest, case_heads=True)
            self._set_metadata(reader.HEAD_KEY, head.to_json())
        logger.info(
            "%s: signed the heads of %d consultations recorded before", self.path, len(cases)
        )

    def _set_metadata(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO metadata (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- writing -----------------------------------------------------------------------

    def append(self, new: NewEntry) -> Entry:
        """Append one entry; if its event id is already recorded, return that entry."""
        return self.append_many([new])[0]

    def append_many(self, news: Sequence[NewEntry]) -> list[Entry]:
        """Append entries in one transaction, in order; returns one Entry per input.

        An input whose event id is already recorded (or repeated in the batch) writes
        nothing and yields the entry recorded first. The UNIQUE index on event_id is what
        enforces this (``INSERT ... ON CONFLICT(event_id) DO NOTHING``).
        """
        if threading.get_ident() != self._thread:
            raise RecordError("a RecordStore must be used from the thread that opened it")
        for new in news:
            if not isinstance(new, NewEntry):
                raise RecordError(f"append expects NewEntry objects, got {type(new).__name__}")
        if not news:
            return []
        try:
            with self._write_transaction() as conn:
                return self._append_in_transaction(conn, news)
        except sqlite3.Error as exc:
            error = RecordFull if disk_full(exc) else RecordError
            raise error(f"{self.path}: cannot append to the record: {exc}") from exc

    def _append_in_transaction(
        self, conn: sqlite3.Connection, news: Sequence[NewEntry]
    ) -> list[Entry]:
        results: list[Entry] = []
        last = conn.execute(
            "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
        digest = self._signatures_digest(seq)
        # case_ref -> (count, seq, hash) of its latest entry, in this transaction
        cases: dict[str, tuple[int, int, str]] = {}
        touched: set[str] = set()
        for new in news:
            position = cases.get(new.case_ref) or self._case_position(new.case_ref)
            entry = self._make_entry(new, seq + 1, prev_hash, position[2])
            cursor = conn.execute(_INSERT, entry.as_row())
            if cursor.rowcount == 1:
                results.append(entry)
                seq, prev_hash = entry.seq, entry.entry_hash
                digest = next_signatures_digest(digest, entry.signature)
                cases[new.case_ref] = (position[0] + 1, seq, prev_hash)
                touched.add(new.case_ref)
                continue
            assert new.event_id is not None  # only event_id can conflict
            existing = reader.get_entry_by_event_id(conn, new.event_id)
            if existing is None:  # pragma: no cover - conflict implies a row
                raise RecordError(f"conflict on {new.event_id} but no entry found")
            logger.debug("event %s already recorded as entry %d", new.event_id, existing.seq)
            results.append(existing)
            cases.setdefault(new.case_ref, position)
        for case_ref in touched:
            count, case_seq, case_hash = cases[case_ref]
            case_head = CaseHead.sign(self._key, self.key_id, case_ref, count, case_seq, case_hash)
            conn.execute(_UPSERT_CASE_HEAD, case_head.as_row())
        if touched:
            head = Head.sign(self._key, self.key_id, seq, prev_hash, digest, case_heads=True)
            self._set_metadata(reader.HEAD_KEY, head.to_json())
        return results

    def _signatures_digest(self, seq: int) -> str:
        """The signatures digest up to entry *seq*: from the head, else by one scan.

        The scan happens once for a record whose head predates version 2 (or is
        unreadable); the head written after this append then carries the digest.
        """
        try:
            head = reader.read_head(self.conn)
        except RecordError:
            head = None
        if head is not None and head.signatures is not None and head.seq == seq:
            return head.signatures
        rows = self.conn.execute(
            "SELECT signature FROM entries WHERE seq <= ? ORDER BY seq", (seq,)
        )
        digest = signatures_digest(row[0] for row in rows)
        if digest is None:
            raise RecordError(f"{self.path}: a stored signature is not text; verify the record")
        return digest

    def _case_position(self, case_ref: str) -> tuple[int, int, str]:
        """(count, seq, hash) of the consultation's latest entry; (0, 0, genesis) if new."""
        row = self.conn.execute(
            "SELECT count, seq, entry_hash FROM case_heads WHERE case_ref = ?", (case_ref,)
        ).fetchone()
        if row is not None:
            return (row[0], row[1], row[2])
        # No head (a consultation the one-time signing above could not cover): count it.
        count, seq = self.conn.execute(
            "SELECT count(*), max(seq) FROM entries WHERE case_ref = ?", (case_ref,)
        ).fetchone()
        if not count:
            return (0, 0, GENESIS_HASH)
        (entry_hash,) = self.conn.execute(
            "SELECT entry_hash FROM entries WHERE seq = ?", (seq,)
        ).fetchone()
        return (count, seq, entry_hash)

    def _make_entry(self, new: NewEntry, seq: int, prev_hash: str, case_prev_hash: str) -> Entry:
        recorded_at = self._clock()
        origin_ts = new.origin_ts if new.origin_ts is not None else recorded_at
        content = new.content_json()
        entry_hash = compute_entry_hash(
            seq,
            new.case_ref,
            new.room_id,
            new.event_id,
            new.kind,
            new.sender,
            origin_ts,
            recorded_at,
            content,
            prev_hash,
            self.key_id,
            case_prev_hash,
        )
        return Entry(
            seq=seq,
            case_ref=new.case_ref,
            room_id=new.room_id,
            event_id=new.event_id,
            kind=new.kind,
            sender=new.sender,
            origin_ts=origin_ts,
            recorded_at=recorded_at,
            content=content,
            prev_hash=prev_hash,
            entry_hash=entry_hash,
            signature=sign_entry_hash(self._key, entry_hash),
            key_id=self.key_id,
            case_prev_hash=case_prev_hash,
        )

    # -- reading (on the write connection) ----------------------------------------------

    def get(self, seq: int) -> Entry | None:
        return reader.get_entry(self.conn, seq)

    def get_by_event_id(self, event_id: str) -> Entry | None:
        return reader.get_entry_by_event_id(self.conn, event_id)

    def has_event(self, event_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM entries WHERE event_id = ?", (event_id,)).fetchone()
        return row is not None

    def entries(self, case_ref: str | None = None) -> list[Entry]:
        return list(reader.iter_entries(self.conn, case_ref))

    def head(self) -> Head | None:
        return reader.read_head(self.conn)

    def case_head(self, case_ref: str) -> CaseHead | None:
        return reader.read_case_head(self.conn, case_ref)

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM entries").fetchone()[0])


def append_all(store: RecordStore, news: Iterable[NewEntry], batch: int = 500) -> int:
    """Append an iterable in batches; returns the number of inputs processed."""
    chunk: list[NewEntry] = []
    total = 0
    for new in news:
        chunk.append(new)
        if len(chunk) >= batch:
            store.append_many(chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        store.append_many(chunk)
        total += len(chunk)
    return total
