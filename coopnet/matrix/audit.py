"""``coopnet records audit``: a bot's record against the room as a device sees it.

The room's whole history is read from the homeserver (``/messages``, paging back to the
room's start) through a CoopNet client, and compared with the record's entries of that
room (:mod:`coopnet.records.audit`). Only event ids are compared, so the device need not
hold the room keys.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from coopnet.errors import MatrixError
from coopnet.matrix.client import CoopNetClient
from coopnet.matrix.devices import EnrolledDevices
from coopnet.matrix.session import StoredSession
from coopnet.records.audit import AuditReport, compare
from coopnet.records.reader import open_readonly, record_room_ids, room_event_ids


def record_event_ids(db: Path, room_id: str) -> list[str | None]:
    """The event ids of one room's entries, in record order (raises RecordError)."""
    conn = open_readonly(db)
    try:
        return room_event_ids(conn, room_id)
    finally:
        conn.close()


def recorded_rooms(db: Path) -> list[str]:
    """The rooms a record has entries of (raises RecordError)."""
    conn = open_readonly(db)
    try:
        return record_room_ids(conn)
    finally:
        conn.close()


async def audit_room(
    client: CoopNetClient, db: Path, room_id: str, max_events: int = 100_000
) -> AuditReport:
    """Compare the record in ``db`` with the room's history as ``client`` sees it."""
    history = await client.whole_history(room_id, max_events)
    recorded = await asyncio.to_thread(record_event_ids, db, room_id)
    return compare(room_id, [e.event_id for e in history], recorded)


async def audit_with_store(
    store_dir: Path, db: Path, room_ids: list[str] | None = None, max_events: int = 100_000
) -> list[AuditReport]:
    """Audit ``room_ids`` (default: every room of the record) through the device stored
    in ``store_dir`` (an officer's, or the bot's own while the bot is stopped).

    The device sends nothing, so it trusts no device. Raises :class:`MatrixError`
    (no stored device, a request refused), :class:`BadFileError` or :class:`RecordError`.
    """
    session = StoredSession.load(store_dir)
    if session is None:
        raise MatrixError(f"{store_dir} holds no device (log in once with coopnet tui)")
    recorded = await asyncio.to_thread(recorded_rooms, db)  # an unreadable record fails first
    rooms = room_ids or recorded
    client = await CoopNetClient.open(
        session.homeserver, session.user_id, store_dir, EnrolledDevices({})
    )
    try:
        return [await audit_room(client, db, room_id, max_events) for room_id in rooms]
    finally:
        await client.close()
