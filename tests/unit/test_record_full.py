"""A full disk under the record: the write is refused as :class:`RecordFull`, nothing of it
is kept, the same write succeeds once there is room; the bot's pause says so once.

SQLite's ``max_page_count`` makes the database refuse to grow with the same error a
full filesystem gives (SQLITE_FULL), so no filesystem needs to be filled here
(tests/reliability/test_disk_full.py fills a real one).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bots.consultation.record_pause import RecordingPause
from coopnet.records import RecordError, RecordFull
from coopnet.records.database import verify_db
from coopnet.records.store import RecordStore
from tests.unit.test_records_support import FakeClock, new_entry


def test_a_refused_write_keeps_nothing_and_succeeds_once_there_is_room(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records.db", Ed25519PrivateKey.generate(), clock=FakeClock())
    try:
        store.append_many([new_entry(i) for i in range(3)])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (pages,) = store.conn.execute("PRAGMA page_count").fetchone()
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        big = [new_entry(i) for i in range(3, 400)]
        with pytest.raises(RecordFull) as refused:
            store.append_many(big)
        assert isinstance(refused.value, RecordError)
        assert "full" in str(refused.value)
        assert store.count() == 3
        assert verify_db(tmp_path / "records.db").ok
        store.conn.execute(f"PRAGMA max_page_count = {pages * 1000}")
        store.append_many(big)
        assert store.count() == 400
    finally:
        store.close()
    assert verify_db(tmp_path / "records.db").ok


def test_other_failures_stay_record_errors(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records.db", Ed25519PrivateKey.generate(), clock=FakeClock())
    try:
        store.conn.execute("DROP TABLE entries")
        with pytest.raises(RecordError) as failed:
            store.append_many([new_entry(0)])
        assert not isinstance(failed.value, RecordFull)
    finally:
        store.close()


async def test_the_pause_is_said_once_per_room_and_its_end_to_the_same_rooms() -> None:
    said: list[tuple[str, str, str]] = []

    async def announce(room_id: str, key: str, pause_id: str) -> None:
        said.append((room_id, key, pause_id))

    pause = RecordingPause(announce, retry_seconds=0)
    await pause.written()  # nothing paused: nothing said
    full = RecordFull("disk full")
    for room in ("!a", "!a", "!b", "!a"):
        await pause.refused(room, full)
    assert pause.paused
    pause_id = said[0][2]
    assert said == [("!a", "record.paused", pause_id), ("!b", "record.paused", pause_id)]
    await pause.written()
    await pause.written()
    assert not pause.paused
    assert said[2:] == [("!a", "record.resumed", pause_id), ("!b", "record.resumed", pause_id)]
