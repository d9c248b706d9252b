"""Removing an authority from the signed directory and applying it stops federation with it.

Runs its own short-lived two-authority network (the session network stays untouched), a
few addresses above the failure tests' networks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from pathlib import Path

import pytest
import yaml

from coopnet.cli import main as cli
from coopnet.matrix import CoopNetClient
from coopnet.network import lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.network.apply import apply_directory
from tests.harness import FAILURE_BASE_ADDRESS
from tests.integration import client_api
from tests.integration.client_api import gate_denied

pytestmark = pytest.mark.integration

BASE = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 15)  # clear of tests/admin (base + 15..18)


async def _open(net_dir: Path, user_id: str) -> CoopNetClient:
    network = load_network(net_dir)
    authority, account = network.account(user_id)
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, network_trust.device_policy(network, store)
    )
    await client.sync_once()
    return client


async def test_removing_an_authority_and_applying_stops_federation(tmp_path: Path):
    net_dir = tmp_path / "net"
    options = lifecycle.NetworkOptions(authorities=["aa", "bb"], base_address=BASE)
    network = await lifecycle.up(net_dir, options)
    try:
        aa_user = network.authority("aa").officers()[0].user_id
        bb_user = network.authority("bb").officers()[0].user_id
        bb_server = network.authority("bb").server_name
        aa = await _open(net_dir, aa_user)
        try:
            # Federation works: aa can invite bb's officer.
            room = await aa.create_consultation_room(
                f"AA-{uuid.uuid4().hex[:6]}", invite=[bb_user], servers=[bb_server]
            )
            assert room

            assert cli(["directory", "remove-authority", "bb", "--dir", str(net_dir)]) == 0
            result = await apply_directory(net_dir)
            assert result.servers == [network.authority("aa").server_name]
            assert {a.id for a in result.restarted} == {"aa", "bb"}
            config = yaml.safe_load((net_dir / "aa" / "homeserver.yaml").read_text())
            assert config["federation_domain_whitelist"] == [result.servers[0]]

            # aa's homeserver no longer federates with bb ...
            other = await aa.create_consultation_room(
                f"AA-{uuid.uuid4().hex[:6]}", invite=[], servers=[]
            )
            # aa's own server refuses to invite bb's officer (its federation gate answers
            # first, from the moment the directory changed) ...
            refused = await client_api.invite(load_network(net_dir), aa_user, other, bb_user)
            assert gate_denied(refused, bb_server), refused
        finally:
            await aa.close()
        # ... nor does it accept bb's requests.
        bb = await _open(net_dir, bb_user)
        try:
            rogue = await bb.create_consultation_room(
                f"BB-{uuid.uuid4().hex[:6]}", invite=[], servers=[]
            )
            refused = await client_api.invite(load_network(net_dir), bb_user, rogue, aa_user)
            assert refused.status == 403 and refused.errcode == "M_FORBIDDEN", refused
            assert refused.error.startswith("Federation denied with "), refused
        finally:
            await bb.close()
        # And the directory device policy no longer trusts any device of bb.
        directory = network_trust.load_directory(load_network(net_dir))
        assert directory.member(bb_user) is None
    finally:
        await asyncio.to_thread(lifecycle.down, net_dir)
