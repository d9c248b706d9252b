"""Restarting the network keeps accounts, devices, rooms and history."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from coopnet.matrix import CoopNetClient
from coopnet.network import Network, lifecycle, load_network
from coopnet.network import trust as network_trust
from tests.harness import OpenClient, wait_for

pytestmark = pytest.mark.integration


async def test_restart_keeps_accounts_rooms_and_history(network: Network, open_client: OpenClient):
    ch_user = network.authority("ch").officers()[1].user_id
    cn_user = network.authority("cn").officers()[1].user_id
    ch, _ = await open_client(ch_user)
    cn, cn_before = await open_client(cn_user)
    invited: list[str] = []

    async def on_invite(invitation):
        invited.append(invitation.room_id)

    cn.on_invite(on_invite)
    room_id = await ch.create_consultation_room(
        f"CH-CN-{uuid.uuid4().hex[:6]}", invite=[cn_user], servers=network.member_server_names()
    )
    await wait_for(lambda: room_id in invited, "cn to be invited")
    await cn.join(room_id)
    await ch.wait_until(lambda: cn_user in ch.joined(room_id), 60, "cn's join")
    before = f"before restart {uuid.uuid4().hex}"
    event_id = await ch.send_text(room_id, before)
    # History is what was delivered: wait until cn's homeserver has the message.
    await wait_for(
        lambda: cn_before.find(lambda e: e.event_id == event_id) is not None,
        "cn to receive the message before the restart",
    )
    ch_device = ch.device_id
    await ch.close()
    await cn.close()

    await asyncio.to_thread(lifecycle.down, network.directory)
    restarted = await lifecycle.up(network.directory, with_bots=False)
    assert [a.server_name for a in restarted.authorities] == [
        a.server_name for a in network.authorities
    ]
    assert load_network(network.directory).account(ch_user)[1].device_id == ch_device

    ch, _ = await open_client(ch_user)
    cn, cn_inbox = await open_client(cn_user)
    assert ch.device_id == ch_device  # restored, not a new device
    assert room_id in ch.room_ids() and room_id in cn.room_ids()
    history = await cn.history(room_id)
    old = next(e for e in history if e.event_id == event_id)
    assert old.decrypted and old.content["body"] == before

    after = f"after restart {uuid.uuid4().hex}"
    await ch.send_text(room_id, after)
    await wait_for(
        lambda: cn_inbox.find(lambda e: e.content.get("body") == after),
        "cn to decrypt a message sent after the restart",
    )


async def test_a_sync_resumed_from_a_saved_token_still_learns_every_room(network: Network):
    """A program that saves its own sync token (the bots) and starts again with nothing new
    on the server still gets every room's state — its name is the case reference.

    (nio drops a sync response whose token equals its own; the server answers "nothing
    new" with the same token, so the resumed full-state sync used to be thrown away.)"""
    net = load_network(network.directory)
    authority, account = net.account(net.authority("mx").officers()[1].user_id)
    store = Path(account.store_dir or "")

    async def opened() -> CoopNetClient:
        return await CoopNetClient.open(
            authority.client_url,
            account.user_id,
            store,
            network_trust.device_policy(net, store),
            store_sync_tokens=False,
        )

    first = await opened()
    case_ref = f"MX-CH-T{uuid.uuid4().hex[:6].upper()}"
    room_id = await first.create_consultation_room(
        case_ref, invite=[], servers=network.member_server_names()
    )
    await first.sync_once()
    saved = first.sync_token
    await first.close()

    again = await opened()
    try:
        again.sync_token = saved
        await again.sync_once()
        room = again.room(room_id)
        assert room is not None and room.name == case_ref
    finally:
        await again.close()
