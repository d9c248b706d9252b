"""Async facade over the record store: every write goes through ONE writer thread.

This is Datasette's ``execute_write_fn`` pattern: a ``queue.Queue`` consumed by a thread
that owns the only write connection; callers await an asyncio future. Appends that are
queued at the same moment are committed together in one transaction (group commit),
so many concurrent coroutines do not pay one fsync each. Reads use short-lived
read-only connections in worker threads, so they never wait behind writes (WAL).

A caller cancelled while awaiting does not cancel its write: once queued, it happens.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import queue
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.records import reader
from coopnet.records.database import verify_db
from coopnet.records.entry import Entry, NewEntry
from coopnet.records.errors import RecordError
from coopnet.records.head import Head
from coopnet.records.store import RecordStore
from coopnet.records.verify import VerifyReport

logger = logging.getLogger(__name__)

T = TypeVar("T")
_MAX_GROUP = 1000


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    fn: Callable[[RecordStore], Any] | None = None
    appends: Sequence[NewEntry] | None = None


_STOP = object()


def _append_many(news: list[NewEntry], store: RecordStore) -> list[Entry]:
    return store.append_many(news)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class AsyncRecordStore:
    """The record store for asyncio programs (the bot). Open with ``await open(...)``."""

    def __init__(
        self, path: str | os.PathLike[str], signing_key: Ed25519PrivateKey, **options: Any
    ) -> None:
        self.path = Path(path)
        self._key = signing_key
        self._options = options
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.key_id = ""

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], signing_key: Ed25519PrivateKey, **options: Any
    ) -> AsyncRecordStore:
        """Start the writer thread, which opens the database and applies migrations."""
        self = cls(path, signing_key, **options)
        await self.start()
        return self

    async def start(self) -> None:
        if self._thread is not None:
            raise RecordError("the record writer is already started")
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[str] = loop.create_future()
        self._thread = threading.Thread(
            target=self._run, args=(loop, ready), name="records-writer", daemon=True
        )
        self._thread.start()
        self.key_id = await ready

    # -- the writer thread -------------------------------------------------------------

    def _run(self, loop: asyncio.AbstractEventLoop, ready: asyncio.Future[str]) -> None:
        try:
            store = RecordStore(self.path, self._key, **self._options)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            loop.call_soon_threadsafe(_resolve, ready, None, exc)
            return
        loop.call_soon_threadsafe(_resolve, ready, store.key_id, None)
        try:
            while True:
                job = self._queue.get()
                if job is _STOP:
                    break
                jobs = [job]
                stop = False
                while len(jobs) < _MAX_GROUP:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stop = True
                        break
                    jobs.append(more)
                self._process(store, jobs)
                if stop:
                    break
        finally:
            store.close()
            logger.debug("record writer for %s stopped", self.path)

    def _process(self, store: RecordStore, jobs: list[_Job]) -> None:
        group: list[_Job] = []
        for job in jobs:
            if job.appends is not None:
                group.append(job)
                continue
            self._flush(store, group)
            group = []
            self._run_fn(store, job)
        self._flush(store, group)

    @staticmethod
    def _run_fn(store: RecordStore, job: _Job) -> None:
        try:
            assert job.fn is not None
            result, error = job.fn(store), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            result, error = None, exc
        job.loop.call_soon_threadsafe(_resolve, job.future, result, error)

    def _flush(self, store: RecordStore, group: list[_Job]) -> None:
        if not group:
            return
        if len(group) > 1:
            news = [new for job in group for new in job.appends or ()]
            try:
                entries = store.append_many(news)
            except RecordError:
                logger.warning("group commit of %d appends failed; retrying one by one", len(news))
            else:
                offset = 0
                for job in group:
                    count = len(job.appends or ())
                    job.loop.call_soon_threadsafe(
                        _resolve, job.future, entries[offset : offset + count], None
                    )
                    offset += count
                return
        for job in group:
            appends = list(job.appends or ())
            retry = _Job(job.loop, job.future, fn=functools.partial(_append_many, appends))
            self._run_fn(store, retry)

    # -- the async API -----------------------------------------------------------------

    def _submit(self, job: _Job) -> asyncio.Future[Any]:
        if self._closed or self._thread is None or not self._thread.is_alive():
            raise RecordError("the record store is closed")
        self._queue.put(job)
        return job.future

    async def execute_write_fn(self, fn: Callable[[RecordStore], T]) -> T:
        """Run ``fn(store)`` in the writer thread and return its result."""
        loop = asyncio.get_running_loop()
        result: T = await self._submit(_Job(loop, loop.create_future(), fn=fn))
        return result

    async def append(self, new: NewEntry) -> Entry:
        """Record one entry (idempotent on event id); returns the stored entry."""
        return (await self.append_many([new]))[0]

    async def append_many(self, news: Sequence[NewEntry]) -> list[Entry]:
        """Record several entries in order, in one transaction."""
        for new in news:
            if not isinstance(new, NewEntry):
                raise RecordError(f"append expects NewEntry objects, got {type(new).__name__}")
        loop = asyncio.get_running_loop()
        result: list[Entry] = await self._submit(
            _Job(loop, loop.create_future(), appends=list(news))
        )
        return result

    async def _read(self, fn: Callable[[Any], T]) -> T:
        def run() -> T:
            conn = reader.open_readonly(self.path)
            try:
                return fn(conn)
            finally:
                conn.close()

        return await asyncio.to_thread(run)

    async def entries(self, case_ref: str | None = None) -> list[Entry]:
        return await self._read(lambda conn: list(reader.iter_entries(conn, case_ref)))

    async def get_by_event_id(self, event_id: str) -> Entry | None:
        return await self._read(lambda conn: reader.get_entry_by_event_id(conn, event_id))

    async def held_event_ids(self, event_ids: Collection[str]) -> set[str]:
        """Which of ``event_ids`` the record holds (one read for them all)."""
        return await self._read(lambda conn: reader.held_event_ids(conn, event_ids))

    async def head(self) -> Head | None:
        return await self._read(reader.read_head)

    async def verify(self, public_key: Ed25519PublicKey | None = None) -> VerifyReport:
        return await asyncio.to_thread(verify_db, self.path, public_key)

    async def close(self) -> None:
        """Finish the queued writes, then stop the writer thread."""
        if self._closed or self._thread is None:
            self._closed = True
            return
        self._closed = True
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    async def __aenter__(self) -> AsyncRecordStore:
        if self._thread is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
