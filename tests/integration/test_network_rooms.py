"""A network room follows the signed directory on the real network.

The steward lists a lobby hosted by aa; aa's bot creates it and invites bb's officer. A
fourth authority added with ``add_authority`` is invited and its server allowed; an
authority removed from the directory is removed from the room and its server left out
of the room's ``m.room.server_acl``. The room's state says nothing but its topic.

Runs its own network of two, then three, authorities with real bot processes (the
session network stays untouched), thirty addresses above the failure tests' base.
"""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest

from coopnet.cli import main as cli
from coopnet.ids import RoomID
from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.network.growth import add_authority
from tests.harness import FAILURE_BASE_ADDRESS, wait_for
from tests.integration.acl import acl_becomes

pytestmark = pytest.mark.integration

BASE = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 30)  # + 30..32
TIMEOUT = 120.0
LOBBY_TYPE = "org.coopnet.network.lobby"


class Officer:
    def __init__(self, client: CoopNetClient, invites: list[str]) -> None:
        self.client, self.invites = client, invites


async def _open(net_dir: Path, authority_id: str) -> Officer:
    network = load_network(net_dir)
    user_id = network.authority(authority_id).officers()[0].user_id
    authority, account = network.account(user_id)
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, network_trust.device_policy(network, store)
    )
    invites: list[str] = []

    async def on_invite(invitation: Invitation) -> None:
        invites.append(invitation.room_id)

    client.on_invite(on_invite)
    await client.sync_once()
    client.start()
    return Officer(client, invites)


async def _join_the_lobby(officer: Officer) -> str:
    """Join the room this officer is invited to: the invitation's stripped state already
    says it is the network lobby (so the client names it before it is accepted), and once
    joined so does its creation content."""
    who = officer.client.user_id
    await wait_for(lambda: len(officer.invites) >= 1, f"{who}'s invitation", TIMEOUT)
    room_id = officer.invites[0]
    invitation = officer.client.invitations().get(RoomID(room_id))
    assert invitation is not None and invitation.room_type == LOBBY_TYPE, invitation
    await officer.client.join(room_id)
    room = officer.client.room(room_id)
    assert room is not None and room.room_type == LOBBY_TYPE, room
    return room_id


async def test_the_lobby_follows_the_directory_as_authorities_come_and_go(
    tmp_path: Path,
) -> None:
    net_dir = tmp_path / "net"
    options = lifecycle.NetworkOptions(
        authorities=["aa", "bb"], base_address=BASE, officers_per_authority=1
    )
    network = await lifecycle.up(net_dir, options, bot_tick_seconds=1.0)
    officers: list[Officer] = []
    try:
        aa_host, bb_host = (network.authority(i).server_name for i in ("aa", "bb"))
        bb_officer = network.authority("bb").officers()[0].user_id
        assert (
            cli(["directory", "add-network-room", "lobby", "--host", "aa", "--dir", str(net_dir)])
            == 0
        )

        bb = await _open(net_dir, "bb")
        officers.append(bb)
        lobby = await _join_the_lobby(bb)
        room = bb.client.room(lobby)
        assert room is not None and room.encrypted and room.join_rule == "invite"
        assert room.name == "Lobby of the central authorities" and not room.topic
        await acl_becomes(bb.client, lobby, sorted([aa_host, bb_host]), TIMEOUT)
        await bb.client.close()
        officers.clear()

        # A fourth authority joins the network: the lobby invites its officer.
        added = await add_authority(net_dir, "dd", with_bot=False)
        dd_host = added.authority.server_name
        dd = await _open(net_dir, "dd")
        officers.append(dd)
        assert await _join_the_lobby(dd) == lobby
        await acl_becomes(dd.client, lobby, sorted([aa_host, bb_host, dd_host]), TIMEOUT)
        await dd.client.wait_until(
            lambda: bb_officer in dd.client.joined(lobby), TIMEOUT, "bb's officer in the lobby"
        )

        # The steward removes bb: its officer is removed and its server denied.
        assert cli(["directory", "remove-authority", "bb", "--dir", str(net_dir)]) == 0
        after = await acl_becomes(dd.client, lobby, sorted([aa_host, dd_host]), TIMEOUT)
        assert set(after) == {"allow", "deny", "allow_ip_literals"}
        await dd.client.wait_until(
            lambda: bb_officer not in dd.client.room(lobby).members,  # type: ignore[union-attr]
            TIMEOUT,
            "bb's officer to be removed from the lobby",
        )
    finally:
        for officer in officers:
            await officer.client.close()
        await asyncio.to_thread(lifecycle.down, net_dir)
