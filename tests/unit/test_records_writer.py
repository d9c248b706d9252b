"""The async facade: one writer thread, group commit, idempotency under concurrency."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.records import NewEntry, RecordError
from coopnet.records.database import verify_db
from coopnet.records.store import RecordStore
from coopnet.records.writer import AsyncRecordStore
from tests.harness import wait_for
from tests.unit.test_records_support import new_entry


async def let_new_tasks_submit() -> None:
    """One pass of the event loop: each task created before runs up to its first await,
    which for ``append`` is after its write is queued. Deterministic, not a timed wait."""
    await asyncio.sleep(0)


async def other_work() -> str:
    return "done"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


async def test_many_concurrent_coroutines_make_one_valid_chain(tmp_path: Path, key) -> None:
    path = tmp_path / "records.db"
    async with AsyncRecordStore(path, key) as store:

        async def writer(w: int) -> list[int]:
            seqs = []
            for i in range(10):
                entry = await store.append(new_entry(w * 100 + i, f"CN-{w % 3}"))
                seqs.append(entry.seq)
            return seqs

        results = await asyncio.gather(*(writer(w) for w in range(50)))
        for seqs in results:  # each coroutine sees its own writes in order
            assert seqs == sorted(seqs)
        all_seqs = sorted(s for seqs in results for s in seqs)
        assert all_seqs == list(range(1, 501))
        assert len(await store.entries()) == 500
        assert len(await store.entries("CN-1")) == sum(1 for w in range(50) if w % 3 == 1) * 10
        head = await store.head()
        assert head is not None and head.seq == 500
        assert (await store.verify()).ok
    report = verify_db(path, key.public_key())
    assert report.ok and report.entries == 500


async def test_concurrent_redelivery_is_recorded_once(tmp_path: Path, key) -> None:
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:
        entries = await asyncio.gather(*(store.append(new_entry(7)) for _ in range(40)))
        assert len({e.seq for e in entries}) == 1
        assert len(await store.entries()) == 1
        found = await store.get_by_event_id("$event7")
        assert found == entries[0]
        assert await store.get_by_event_id("$nope") is None


async def test_all_writes_run_in_one_dedicated_thread(tmp_path: Path, key) -> None:
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:
        idents = await asyncio.gather(
            *(store.execute_write_fn(lambda s: threading.get_ident()) for _ in range(20))
        )
        assert len(set(idents)) == 1
        assert idents[0] != threading.get_ident()
        names = await store.execute_write_fn(lambda s: threading.current_thread().name)
        assert names == "records-writer"


async def test_event_loop_keeps_running_during_a_slow_write(tmp_path: Path, key) -> None:
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:
        started, release = threading.Event(), threading.Event()

        def slow(s: RecordStore) -> int:
            started.set()
            release.wait(30)  # held until the loop has shown that it is free
            return s.count()

        task = asyncio.create_task(store.execute_write_fn(slow))
        # The loop polls, and runs another task to its end, while the writer is held.
        await wait_for(started.is_set, "the writer to start the slow write")
        assert await asyncio.create_task(other_work()) == "done"
        assert not task.done()
        release.set()
        assert await task == 0


async def test_errors_reach_the_caller_and_the_writer_survives(tmp_path: Path, key) -> None:
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:

        def boom(s: RecordStore) -> None:
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            await store.execute_write_fn(boom)
        with pytest.raises(RecordError):
            await store.append_many(["not an entry"])  # type: ignore[list-item]
        entry = await store.append(new_entry(1))
        assert entry.seq == 1


async def test_append_many_and_group_commit(tmp_path: Path, key) -> None:
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:
        batches = [[new_entry(b * 10 + i) for i in range(10)] for b in range(20)]
        results = await asyncio.gather(*(store.append_many(b) for b in batches))
        for batch, entries in zip(batches, results, strict=True):
            assert [e.event_id for e in entries] == [n.event_id for n in batch]
            seqs = [e.seq for e in entries]
            assert seqs == list(range(seqs[0], seqs[0] + 10))  # a batch stays contiguous
        assert (await store.verify(key.public_key())).ok


async def test_close_finishes_queued_writes_then_refuses(tmp_path: Path, key) -> None:
    store = await AsyncRecordStore.open(tmp_path / "r.db", key)
    pending = [asyncio.ensure_future(store.append(new_entry(i))) for i in range(30)]
    await let_new_tasks_submit()
    await store.close()
    await asyncio.gather(*pending)
    with pytest.raises(RecordError, match="closed"):
        await store.append(new_entry(99))
    await store.close()  # closing twice is harmless
    assert verify_db(tmp_path / "r.db").entries == 30


async def test_open_failure_is_raised_to_the_caller(tmp_path: Path, key) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(RecordError):
        await AsyncRecordStore.open(tmp_path / "dir.db", key)


async def test_reopening_continues_the_chain(tmp_path: Path, key) -> None:
    path = tmp_path / "r.db"
    async with AsyncRecordStore(path, key) as store:
        await store.append(new_entry(1))
    async with AsyncRecordStore(path, key) as store:
        again = await store.append(new_entry(1))  # re-delivered after a restart
        nxt = await store.append(NewEntry("CN-1", "!r:x", "reminder", "@bot:x", {"in": "2d"}))
    assert again.seq == 1 and nxt.seq == 2
    assert verify_db(path).ok


async def test_failed_group_commit_is_retried_one_by_one(tmp_path: Path, key, monkeypatch) -> None:
    original = RecordStore.append_many
    group_sizes: list[int] = []

    def flaky(self: RecordStore, news):  # type: ignore[no-untyped-def]
        group_sizes.append(len(news))
        if len(news) > 1:
            raise RecordError("simulated failure of a group commit")
        return original(self, news)

    monkeypatch.setattr(RecordStore, "append_many", flaky)
    async with AsyncRecordStore(tmp_path / "r.db", key) as store:
        held, gate = threading.Event(), threading.Event()

        def hold(_s: RecordStore) -> bool:
            held.set()
            return gate.wait(30)

        blocker = asyncio.ensure_future(store.execute_write_fn(hold))
        await wait_for(held.is_set, "the writer to be held")
        pending = [asyncio.ensure_future(store.append(new_entry(i))) for i in range(5)]
        await let_new_tasks_submit()  # all five are queued behind the held writer
        gate.set()
        await blocker
        entries = await asyncio.gather(*pending)
    assert sorted(e.seq for e in entries) == [1, 2, 3, 4, 5]
    assert group_sizes[0] == 5 and group_sizes[1:] == [1] * 5
    assert verify_db(tmp_path / "r.db").ok
