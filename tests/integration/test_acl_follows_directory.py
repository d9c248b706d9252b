"""A room's server ACL follows the signed directory: after an authority is removed and
the directory applied, the consultation bot that administers the room drops that server
from its ``m.room.server_acl``.

Runs its own two-authority network with real bot processes (the session network stays
untouched), twenty addresses above the failure tests' base.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from pathlib import Path

import pytest

from coopnet.cli import main as cli
from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.network.apply import apply_directory
from tests.harness import FAILURE_BASE_ADDRESS, wait_for
from tests.integration.acl import acl_becomes

pytestmark = pytest.mark.integration

BASE = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 20)
TIMEOUT = 90.0


async def _open(net_dir: Path, user_id: str, invites: list[str]) -> CoopNetClient:
    network = load_network(net_dir)
    authority, account = network.account(user_id)
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, network_trust.device_policy(network, store)
    )

    async def on_invite(invitation: Invitation) -> None:
        invites.append(invitation.room_id)

    client.on_invite(on_invite)
    await client.sync_once()
    client.start()
    return client


async def test_room_server_acl_drops_a_removed_authority(tmp_path: Path) -> None:
    net_dir = tmp_path / "net"
    options = lifecycle.NetworkOptions(
        authorities=["aa", "bb"], base_address=BASE, officers_per_authority=1
    )
    network = await lifecycle.up(net_dir, options, bot_tick_seconds=1.0)
    try:
        aa_host = network.authority("aa").server_name
        bb_host = network.authority("bb").server_name
        officer = network.authority("aa").officers()[0].user_id
        bot = network.authority("aa").bot()
        assert bot is not None
        invites: list[str] = []
        aa = await _open(net_dir, officer, invites)
        try:
            # The officer asks its bot to open a consultation with bb: the bot creates
            # (and so administers) the room.
            control = await aa.create_consultation_room(
                f"CTL-{uuid.uuid4().hex[:6]}", invite=[bot.user_id], servers=[]
            )
            await aa.wait_until(
                lambda: bot.user_id in aa.joined(control),
                TIMEOUT,
                "the bot to join the control room",
            )
            case_ref = f"AA-BB-{uuid.uuid4().hex[:6]}"
            await aa.send_text(control, f"!consult open bb {case_ref}")
            await wait_for(lambda: len(invites) >= 1, "the invitation to the consultation", TIMEOUT)
            room = invites[0]
            await aa.join(room)
            before = await acl_becomes(aa, room, sorted([aa_host, bb_host]), TIMEOUT)
            assert set(before) == {"allow", "deny", "allow_ip_literals"}  # no case data
        finally:
            await aa.close()

        assert cli(["directory", "remove-authority", "bb", "--dir", str(net_dir)]) == 0
        await apply_directory(net_dir)

        aa = await _open(net_dir, officer, [])
        try:
            after = await acl_becomes(aa, room, [aa_host], TIMEOUT)
            assert after["deny"] == [] and case_ref not in str(after)
        finally:
            await aa.close()
    finally:
        await asyncio.to_thread(lifecycle.down, net_dir)
