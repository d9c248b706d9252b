"""A bot's own small state: its sync token and the events it could not decrypt yet.

SQLite through sqlite-utils with numbered migrations; the file is 0600. Writes are few
(one per sync batch) and run in a worker thread so they never block the event loop.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database, Migrations

from coopnet.keys import create_private_file

T = TypeVar("T")

migrations = Migrations("coopnet.bot_state")


@migrations(name="0001_sync_and_pending")
def _m0001(db: Database) -> None:
    db["kv"].create({"key": str, "value": str}, pk="key")  # type: ignore[union-attr]
    db["pending"].create(  # type: ignore[union-attr]
        {
            "event_id": str,
            "room_id": str,
            "source": str,
            "first_seen": float,
            "key_requested": int,
        },
        pk="event_id",
    )


class BotState:
    def __init__(self, path: Path) -> None:
        create_private_file(path)
        self.path = path
        # One connection, used from worker threads one call at a time (the lock).
        self._lock = threading.Lock()
        self._db = Database(sqlite3.connect(str(path), check_same_thread=False))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        migrations.apply(self._db)

    def _run(self, fn: Callable[[Database], T]) -> T:
        with self._lock:
            return fn(self._db)

    async def _write(self, sql: str, params: list[Any]) -> None:
        def write(db: Database) -> None:
            with db.conn:
                db.execute(sql, params)

        await asyncio.to_thread(self._run, write)

    # -- sync token
    def sync_token(self) -> str | None:
        row = self._run(lambda db: db.execute("SELECT value FROM kv WHERE key='sync'").fetchone())
        return str(row[0]) if row else None

    async def save_sync_token(self, token: str) -> None:
        await self._write(
            "INSERT INTO kv(key, value) VALUES('sync', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            [token],
        )

    # -- events waiting for their room key
    async def add_pending(self, event_id: str, room_id: str, source: dict[str, Any]) -> None:
        await self._write(
            "INSERT OR IGNORE INTO pending VALUES(?, ?, ?, ?, 0)",
            [event_id, room_id, json.dumps(source), time.time()],
        )

    async def pending(self) -> list[dict[str, Any]]:
        return await asyncio.to_thread(
            self._run, lambda db: list(db.query("SELECT * FROM pending ORDER BY first_seen"))
        )

    async def mark_key_requested(self, event_id: str) -> None:
        await self._write("UPDATE pending SET key_requested=1 WHERE event_id=?", [event_id])

    async def drop_pending(self, event_id: str) -> None:
        await self._write("DELETE FROM pending WHERE event_id=?", [event_id])

    def close(self) -> None:
        self._db.close()
