"""Consultation text never reaches a homeserver's files in clear."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from coopnet.network import Network
from tests.harness import OpenClient, wait_for

pytestmark = pytest.mark.integration


def files_containing(root: Path, needle: bytes) -> list[Path]:
    """Homeserver files (database, WAL, logs, media, config) holding ``needle``.

    ``clients/`` holds the officers' own device stores, not the homeserver's.
    """
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and "clients" not in path.relative_to(root).parts:
            if needle in path.read_bytes():
                hits.append(path)
    return hits


async def test_canary_is_in_no_homeserver_file(network: Network, open_client: OpenClient):
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    invited: list[str] = []

    async def on_invite(invitation):
        invited.append(invitation.room_id)

    mx.on_invite(on_invite)
    case_ref = f"CH-MX-{uuid.uuid4().hex[:8]}"
    room_id = await ch.create_consultation_room(
        case_ref, invite=[mx_user], servers=network.member_server_names()
    )
    await wait_for(lambda: room_id in invited, "mx to be invited")
    await mx.join(room_id)
    await ch.wait_until(lambda: mx_user in ch.nio.rooms[room_id].users, 60, "mx's join")

    canary = f"CANARY-{uuid.uuid4().hex}"
    await ch.send_text(room_id, f"Person sought: {canary}, born 1980-01-01")
    await wait_for(
        lambda: mx_inbox.find(lambda e: canary in e.content.get("body", "")),
        "mx to decrypt the canary message",
    )

    for authority_id in ("ch", "mx"):
        root = network.authority(authority_id).path
        assert files_containing(root, canary.encode()) == [], authority_id
    # Positive control: the scan does find what the server legitimately holds in clear.
    assert files_containing(network.authority("ch").path, case_ref.encode()) != []
