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
from coopnet.matrix import UNKNOWN_SENDER, ReceivedEvent, SenderDevice

T = TypeVar("T")

migrations = Migrations("coopnet.bot_state")

FAILED = 2
"""An event is skipped once it ended the bot with an exception, or once two runs ended
(``kill -9``, out of memory, a crash) while it was the next event to handle."""


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


@migrations(name="0003_rejected_and_failing_events")
def _m0003(db: Database) -> None:
    # Why a held event was rejected on arrival (it cannot be told again from its source).
    db["pending"].add_column("rejected", str)  # type: ignore[union-attr]
    # Events whose handling was under way when the bot stopped without finishing it, and
    # how often: see BotState.begin_handling.
    db["in_flight"].create(  # type: ignore[union-attr]
        {"event_id": str, "room_id": str, "attempts": int, "failure": str},
        pk="event_id",
    )


@migrations(name="0004_held_sender_device")
def _m0004(db: Database) -> None:
    # The sending device and its trust decision of a decrypted held event (JSON). Rows
    # written before: empty, read as an unknown (untrusted) device.
    db["pending"].add_column("sender_device", str, not_null_default="")  # type: ignore[union-attr]


def _sender_device_json(device: SenderDevice) -> str:
    return json.dumps(
        {
            "device_id": device.device_id,
            "ed25519": device.ed25519,
            "trusted": device.trusted,
            "reason": device.reason,
        }
    )


def _sender_device_of(text: str | None) -> SenderDevice:
    try:
        data = json.loads(text or "")
    except ValueError:
        return UNKNOWN_SENDER
    if not isinstance(data, dict):
        return UNKNOWN_SENDER
    device_id, ed25519 = data.get("device_id"), data.get("ed25519")
    return SenderDevice(
        device_id if isinstance(device_id, str) else None,
        ed25519 if isinstance(ed25519, str) else None,
        data.get("trusted") is True,
        str(data.get("reason") or ""),
    )


@migrations(name="0005_passed_events")
def _m0005(db: Database) -> None:
    # Events given up on (their room key never came): history catch-up must not take
    # them for gaps again and hold their room behind them once more.
    db["passed"].create({"event_id": str, "room_id": str}, pk="event_id")  # type: ignore[union-attr]


@migrations(name="0006_history_marks")
def _m0006(db: Database) -> None:
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
        rejected=row.get("rejected"),
        sender_device=_sender_device_of(row.get("sender_device")),
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

    # -- network rooms this bot created and so administers (room version 12: the creator)
    def network_rooms(self) -> dict[str, str]:
        """Topic → room id of every network room this bot created."""
        rows = self._run(
            lambda db: db.execute(
                "SELECT key, value FROM kv WHERE key LIKE 'network_room:%'"
            ).fetchall()
        )
        return {str(key).removeprefix("network_room:"): str(value) for key, value in rows}

    async def save_network_room(self, topic: str, room_id: str) -> None:
        await self._write(
            "INSERT INTO kv(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            [f"network_room:{topic}", room_id],
        )

    # -- events held back until an earlier one of their room gets its key
    async def add_pending(self, event: ReceivedEvent) -> None:
        await self._write(
            "INSERT OR IGNORE INTO pending(event_id, room_id, source, first_seen, "
            "key_requested, decrypted, encrypted, rejected, sender_device) "
            "VALUES(?, ?, ?, ?, 0, ?, ?, ?, ?)",
            [
                event.event_id,
                event.room_id,
                json.dumps(event.source),
                time.time(),
                int(event.decrypted),
                int(event.encrypted),
                event.rejected,
                _sender_device_json(event.sender_device),
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

    # -- events that made the bot fail: skipped (and recorded as rejected) when they come again
    def mark_failing(self, event_id: str, room_id: str, failure: str) -> None:
        """Remember that handling ``event_id`` ended the bot (called once it has stopped)."""
        self._run(self._counted(event_id, room_id, failure, FAILED))

    async def suspect(self, event_id: str, room_id: str) -> int:
        """Count one more run that ended, without stopping, while this event was the next
        to handle; return how many did."""
        failure = "the bot's process ended while it handled this event"
        await asyncio.to_thread(self._run, self._counted(event_id, room_id, failure, 1))
        rows = await asyncio.to_thread(
            self._run,
            lambda db: db.execute(
                "SELECT attempts FROM in_flight WHERE event_id=?", [event_id]
            ).fetchall(),
        )
        return int(rows[0][0]) if rows else 0

    async def clear_suspect(self, event_id: str) -> None:
        await self._write("DELETE FROM in_flight WHERE event_id=?", [event_id])

    @staticmethod
    def _counted(
        event_id: str, room_id: str, failure: str, attempts: int
    ) -> Callable[[Database], None]:
        def write(db: Database) -> None:
            with db.conn:
                db.execute(
                    "INSERT INTO in_flight(event_id, room_id, attempts, failure) "
                    "VALUES(?, ?, ?, ?) ON CONFLICT(event_id) DO UPDATE SET "
                    "attempts=attempts+excluded.attempts, failure=excluded.failure",
                    [event_id, room_id, attempts, failure[:500]],
                )

        return write

    def failing(self) -> dict[str, str]:
        """Event id -> how it made the bot fail (an exception, or runs that ended)."""
        rows = self._run(
            lambda db: db.execute(
                "SELECT event_id, failure FROM in_flight WHERE attempts >= ?", [FAILED]
            ).fetchall()
        )
        return {str(row[0]): str(row[1]) for row in rows}

    # -- whether the last run stopped cleanly
    def mark_started(self) -> bool:
        """Note that the bot runs; True when its last run ended without stopping."""

        def swap(db: Database) -> bool:
            with db.conn:
                was = db.execute("SELECT value FROM kv WHERE key='running'").fetchone()
                db.execute("INSERT OR REPLACE INTO kv(key, value) VALUES('running', '1')")
            return was is not None

        return self._run(swap)

    def mark_stopped(self) -> None:
        def clear(db: Database) -> None:
            with db.conn:
                db.execute("DELETE FROM kv WHERE key='running'")

        self._run(clear)

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
