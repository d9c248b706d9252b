"""Officers of two authorities consult in an end-to-end encrypted room over federation."""

from __future__ import annotations

import uuid

import pytest

from coopnet.network import Network
from tests.harness import OpenClient, wait_for

pytestmark = pytest.mark.integration


def _officer(network: Network, authority_id: str, n: int = 0) -> str:
    return network.authority(authority_id).officers()[n].user_id


async def test_officers_consult_in_an_encrypted_room(network: Network, open_client: OpenClient):
    ch_user, cn_user = _officer(network, "ch"), _officer(network, "cn")
    ch, ch_inbox = await open_client(ch_user)
    cn, cn_inbox = await open_client(cn_user)
    invited = []

    async def accept(invitation):
        invited.append(invitation)

    cn.on_invite(accept)
    case_ref = f"CH-CN-{uuid.uuid4().hex[:6]}"
    room_id = await ch.create_consultation_room(
        case_ref, invite=[cn_user], servers=network.member_server_names()
    )
    await wait_for(lambda: any(i.room_id == room_id for i in invited), "cn to be invited")
    await cn.join(room_id)
    await ch.wait_until(lambda: cn_user in ch.joined(room_id), 60, "cn's join to reach ch")

    await ch.send_text(room_id, "Bonjour, question on provisional arrest limits")
    await cn.send_text(room_id, "你好, we will answer within the week")

    await wait_for(
        lambda: cn_inbox.find(lambda e: e.content.get("body", "").startswith("Bonjour")),
        "cn to decrypt ch's message",
    )
    await wait_for(
        lambda: ch_inbox.find(lambda e: e.content.get("body", "").startswith("你好")),
        "ch to decrypt cn's message",
    )
    received = cn_inbox.find(lambda e: e.content.get("body", "").startswith("Bonjour"))
    assert received is not None and received.encrypted and received.decrypted
    assert received.sender == ch_user

    # The room has the security model's shape, visible to both servers.
    room = cn.room(room_id)
    assert room is not None
    assert room.encrypted
    assert room.join_rule == "invite"
    assert room.guest_access == "forbidden"
    assert room.history_visibility == "invited"
    assert room.name == case_ref
    assert room.topic is None
    # (The creator's power is implicit in room version 12; it sent above.)
    assert room.power_levels.can_send_message(cn_user)
    assert not room.power_levels.can_send_message("@someone:127.0.0.99")
