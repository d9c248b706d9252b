"""A bot's own small state: its sync token and the events it holds back.

An event is held while its room key has not arrived, and so is every later event of the
same room (already decrypted or not), so that the room is handled in order once the key
comes, or once the wait is given up.

SQLite through sqlite-utils with numbered migrations; the file is 0600. Writes are few
(one per sync batch) and run in a worker thread so they never block the event loop.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database, Migrations

from coopnet.ids import EventID, RoomID, UserID
from coopnet.keys import create_private_file
from coopnet.matrix import ReceivedEvent

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


@migrations(name="0002_held_decrypted_events")
def _m0002(db: Database) -> None:
    # Rows written before: undecryptable encrypted events.
    db["pending"].add_column("decrypted", int, not_null_default=0)  # type: ignore[union-attr]
    db["pending"].add_column("encrypted", int, not_null_default=1)  # type: ignore[union-attr]


@migrations(name="0003_passed_events")
def _m0003(db: Database) -> None:
    # Events given up on (their room key never came): history catch-up must not take
    # them for gaps again and hold their room behind them once more.
    db["passed"].create({"event_id": str, "room_id": str}, pk="event_id")  # type: ignore[union-attr]


@migrations(name="0004_history_marks")
def _m0004(db: Database) -> None:
    # Per room, where the last deep history checks started (newest first): the next one
    # reads back past the oldest, because backfill puts events behind what was held.
    db["history_marks"].create({"room_id": str, "marks": str}, pk="room_id")  # type: ignore[union-attr]


def held_event(row: dict[str, Any]) -> ReceivedEvent:
    """The event a ``pending`` row holds (``content`` is empty while it is undecrypted)."""
    source = json.loads(row["source"])
    decrypted = bool(row["decrypted"])
    content = source.get("content") if decrypted else None
    return ReceivedEvent(
        room_id=RoomID(row["room_id"]),
        event_id=EventID(row["event_id"]),
        sender=UserID(str(source.get("sender", ""))),
        origin_server_ts=int(source.get("origin_server_ts", 0)),
        type=str(source.get("type", "")),
        content=dict(content) if isinstance(content, dict) else {},
        encrypted=bool(row["encrypted"]),
        decrypted=decrypted,
        source=source,
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

    # -- events held back until an earlier one of their room gets its key
    async def add_pending(self, event: ReceivedEvent) -> None:
        await self._write(
            "INSERT OR IGNORE INTO pending(event_id, room_id, source, first_seen, "
            "key_requested, decrypted, encrypted) VALUES(?, ?, ?, ?, 0, ?, ?)",
            [
                event.event_id,
                event.room_id,
                json.dumps(event.source),
                time.time(),
                int(event.decrypted),
                int(event.encrypted),
            ],
        )

    async def pending(self) -> list[dict[str, Any]]:
        """Held events in the order they arrived."""
        return await asyncio.to_thread(
            self._run, lambda db: list(db.query("SELECT * FROM pending ORDER BY rowid"))
        )

    def held_rooms(self) -> set[str]:
        rows = self._run(lambda db: db.execute("SELECT DISTINCT room_id FROM pending").fetchall())
        return {str(row[0]) for row in rows}

    async def drop_pending(self, event_id: str) -> None:
        await self._write("DELETE FROM pending WHERE event_id=?", [event_id])

    # -- events the bot holds or gave up on (not gaps to fill from history)
    async def pass_event(self, event: ReceivedEvent) -> None:
        await self._write(
            "INSERT OR IGNORE INTO passed(event_id, room_id) VALUES(?, ?)",
            [event.event_id, event.room_id],
        )

    async def held_or_passed(self, event_ids: Collection[str]) -> set[str]:
        """Which of ``event_ids`` wait for their room key or were given up on."""
        wanted = list(dict.fromkeys(event_ids))

        def read(db: Database) -> set[str]:
            found: set[str] = set()
            for i in range(0, len(wanted), 400):  # below SQLite's limit on parameters
                chunk = wanted[i : i + 400]
                marks = ", ".join("?" * len(chunk))
                for table in ("pending", "passed"):
                    sql = f"SELECT event_id FROM {table} WHERE event_id IN ({marks})"
                    found.update(str(row[0]) for row in db.execute(sql, chunk).fetchall())
            return found

        return await asyncio.to_thread(self._run, read)

    # -- where the last deep history checks of a room started
    async def history_marks(self, room_id: str) -> list[str]:
        def read(db: Database) -> list[str]:
            sql = "SELECT marks FROM history_marks WHERE room_id=?"
            row = db.execute(sql, [room_id]).fetchone()
            marks = json.loads(row[0]) if row else []
            return [str(m) for m in marks] if isinstance(marks, list) else []

        return await asyncio.to_thread(self._run, read)

    async def save_history_marks(self, room_id: str, marks: list[str]) -> None:
        await self._write(
            "INSERT INTO history_marks(room_id, marks) VALUES(?, ?) "
            "ON CONFLICT(room_id) DO UPDATE SET marks=excluded.marks",
            [room_id, json.dumps(marks)],
        )

    def close(self) -> None:
        self._db.close()
