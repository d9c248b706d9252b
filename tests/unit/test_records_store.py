"""Record store: append, hash chain, idempotency, schema and files (keys: test_keys.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from coopnet.errors import CoopNetError
from coopnet.keys import (
    key_id,
    public_key_hex,
    verify_signature,
)
from coopnet.records import GENESIS_HASH, NewEntry, RecordError, canonical_json, sha256_hex
from coopnet.records.database import verify_db
from coopnet.records.entry import COLUMNS, compute_entry_hash
from coopnet.records.schema import MIGRATION_SET, migrations
from coopnet.records.store import RecordStore
from tests.unit.test_records_support import FakeClock, make_legacy_record, make_store, new_entry


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def store(tmp_path: Path, key: Ed25519PrivateKey) -> RecordStore:
    s = RecordStore(tmp_path / "records.db", key, clock=FakeClock())
    yield s
    s.close()


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", {"d": None, "c": 2}]}) == (
        '{"a":["é",{"c":2,"d":null}],"b":1}'
    )
    assert sha256_hex("abc") == sha256_hex(b"abc")
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


def test_first_entry_links_to_genesis_and_is_signed(store: RecordStore, key) -> None:
    entry = store.append(new_entry(0))
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH
    assert entry.key_id == key_id(key)
    assert entry.content == canonical_json(new_entry(0).content)
    assert entry.computed_hash() == entry.entry_hash
    assert verify_signature(
        key.public_key(), bytes.fromhex(entry.signature), bytes.fromhex(entry.entry_hash)
    )


def test_entries_form_a_chain(store: RecordStore) -> None:
    entries = [store.append(new_entry(i)) for i in range(5)]
    entries += store.append_many([new_entry(i) for i in range(5, 20)])
    assert [e.seq for e in entries] == list(range(1, 21))
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    assert store.entries() == entries
    head = store.head()
    assert head is not None and (head.seq, head.entry_hash) == (20, entries[-1].entry_hash)
    assert verify_db(store.path).ok


def test_hash_input_is_documented_array(store: RecordStore) -> None:
    e = store.append(new_entry(1))
    assert e.case_prev_hash == GENESIS_HASH  # the consultation's first entry
    expected = sha256_hex(
        canonical_json(
            [
                "coopnet.records.entry/2",
                e.seq,
                e.case_ref,
                e.room_id,
                e.event_id,
                e.kind,
                e.sender,
                e.origin_ts,
                e.recorded_at,
                e.content,
                e.prev_hash,
                e.case_prev_hash,
                e.key_id,
            ]
        )
    )
    assert e.entry_hash == expected
    hashed = [c for c in COLUMNS if c not in ("entry_hash", "signature")]
    assert compute_entry_hash(*[getattr(e, c) for c in hashed]) == expected


def test_entries_made_before_consultation_links_hash_as_version_1() -> None:
    fields = [3, "CN-1", "!r:x", "$e", "event", "@a:x", 1, 2, "{}", GENESIS_HASH, "k" * 16]
    expected = sha256_hex(canonical_json(["coopnet.records.entry/1", *fields]))
    assert compute_entry_hash(*fields) == expected
    assert compute_entry_hash(*fields, None) == expected
    assert compute_entry_hash(*fields, GENESIS_HASH) != expected


def test_each_entry_links_to_the_previous_entry_of_its_consultation(store: RecordStore) -> None:
    entries = store.append_many([new_entry(i, f"CN-{i % 2}") for i in range(6)])
    store.append(new_entry(6, "CN-0"))
    for case_ref in ("CN-0", "CN-1"):
        own = store.entries(case_ref)
        assert own[0].case_prev_hash == GENESIS_HASH
        for before, after in zip(own, own[1:], strict=False):
            assert after.case_prev_hash == before.entry_hash
    head = store.case_head("CN-0")
    assert head is not None and (head.count, head.seq) == (4, 7)
    assert head.signed_by(store._key.public_key())
    assert store.head().case_heads  # type: ignore[union-attr]
    assert entries[0].case_prev_hash == GENESIS_HASH


def test_append_is_idempotent_on_event_id(store: RecordStore) -> None:
    first = store.append(new_entry(1))
    again = store.append(
        NewEntry("CN-other", "!x:y", "message", "@z:y", {"different": 1}, event_id="$event1")
    )
    assert again == first
    assert store.count() == 1
    assert store.head().seq == 1  # type: ignore[union-attr]


def test_duplicates_inside_one_batch_are_written_once(store: RecordStore) -> None:
    result = store.append_many([new_entry(1), new_entry(2), new_entry(1), new_entry(3)])
    assert [e.seq for e in result] == [1, 2, 1, 3]
    assert result[2] == result[0]
    assert store.count() == 3
    assert verify_db(store.path).ok


def test_entries_without_event_id_are_never_deduplicated(store: RecordStore) -> None:
    store.append(new_entry(1, event=False))
    store.append(new_entry(1, event=False))
    assert store.count() == 2


def test_unique_index_not_a_lookup_enforces_idempotency(store: RecordStore) -> None:
    store.append(new_entry(1))
    indexes = {ix.name: ix for ix in Database(store.conn)["entries"].indexes}  # type: ignore[union-attr]
    assert indexes["entries_event_id_unique"].unique
    assert indexes["entries_event_id_unique"].columns == ["event_id"]
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO entries SELECT seq + 100, case_ref, room_id, event_id, kind, sender, "
            "origin_ts, recorded_at, content, prev_hash, entry_hash, signature, key_id, "
            "case_prev_hash "
            "FROM entries WHERE seq = 1"
        )
    conn.close()


def test_entries_are_append_only_for_programs(store: RecordStore) -> None:
    store.append(new_entry(1))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE entries SET content = '{}' WHERE seq = 1")
    store.conn.rollback()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM entries")
    store.conn.rollback()
    assert store.count() == 1


def test_numbered_migrations_recorded_and_reapplied_safely(tmp_path: Path, key) -> None:
    path = tmp_path / "r.db"
    RecordStore(path, key).close()
    with RecordStore(path, key) as again:  # reopening applies nothing twice
        again.append(new_entry(1))
        db = Database(again.conn)
        names = [m.name for m in migrations.applied(db)]
        assert names == [
            "0001_entries_and_metadata",
            "0002_append_only_triggers",
            "0003_consultation_links_and_heads",
        ]
        assert migrations.pending(db) == []
        rows = list(db["_sqlite_migrations"].rows_where("migration_set = ?", [MIGRATION_SET]))
        assert len(rows) == 3


def test_wal_mode_and_private_files(tmp_path: Path, key) -> None:
    path = tmp_path / "new-dir" / "records.db"
    with RecordStore(path, key) as s:
        s.append(new_entry(1))
        assert s.db.journal_mode == "wal"
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                assert mode(side) == 0o600, suffix


def test_existing_loose_database_is_tightened(tmp_path: Path, key) -> None:
    path = tmp_path / "records.db"
    RecordStore(path, key).close()
    os.chmod(path, 0o644)
    RecordStore(path, key).close()
    assert mode(path) == 0o600


def test_public_keys_stored_in_metadata_and_rotation(tmp_path: Path, key) -> None:
    path = tmp_path / "r.db"
    with RecordStore(path, key) as s:
        s.append(new_entry(1))
    second = Ed25519PrivateKey.generate()
    with RecordStore(path, second) as s:
        s.append(new_entry(2))
        stored = json.loads(
            s.conn.execute("SELECT value FROM metadata WHERE key = 'public_keys'").fetchone()[0]
        )
    assert stored == {key_id(key): public_key_hex(key), key_id(second): public_key_hex(second)}
    report = verify_db(path)
    assert report.ok and report.key_ids == {key_id(key), key_id(second)}
    # an explicit key overrides the stored ones: the entry by the other key then fails
    only_first = verify_db(path, key.public_key())
    assert not only_first.ok and only_first.problem.seq == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"case_ref": ""}, "case_ref"),
        ({"room_id": None}, "room_id"),
        ({"kind": "Not A Kind"}, "kind"),
        ({"event_id": ""}, "event_id"),
        ({"origin_ts": "yesterday"}, "origin_ts"),
        ({"origin_ts": True}, "origin_ts"),
        ({"content": {"x": object()}}, "content"),
        ({"content": float("inf")}, "content"),
    ],
)
def test_new_entry_validation_names_the_field(kwargs: dict, field: str) -> None:
    base = {
        "case_ref": "CN-1",
        "room_id": "!r:x",
        "kind": "message",
        "sender": "@a:x",
        "content": {},
    }
    base.update(kwargs)
    with pytest.raises(RecordError, match=field) as info:
        NewEntry(**base)
    assert isinstance(info.value, CoopNetError)


def test_append_rejects_non_entries(store: RecordStore) -> None:
    with pytest.raises(RecordError):
        store.append_many([{"case_ref": "x"}])  # type: ignore[list-item]
    assert store.append_many([]) == []


def test_store_is_bound_to_its_thread(store: RecordStore) -> None:
    import threading

    errors: list[BaseException] = []

    def other() -> None:
        try:
            store.append(new_entry(1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and isinstance(errors[0], RecordError)


def test_origin_ts_defaults_to_recording_time(store: RecordStore) -> None:
    e = store.append(NewEntry("CN-1", "!r:x", "reminder", "@bot:x", {"due": "2026-01-01"}))
    assert e.origin_ts == e.recorded_at and e.event_id is None


def test_make_store_helper_verifies(tmp_path: Path) -> None:
    store, key = make_store(tmp_path / "r.db", 50, cases=3)
    store.close()
    assert verify_db(tmp_path / "r.db", key.public_key()).ok


def test_a_record_made_before_consultation_heads_is_upgraded_once(tmp_path: Path, key) -> None:
    path = tmp_path / "old.db"
    make_legacy_record(path, 12, key, cases=3)
    assert verify_db(path, key.public_key()).ok  # read-only, not migrated: still verifies
    with RecordStore(path, key, clock=FakeClock()) as store:
        head = store.head()
        assert head is not None and head.case_heads and head.seq == 12
        case_head = store.case_head("CN-2026-0001")
        assert case_head is not None and (case_head.count, case_head.seq) == (4, 11)
        old = store.entries("CN-2026-0001")
        assert all(e.case_prev_hash is None for e in old)
        new = store.append(new_entry(99, "CN-2026-0001"))
        assert new.case_prev_hash == old[-1].entry_hash  # the first link joins the old entries
        assert store.case_head("CN-2026-0001").count == 5  # type: ignore[union-attr]
    report = verify_db(path, key.public_key(), signatures=True)
    assert report.ok and report.entries == 13, str(report)
