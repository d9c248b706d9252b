"""The encrypted cache from asyncio code: one thread owns the file, writes are batched.

scrypt and SQLite would block the event loop (and freeze the terminal client), so every
call runs on one dedicated thread that owns the connection — the single-writer pattern
the record store uses. Writes queued while a batch is being written go out together in
the next transaction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from coopnet.localcache.sealing import KdfParams
from coopnet.localcache.store import EncryptedCache, Record

log = logging.getLogger(__name__)

T = TypeVar("T")


class BackgroundCache:
    """An unlocked :class:`EncryptedCache` used from the event loop."""

    def __init__(self, executor: ThreadPoolExecutor, cache: EncryptedCache) -> None:
        self._executor = executor
        self._cache = cache
        self._rooms: dict[str, Record] = {}
        self._events: dict[tuple[str, str], Record] = {}
        self._forget: set[str] = set()
        self._flushing: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, path: Path, passphrase: str, *, create: bool, params: KdfParams | None = None
    ) -> BackgroundCache:
        """Unlock the cache at ``path``, or create it (``create``): ``WrongPassphrase``
        and ``CacheError`` propagate, and the thread is stopped again."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coopnet-cache")

        def opening() -> EncryptedCache:
            if create:
                return EncryptedCache.create(path, passphrase, params)
            return EncryptedCache.unlock(path, passphrase)

        try:
            cache = await asyncio.get_running_loop().run_in_executor(executor, opening)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, cache)

    @property
    def damaged(self) -> int:
        return self._cache.damaged

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def load(self) -> tuple[list[tuple[str, Record]], list[tuple[str, str, Record]]]:
        """Every cached room and event, decrypted (rows that fail are skipped)."""
        return await self.load_as(lambda rooms, events: (rooms, events))

    async def load_as(
        self, build: Callable[[list[tuple[str, Record]], list[tuple[str, str, Record]]], T]
    ) -> T:
        """``build(rooms, events)`` of everything cached, computed on the cache's thread
        too, so that turning thousands of rows into objects does not freeze the loop."""
        return await self._run(lambda: build(list(self._cache.rooms()), list(self._cache.events())))

    def put_room(self, room_id: str, record: Record) -> None:
        self._rooms[room_id] = record
        self._schedule()

    def put_event(self, room_id: str, event_id: str, record: Record) -> None:
        self._events[(room_id, event_id)] = record
        self._schedule()

    def forget_room(self, room_id: str) -> None:
        """Delete a room and its events (e.g. the account left it)."""
        self._forget.add(room_id)
        self._rooms.pop(room_id, None)
        for key in [k for k in self._events if k[0] == room_id]:
            del self._events[key]
        self._schedule()

    def _schedule(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(
                self._flush_queued(), name="cache-flush"
            )

    async def _flush_queued(self) -> None:
        while self._rooms or self._events or self._forget:
            rooms, self._rooms = self._rooms, {}
            events, self._events = self._events, {}
            forget, self._forget = self._forget, set()
            batch = [(r, e, record) for (r, e), record in events.items()]
            try:
                await self._run(
                    functools.partial(self._cache.write, list(rooms.items()), batch, sorted(forget))
                )
            except Exception:  # the cache is a copy: a failed write loses nothing remote
                log.exception("writing %d cached events failed", len(batch))

    # The outbox is written through at once, in call order (one thread): a pending send
    # is on disk before its request leaves.
    async def keep_outbox(
        self, room_id: str, slot: str, record: Record, drop: tuple[str, ...] = ()
    ) -> None:
        await self._run(functools.partial(self._cache.keep_outbox, room_id, slot, record, drop))

    def queue_outbox(self, room_id: str, slot: str, record: Record | None) -> None:
        """Store (or, with None, delete) an outbox row without waiting: handed to the
        cache's thread now, so it is written before anything asked for later."""
        if record is None:
            write = functools.partial(self._cache.drop_outbox, room_id, slot)
        else:
            write = functools.partial(self._cache.keep_outbox, room_id, slot, record)
        future = asyncio.get_running_loop().run_in_executor(self._executor, write)
        future.add_done_callback(_log_failure)

    async def drop_outbox(self, room_id: str, slot: str) -> None:
        await self._run(functools.partial(self._cache.drop_outbox, room_id, slot))

    async def outbox(self) -> list[tuple[str, str, Record]]:
        return await self._run(lambda: list(self._cache.outbox()))

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)
        if self._rooms or self._events or self._forget:
            self._schedule()
            await self.flush()

    async def change_passphrase(
        self, old_passphrase: str, new_passphrase: str, params: KdfParams | None = None
    ) -> None:
        await self._run(
            functools.partial(self._cache.change_passphrase, old_passphrase, new_passphrase, params)
        )

    async def close(self) -> None:
        try:
            await self.flush()
            await self._run(self._cache.close)
        finally:
            self._executor.shutdown(wait=True)


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("writing the outbox failed: %r", future.exception())
