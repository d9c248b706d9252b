"""The network grows and shrinks while it runs.

* A removed authority is refused by every member from the moment the steward publishes
  the directory (the federation gate), before any homeserver restarts: its officer's
  message never reaches the others, and nobody can invite its officers.
* An authority added with ``coopnet net add-authority`` consults at once: the members
  restarted one at a time, and nothing sent meanwhile was lost.

Runs its own network of three, then four, authorities (the session network stays
untouched), twenty-five addresses above the failure tests' base.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from pathlib import Path

import pytest

from coopnet.cli import main as cli
from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import lifecycle, load_network, process
from coopnet.network import trust as network_trust
from coopnet.network.growth import add_authority
from tests.harness import FAILURE_BASE_ADDRESS, Inbox, wait_for
from tests.integration import client_api

pytestmark = pytest.mark.integration

BASE = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 25)  # + 25..28
TIMEOUT = 120.0
log = logging.getLogger(__name__)


class Officer:
    def __init__(self, client: CoopNetClient, inbox: Inbox, invites: list[str]) -> None:
        self.client, self.inbox, self.invites = client, inbox, invites

    @property
    def user_id(self) -> str:
        return self.client.user_id

    def said(self, body: str) -> bool:
        return self.inbox.find(lambda e: e.content.get("body") == body) is not None


async def _open(net_dir: Path, user_id: str) -> Officer:
    network = load_network(net_dir)
    authority, account = network.account(user_id)
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, network_trust.device_policy(network, store)
    )
    inbox, invites = Inbox(), []

    async def on_invite(invitation: Invitation) -> None:
        invites.append(invitation.room_id)

    client.on_event(inbox.handle)
    client.on_invite(on_invite)
    await client.sync_once()
    client.start()
    return Officer(client, inbox, invites)


async def _consult(host: Officer, guests: list[Officer], servers: list[str]) -> str:
    room_id = await host.client.create_consultation_room(
        f"GROW-{uuid.uuid4().hex[:6]}", invite=[g.user_id for g in guests], servers=servers
    )
    for guest in guests:
        await wait_for(lambda g=guest: room_id in g.invites, f"{guest.user_id}'s invite", TIMEOUT)
        await guest.client.join(room_id)
        await host.client.wait_until(
            lambda g=guest: g.user_id in host.client.joined(room_id), TIMEOUT, "the join"
        )
    return room_id


def _officer(net_dir: Path, authority_id: str) -> str:
    return load_network(net_dir).authority(authority_id).officers()[0].user_id


async def test_a_removed_authority_is_refused_at_once_and_a_new_one_consults(
    tmp_path: Path,
) -> None:
    net_dir = tmp_path / "net"
    options = lifecycle.NetworkOptions(
        authorities=["aa", "bb", "cc"], base_address=BASE, officers_per_authority=1
    )
    await lifecycle.up(net_dir, options, with_bots=False)
    officers: list[Officer] = []
    try:
        aa, bb, cc = [await _open(net_dir, _officer(net_dir, i)) for i in ("aa", "bb", "cc")]
        officers += [aa, bb, cc]
        network = load_network(net_dir)
        room_id = await _consult(aa, [bb, cc], network.member_server_names())
        await cc.client.send_text(room_id, "before the removal")
        await wait_for(lambda: aa.said("before the removal"), "cc's first message", TIMEOUT)

        # The steward removes cc; nothing is restarted.
        pids = {a.id: process.read_pid(a) for a in network.authorities}
        assert cli(["directory", "remove-authority", "cc", "--dir", str(net_dir)]) == 0
        removed_at = time.monotonic()
        dropped = await cc.client.send_text(room_id, "after the removal")
        # aa's and bb's homeservers drop it as it arrives (their gates say so) ...
        for authority in (network.authority("aa"), network.authority("bb")):
            log_file = authority.path / "homeserver.log"
            await wait_for(
                lambda f=log_file: f"dropped event {dropped} from" in f.read_text(),
                f"{authority.id}'s homeserver to drop cc's event",
                TIMEOUT,
            )
        refused_after = time.monotonic() - removed_at
        # ... while bb's messages still reach aa, and cc's never does.
        await bb.client.send_text(room_id, "bb after the removal")
        await wait_for(lambda: aa.said("bb after the removal"), "bb's message", TIMEOUT)
        assert not aa.said("after the removal") and not bb.said("after the removal")
        refused = await client_api.invite(load_network(net_dir), aa.user_id, room_id, cc.user_id)
        assert refused.status == 403 and refused.errcode == "M_FORBIDDEN", refused
        assert pids == {a.id: process.read_pid(a) for a in network.authorities}, "none restarted"
        log.info("cc's first message after its removal dropped after %.2f s", refused_after)

        # A fourth authority joins the running network.
        for officer in officers:
            await officer.client.close()
        officers.clear()
        started = time.monotonic()
        added = await add_authority(net_dir, "dd", with_bot=False)
        assert added.authority.address == str(ipaddress.IPv4Address(BASE) + 3)
        network = load_network(net_dir)
        listed = network_trust.load_directory(network)
        assert "dd" in {a.id for a in listed.authorities} and listed.version == added.version
        assert {a.id for a in added.restarted} >= {"aa", "bb"}
        aa, dd = await _open(net_dir, aa.user_id), await _open(net_dir, _officer(net_dir, "dd"))
        officers += [aa, dd]
        servers = [network.authority(i).server_name for i in ("aa", "dd")]
        new_room = await _consult(aa, [dd], servers)
        await dd.client.send_text(new_room, "dd's first consultation message")
        await wait_for(lambda: aa.said("dd's first consultation message"), "dd's message", TIMEOUT)
        log.info(
            "dd's first message %.1f s after add-authority began (%s)",
            time.monotonic() - started,
            added.seconds,
        )
        # What aa sent before the restarts is still there for bb (nothing lost).
        history = await aa.client.history(room_id)
        assert any(e.content.get("body") == "bb after the removal" for e in history)
    finally:
        for officer in officers:
            await officer.client.close()
        await asyncio.to_thread(lifecycle.down, net_dir)
