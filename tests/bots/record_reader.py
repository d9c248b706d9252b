"""Reading a bot's consultation record from a test while the bot may be writing it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coopnet.protocol import PAYLOAD_KEY
from coopnet.records import Entry
from coopnet.records.reader import iter_entries, open_readonly


def room_entries(db: Path, room_id: str) -> list[Entry]:
    """The record's entries of one room, in record order (one consistent snapshot)."""
    if not db.exists():
        return []
    conn = open_readonly(db)
    try:
        return [e for e in iter_entries(conn) if e.room_id == room_id]
    finally:
        conn.close()


def receipted_event(entry: Entry) -> str | None:
    """The event id a receipt entry acknowledges (None for other entries)."""
    if entry.kind != "receipt":
        return None
    value = json.loads(entry.content)
    payload: Any = value.get("content", {}).get(PAYLOAD_KEY, {})
    event_id = payload.get("content", {}).get("event_id") if isinstance(payload, dict) else None
    return event_id if isinstance(event_id, str) else None


def room_entry_count(db: Path, room_id: str) -> int:
    if not db.exists():
        return 0
    conn = open_readonly(db)
    try:
        row = conn.execute("SELECT count(*) FROM entries WHERE room_id = ?", (room_id,)).fetchone()
        return int(row[0])
    finally:
        conn.close()
