"""Read-only access to a record database (for verification, export and the bot's queries)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Collection, Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.keys import key_id, public_key_from_hex
from coopnet.records.case_head import CASE_HEAD_COLUMNS, CaseHead
from coopnet.records.entry import COLUMNS, Entry
from coopnet.records.errors import RecordError
from coopnet.records.head import Head

SELECT_COLUMNS = ", ".join(COLUMNS)
# A record not yet migrated (read-only, e.g. a backup copy) has no consultation links.
_SELECT_COLUMNS_V1 = ", ".join("NULL" if c == "case_prev_hash" else c for c in COLUMNS)
_SELECT_CASE_HEAD = f"SELECT {', '.join(CASE_HEAD_COLUMNS)} FROM case_heads"
HEAD_KEY = "head"
PUBLIC_KEYS_KEY = "public_keys"


def open_readonly(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the database read-only (never creates it)."""
    path = Path(path)
    if not path.is_file():
        raise RecordError(f"{path}: no such record database")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only=1")
        conn.execute("SELECT 1 FROM entries LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise RecordError(f"{path}: not a readable record database: {exc}") from exc
    return conn


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(sql, (name,)).fetchone() is not None


def _select_columns(conn: sqlite3.Connection) -> str:
    names = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
    return SELECT_COLUMNS if "case_prev_hash" in names else _SELECT_COLUMNS_V1


def read_rows(conn: sqlite3.Connection, case_ref: str | None = None) -> list[tuple]:  # type: ignore[type-arg]
    """All entry rows (tuples in COLUMNS order) by seq, optionally of one case only."""
    columns = _select_columns(conn)
    if case_ref is None:
        sql = f"SELECT {columns} FROM entries ORDER BY seq"
        return conn.execute(sql).fetchall()
    sql = f"SELECT {columns} FROM entries WHERE case_ref = ? ORDER BY seq"
    return conn.execute(sql, (case_ref,)).fetchall()


def iter_entries(conn: sqlite3.Connection, case_ref: str | None = None) -> Iterator[Entry]:
    for row in read_rows(conn, case_ref):
        yield Entry.from_row(row)


def get_entry(conn: sqlite3.Connection, seq: int) -> Entry | None:
    sql = f"SELECT {_select_columns(conn)} FROM entries WHERE seq = ?"
    row = conn.execute(sql, (seq,)).fetchone()
    return Entry.from_row(row) if row else None


def get_entry_by_event_id(conn: sqlite3.Connection, event_id: str) -> Entry | None:
    sql = f"SELECT {_select_columns(conn)} FROM entries WHERE event_id = ?"
    row = conn.execute(sql, (event_id,)).fetchone()
    return Entry.from_row(row) if row else None


def held_event_ids(conn: sqlite3.Connection, event_ids: Collection[str]) -> set[str]:
    """Which of ``event_ids`` the record holds (an entry with that event id)."""
    wanted = list(dict.fromkeys(event_ids))
    held: set[str] = set()
    for i in range(0, len(wanted), 500):  # below SQLite's limit on bound parameters
        chunk = wanted[i : i + 500]
        sql = f"SELECT event_id FROM entries WHERE event_id IN ({', '.join('?' * len(chunk))})"
        held.update(row[0] for row in conn.execute(sql, chunk))
    return held


def room_event_ids(conn: sqlite3.Connection, room_id: str) -> list[str | None]:
    """The event ids of one room's entries, in record order (one per entry)."""
    sql = "SELECT event_id FROM entries WHERE room_id = ? ORDER BY seq"
    return [row[0] for row in conn.execute(sql, (room_id,))]


def record_room_ids(conn: sqlite3.Connection) -> list[str]:
    """The rooms the record has entries of, by first entry."""
    sql = "SELECT room_id FROM entries WHERE room_id IS NOT NULL GROUP BY room_id ORDER BY min(seq)"
    return [row[0] for row in conn.execute(sql)]


def read_metadata(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM metadata WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def read_head(conn: sqlite3.Connection) -> Head | None:
    value = read_metadata(conn, HEAD_KEY)
    return Head.from_value(value) if value is not None else None


def read_public_keys(conn: sqlite3.Connection) -> dict[str, Ed25519PublicKey]:
    """Public keys stored in the database's metadata, by key id (self-asserted!)."""
    value = read_metadata(conn, PUBLIC_KEYS_KEY)
    if value is None:
        return {}
    try:
        stored = json.loads(value)
        keys = {kid: public_key_from_hex(hexkey) for kid, hexkey in stored.items()}
    except (ValueError, AttributeError) as exc:
        raise RecordError(f"unreadable public keys in the metadata table: {exc}") from exc
    for kid, key in keys.items():
        if key_id(key) != kid:
            raise RecordError(f"metadata public key listed as {kid} has key id {key_id(key)}")
    return keys


def read_case_head(conn: sqlite3.Connection, case_ref: str) -> CaseHead | None:
    """The signed head of one consultation; None if the record keeps none for it."""
    if not _has_table(conn, "case_heads"):
        return None
    row = conn.execute(f"{_SELECT_CASE_HEAD} WHERE case_ref = ?", (case_ref,)).fetchone()
    return CaseHead.from_row(row) if row else None


def read_case_heads(conn: sqlite3.Connection) -> dict[str, CaseHead]:
    """Every consultation head, by case reference."""
    if not _has_table(conn, "case_heads"):
        return {}
    return {row[0]: CaseHead.from_row(row) for row in conn.execute(_SELECT_CASE_HEAD)}
