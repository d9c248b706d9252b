"""Helpers shared by the record-store tests (no tests here)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from coopnet.canonical import canonical_text
from coopnet.keys import key_id, public_key_hex
from coopnet.records import GENESIS_HASH, NewEntry
from coopnet.records.entry import COLUMNS, compute_entry_hash, sign_entry_hash
from coopnet.records.head import SIGNATURES_GENESIS, Head, next_signatures_digest
from coopnet.records.schema import migrations
from coopnet.records.store import RecordStore


class FakeClock:
    """Deterministic milliseconds clock."""

    def __init__(self, start: int = 1_760_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 7
        return self.now


def new_entry(i: int, case_ref: str = "CN-2026-0001", *, event: bool = True) -> NewEntry:
    kinds = ("message", "event", "receipt", "rejection", "reminder")
    return NewEntry(
        case_ref=case_ref,
        room_id="!room:127.0.0.11",
        kind=kinds[i % len(kinds)],
        sender="@officer1:127.0.0.11" if i % 2 else "@bot:127.0.0.12",
        content={"body": f"message {i} — 引渡 تسليم", "n": i, "nested": {"ok": True}},
        event_id=f"$event{i}" if event else None,
        origin_ts=1_760_000_000_000 + i,
    )


def make_store(
    path: Path, count: int, key: Ed25519PrivateKey | None = None, cases: int = 1
) -> tuple[RecordStore, Ed25519PrivateKey]:
    key = key or Ed25519PrivateKey.generate()
    store = RecordStore(path, key, synchronous="OFF", clock=FakeClock())
    store.append_many(
        [new_entry(i, f"CN-2026-{i % cases:04d}", event=i % 4 != 3) for i in range(count)]
    )
    return store, key


def attacker_connection(path: Path) -> sqlite3.Connection:
    """A raw connection without the append-only triggers: what someone with the file has."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute("DROP TRIGGER IF EXISTS entries_no_delete")
    return conn


def row_of(conn: sqlite3.Connection, seq: int) -> dict[str, object]:
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM entries WHERE seq = ?", (seq,))
    return dict(zip(COLUMNS, cursor.fetchone(), strict=True))


def flip_char(text: str, position: int) -> str:
    """Change the character at *position* to a different one (still valid text)."""
    position %= len(text)
    old = text[position]
    new = "0" if old != "0" else "1"
    if old.isalpha() and old.lower() != old.upper():
        new = old.swapcase() if old.swapcase() != old else "x"
    return text[:position] + new + text[position + 1 :]


def record_fixtures(count: int, name: str) -> tuple[Any, Any]:
    """``pristine`` (a signed record of ``count`` entries, made once per module) and
    ``victim`` (a fresh copy of it per test, to damage): assign both at module level."""

    @pytest.fixture(scope="module")
    def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
        path = tmp_path_factory.mktemp(name) / "pristine.db"
        store, key = make_store(path, count, cases=2)
        store.close()
        return path, key

    @pytest.fixture
    def victim(
        pristine: tuple[Path, Ed25519PrivateKey], tmp_path: Path
    ) -> tuple[Path, Ed25519PrivateKey]:
        path, key = pristine
        copy = tmp_path / "victim.db"
        shutil.copy(path, copy)
        return copy, key

    return pristine, victim


def make_legacy_record(
    path: Path, count: int, key: Ed25519PrivateKey, cases: int = 1
) -> list[tuple[Any, ...]]:
    """A record as it was written before consultation links and heads: schema of
    migrations 0001-0002, version-1 entry hashes, a version-2 chain head. Returns the rows."""
    db = Database(path)
    migrations.apply(db, stop_before="0003_consultation_links_and_heads")
    kid = key_id(key)
    clock = FakeClock()
    prev, digest, rows = GENESIS_HASH, SIGNATURES_GENESIS, []
    for i in range(count):
        new = new_entry(i, f"CN-2026-{i % cases:04d}", event=i % 4 != 3)
        recorded_at = clock()
        fields = [i + 1, new.case_ref, new.room_id, new.event_id, new.kind, new.sender]
        fields += [new.origin_ts, recorded_at, new.content_json(), prev, kid]
        entry_hash = compute_entry_hash(*fields)
        signature = sign_entry_hash(key, entry_hash)
        rows.append((*fields[:10], entry_hash, signature, kid))
        prev, digest = entry_hash, next_signatures_digest(digest, signature)
    db.conn.executemany(f"INSERT INTO entries VALUES ({', '.join('?' * 13)})", rows)
    head = Head.sign(key, kid, count, prev, digest)
    db.conn.executemany(
        "INSERT INTO metadata (key, value) VALUES (?, ?)",
        [("head", head.to_json()), ("public_keys", canonical_text({kid: public_key_hex(key)}))],
    )
    db.conn.commit()
    db.close()
    return rows
