"""The client's encrypted cache: sealed rows, wrapped key, wrong passphrases, damage."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopnet.errors import CacheError, WrongPassphrase
from coopnet.localcache import DRAFT_SLOT, BackgroundCache, EncryptedCache, KdfParams
from coopnet.localcache.sealing import new_data_key, open_sealed, seal

CHEAP = 2**10  # scrypt N for tests; the product default is 2**17


def cheap() -> KdfParams:
    return KdfParams.fresh(n=CHEAP)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "cache.db"


def test_rows_come_back_with_the_passphrase_and_are_not_in_the_file(path: Path):
    canary = "Ferreira-canary-4711"
    cache = EncryptedCache.create(path, "correct horse", cheap())
    cache.write(
        [("!r:a", {"case_ref": "CH-MX-2026-0001"})],
        [("!r:a", "$e1", {"body": canary, "ts": 1}), ("!r:a", "$e2", {"body": "b"})],
    )
    cache.close()
    assert canary.encode() not in path.read_bytes()
    assert b"CH-MX-2026-0001" not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    again = EncryptedCache.unlock(path, "correct horse")
    assert dict(again.rooms()) == {"!r:a": {"case_ref": "CH-MX-2026-0001"}}
    events = {e: record for _, e, record in again.events()}
    assert events == {"$e1": {"body": canary, "ts": 1}, "$e2": {"body": "b"}}
    assert again.damaged == 0


def test_wrong_passphrase_is_refused_and_changes_nothing(path: Path):
    EncryptedCache.create(path, "right", cheap()).close()
    before = digest(path)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        EncryptedCache.unlock(path, "wrong")
    assert digest(path) == before


def test_upsert_replaces_a_row(path: Path):
    cache = EncryptedCache.create(path, "p", cheap())
    cache.write([], [("!r", "$e", {"v": 1})])
    cache.write([], [("!r", "$e", {"v": 2})])
    assert list(cache.events()) == [("!r", "$e", {"v": 2})]


def test_a_blob_moved_to_another_row_does_not_open(path: Path):
    cache = EncryptedCache.create(path, "p", cheap())
    cache.write([], [("!r", "$one", {"body": "first"}), ("!r", "$two", {"body": "second"})])
    cache.close()
    with sqlite3.connect(path) as db:
        blob = db.execute("SELECT blob FROM events WHERE event_id='$one'").fetchone()[0]
        db.execute("UPDATE events SET blob=? WHERE event_id='$two'", (blob,))
    again = EncryptedCache.unlock(path, "p")
    assert list(again.events()) == [("!r", "$one", {"body": "first"})]
    assert again.damaged == 1


def test_one_flipped_byte_is_detected(path: Path):
    cache = EncryptedCache.create(path, "p", cheap())
    cache.write([], [("!r", "$e", {"body": "x" * 40})])
    cache.close()
    with sqlite3.connect(path) as db:
        blob = bytearray(db.execute("SELECT blob FROM events").fetchone()[0])
        blob[20] ^= 0x01
        db.execute("UPDATE events SET blob=?", (bytes(blob),))
    again = EncryptedCache.unlock(path, "p")
    assert list(again.events()) == []
    assert again.damaged == 1


def test_changing_the_passphrase_keeps_the_rows(path: Path):
    cache = EncryptedCache.create(path, "old", cheap())
    cache.write([], [("!r", "$e", {"body": "kept"})])
    with pytest.raises(WrongPassphrase):
        cache.change_passphrase("not the old one", "new", cheap())
    cache.change_passphrase("old", "new", cheap())
    cache.close()
    with pytest.raises(WrongPassphrase):
        EncryptedCache.unlock(path, "old")
    assert list(EncryptedCache.unlock(path, "new").events()) == [("!r", "$e", {"body": "kept"})]


def test_a_file_that_is_not_a_cache_is_named(path: Path):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not sqlite at all" * 20)
    with pytest.raises(CacheError, match="not a readable CoopNet cache"):
        EncryptedCache.unlock(path, "p")


def test_a_cache_without_key_material_says_what_to_do(path: Path):
    EncryptedCache.create(path, "p", cheap()).close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE name='wrapped_key'")
    with pytest.raises(CacheError, match="discard it"):
        EncryptedCache.unlock(path, "p")


def test_create_refuses_to_overwrite_and_discard_removes(path: Path):
    EncryptedCache.create(path, "p", cheap()).close()
    with pytest.raises(CacheError, match="already exists"):
        EncryptedCache.create(path, "q", cheap())
    EncryptedCache.discard(path)
    assert not path.exists()
    EncryptedCache.create(path, "q", cheap()).close()


def test_empty_passphrase_and_malformed_parameters_are_refused(path: Path):
    with pytest.raises(CacheError, match="empty"):
        EncryptedCache.create(path, "", cheap())
    with pytest.raises(CacheError, match="malformed"):
        KdfParams.from_dict({"salt": "00" * 16, "n": 1000, "r": 8, "p": 1})
    with pytest.raises(CacheError, match="malformed"):
        KdfParams.from_dict({"salt": "zz", "n": 1024, "r": 8, "p": 1})
    with pytest.raises(CacheError, match="kdf.n: .* is not between"):  # edited to exhaust memory
        KdfParams.from_dict({"salt": "00" * 16, "n": 2**30, "r": 8, "p": 1})


@given(st.binary(max_size=2048), st.binary(max_size=64), st.integers(min_value=0))
def test_seal_round_trips_and_any_flipped_bit_fails(plain: bytes, aad: bytes, where: int):
    key = new_data_key()
    blob = seal(key, plain, aad)
    assert open_sealed(key, blob, aad) == plain
    damaged = bytearray(blob)
    damaged[where % len(blob)] ^= 0x80
    with pytest.raises(CacheError):
        open_sealed(key, bytes(damaged), aad)


async def test_background_cache_batches_writes_and_flushes_on_close(path: Path):
    cache = await BackgroundCache.open(path, "p", create=True, params=cheap())
    for i in range(250):
        cache.put_event("!r", f"$e{i}", {"i": i})
    cache.put_room("!r", {"case_ref": "X"})
    await cache.close()

    again = await BackgroundCache.open(path, "p", create=False)
    rooms, events = await again.load()
    await again.close()
    assert rooms == [("!r", {"case_ref": "X"})]
    assert sorted(record["i"] for _, _, record in events) == list(range(250))


async def test_background_open_with_a_wrong_passphrase_raises(path: Path):
    await (await BackgroundCache.open(path, "p", create=True, params=cheap())).close()
    with pytest.raises(WrongPassphrase):
        await BackgroundCache.open(path, "nope", create=False)


async def test_a_forgotten_room_leaves_the_file_with_its_events(path: Path):
    cache = await BackgroundCache.open(path, "p", create=True, params=cheap())
    cache.put_room("!gone", {"case_ref": "LEFT"})
    cache.put_event("!gone", "$1", {"body": "left behind"})
    cache.put_event("!kept", "$2", {"body": "kept"})
    await cache.flush()
    cache.put_event("!gone", "$3", {"body": "queued, then forgotten"})
    cache.forget_room("!gone")
    await cache.close()

    again = EncryptedCache.unlock(path, "p")
    assert list(again.rooms()) == []
    assert list(again.events()) == [("!kept", "$2", {"body": "kept"})]


def test_the_outbox_keeps_drafts_and_pending_sends_sealed_across_reopening(path: Path):
    secret = "Ferreira-outbox-canary"
    cache = EncryptedCache.create(path, "pw", cheap())
    cache.keep_outbox("!r:a", DRAFT_SLOT, {"body": f"draft {secret}"})
    cache.keep_outbox("!r:b", "txn-1", {"body": f"sending {secret}", "reply_to": "$e"})
    cache.close()
    assert secret.encode() not in path.read_bytes()
    again = EncryptedCache.unlock(path, "pw")
    assert sorted(again.outbox()) == [
        ("!r:a", DRAFT_SLOT, {"body": f"draft {secret}"}),
        ("!r:b", "txn-1", {"body": f"sending {secret}", "reply_to": "$e"}),
    ]
    again.drop_outbox("!r:b", "txn-1")
    again.drop_outbox("!r:b", "never-there")  # nothing to drop is not an error
    assert [(r, s) for r, s, _ in again.outbox()] == [("!r:a", DRAFT_SLOT)]


def test_a_draft_becomes_a_pending_send_in_one_write(path: Path):
    cache = EncryptedCache.create(path, "pw", cheap())
    cache.keep_outbox("!r:a", DRAFT_SLOT, {"body": "hello"})
    cache.keep_outbox("!r:b", DRAFT_SLOT, {"body": "other room"})
    cache.keep_outbox("!r:a", "txn-2", {"body": "hello"}, drop=[DRAFT_SLOT])
    assert sorted((r, s) for r, s, _ in cache.outbox()) == [
        ("!r:a", "txn-2"),
        ("!r:b", DRAFT_SLOT),  # another room's draft is untouched
    ]


def test_an_outbox_row_moved_to_another_slot_fails_its_check(path: Path):
    # The row's key is in its associated data: a blob copied under another transaction
    # id (or room) is skipped, never sent under a name it was not written for.
    cache = EncryptedCache.create(path, "pw", cheap())
    cache.keep_outbox("!r:a", "txn-1", {"body": "x"})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outbox SET slot = 'txn-9'")
    assert list(cache.outbox()) == []
    assert cache.damaged == 1


async def test_queued_outbox_writes_land_in_call_order(path: Path):
    cache = await BackgroundCache.open(path, "pw", create=True, params=cheap())
    for text in ("h", "he", "hel"):
        cache.queue_outbox("!r:a", DRAFT_SLOT, {"body": text})
    await cache.keep_outbox("!r:a", "txn-3", {"body": "hel"}, drop=(DRAFT_SLOT,))
    cache.queue_outbox("!r:b", DRAFT_SLOT, {"body": "x"})
    cache.queue_outbox("!r:b", DRAFT_SLOT, None)
    assert await cache.outbox() == [("!r:a", "txn-3", {"body": "hel"})]
    await cache.close()
