"""A burst of mixed events from one officer, and what a record holds of it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY, encode
from coopnet.records.reader import held_event_ids, open_readonly
from tests.harness import opened, wait_for

IDENTITY = {
    "type": "org.coopnet.consultation.identity",
    "version": 1,
    "content": {
        "names": [{"family": "Doe", "given": "John"}],
        "date_of_birth": "1980-02-29",
        "nationalities": ["CH"],
    },
}
MALFORMED = {**IDENTITY, "content": {"names": 5, "date_of_birth": "the day before"}}


def mixed_burst(count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` contents: six in ten plain, a quarter structured, the rest malformed."""
    contents: list[dict[str, Any]] = []
    for i in range(count):
        slot = i % 20
        if slot < 12:
            contents.append({"msgtype": "m.text", "body": f"burst {i} {tag}"})
        elif slot < 17:
            contents.append({PAYLOAD_KEY: IDENTITY, "msgtype": "m.text", "body": f"identity {i}"})
        else:
            contents.append({PAYLOAD_KEY: MALFORMED, "msgtype": "m.text", "body": f"bad {i}"})
    return contents


def held_count(db: Path, event_ids: list[str]) -> int:
    """How many of ``event_ids`` the record holds (0 while it does not exist yet)."""
    if not db.exists():
        return 0
    conn = open_readonly(db)
    try:
        return len(held_event_ids(conn, event_ids))
    finally:
        conn.close()


async def open_room_with_bots(
    network: Network, ch: CoopNetClient, mx: CoopNetClient, bots: list[str], prefix: str
) -> str:
    """A consultation room made by the Swiss officer with the Mexican officer and
    ``bots`` in it, opened; returns its room id."""
    invitations: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invitations.append(invitation)

    mx.on_invite(on_invite)
    case_ref = f"{prefix}-{uuid.uuid4().hex[:6]}"
    room = await ch.create_consultation_room(
        case_ref,
        invite=[mx.user_id, *bots],
        servers=[network.authority("ch").server_name, network.authority("mx").server_name],
    )
    await wait_for(lambda: any(i.room_id == room for i in invitations), "mx's invitation")
    await mx.join(room)
    everyone = {mx.user_id, *bots}
    await wait_for(lambda: everyone <= ch.joined(room), "the officer and the bots to join", 90)
    await ch.send(room, encode(opened(case_ref, "ch", "mx")))
    return room
