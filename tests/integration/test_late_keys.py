"""An event that arrives without its room key is decrypted once the key is requested and
shared, and only trusted member devices get a key on request."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from coopnet.matrix import CoopNetClient, Decision, DeviceInfo, DevicePolicy
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from tests.harness import Inbox, wait_for

pytestmark = pytest.mark.integration


class Withholding:
    """The network's policy, except that the devices of ``withheld`` users are excluded."""

    def __init__(self, policy: DevicePolicy, withheld: set[str]) -> None:
        self.policy = policy
        self.withheld = withheld

    def decide(self, device: DeviceInfo) -> Decision:
        if device.user_id in self.withheld:
            return Decision.EXCLUDE
        return self.policy.decide(device)


async def _open(network: Network, user_id: str, wrap=None) -> tuple[CoopNetClient, Inbox]:
    net = load_network(network.directory)
    authority, account = net.account(user_id)
    store = Path(account.store_dir or "")
    policy = network_trust.device_policy(net, store)
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, policy=wrap(policy) if wrap else policy
    )
    inbox = Inbox()
    client.on_event(inbox.handle)
    await client.sync_once()
    client.start()
    return client, inbox


async def _room_with(network: Network, creator: CoopNetClient, other: CoopNetClient) -> str:
    """A consultation room ``creator`` made and ``other`` joined."""
    invited: list[str] = []

    async def accept(invitation):
        invited.append(invitation.room_id)

    other.on_invite(accept)
    room_id = await creator.create_consultation_room(
        f"LATE-{uuid.uuid4().hex[:6]}",
        invite=[other.user_id],
        servers=network.member_server_names(),
    )
    await wait_for(lambda: room_id in invited, "the invitation")
    await other.join(room_id)
    await creator.wait_until(lambda: other.user_id in creator.joined(room_id), 60, "the join")
    return room_id


def _body(inbox: Inbox, text: str, decrypted: bool):
    return inbox.find(lambda e: e.decrypted == decrypted and e.content.get("body", "") == text)


async def test_a_withheld_room_key_is_requested_and_shared_once_trusted(network: Network):
    ch_user = network.authority("ch").officers()[0].user_id
    cn_user = network.authority("cn").officers()[0].user_id
    withheld = {cn_user}
    ch, _ = await _open(network, ch_user, lambda p: Withholding(p, withheld))
    cn, cn_inbox = await _open(network, cn_user)
    try:
        # Quick requests, so the test shows every step without long waits.
        cn.key_waiter.request_after = (0.5, 3.0, 6.0, 12.0)
        room_id = await _room_with(network, ch, cn)

        # Sent while ch's policy excludes cn's device: cn gets the event, not its key.
        text = f"withheld {uuid.uuid4().hex[:6]}"
        await ch.send_text(room_id, text)
        await wait_for(lambda: cn.key_waiter.waiting, "cn to hold the undecryptable event")
        held = next(e for e in cn_inbox.events if not e.decrypted)
        assert held.encrypted and held.content == {}

        # cn asks ch's device; ch refuses an excluded device.
        await wait_for(lambda: ch.key_sharer.refused >= 1, "ch to refuse cn's key request")
        assert ch.key_sharer.shared == 0
        assert _body(cn_inbox, text, decrypted=True) is None

        # Once ch's policy trusts cn's device, cn's next request is answered and the held
        # event is handed out again, decrypted.
        withheld.clear()
        await wait_for(
            lambda: _body(cn_inbox, text, decrypted=True) is not None,
            "cn to decrypt the event once the key is shared",
        )
        assert ch.key_sharer.shared >= 1
        assert held.event_id not in cn.key_waiter.waiting
        decrypted = _body(cn_inbox, text, decrypted=True)
        assert decrypted.event_id == held.event_id and decrypted.sender == ch_user
    finally:
        await ch.close()
        await cn.close()


async def test_an_undecryptable_event_is_reported_after_a_bounded_wait(network: Network):
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await _open(network, ch_user, lambda p: Withholding(p, {mx_user}))
    mx, _ = await _open(network, mx_user)
    try:
        mx.key_waiter.request_after = (0.2,)
        mx.key_waiter.give_up_after = 3.0
        reported = []

        async def on_undecryptable(event):
            reported.append(event)

        mx.on_undecryptable(on_undecryptable)
        room_id = await _room_with(network, ch, mx)
        event_id = await ch.send_text(room_id, "never for mx")
        await wait_for(lambda: reported, "mx to report the event undecryptable", timeout=30)
        assert [e.event_id for e in reported] == [event_id]
        assert not reported[0].decrypted
        assert ch.key_sharer.refused >= 1 and ch.key_sharer.shared == 0
    finally:
        await ch.close()
        await mx.close()
