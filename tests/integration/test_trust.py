"""The trust model on the real network: signed directory, device policy, SAS verification."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from coopnet.cli import main as cli
from coopnet.matrix import CoopNetClient, DeviceInfo, DirectoryDevices
from coopnet.matrix.cross_signing import StoreKeyHolder
from coopnet.matrix.verification import SasVerifier, VerificationRequest
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.trust import DirectoryRefusal, DirectoryRefused, VerificationStore
from tests.harness import Inbox, OpenClient, wait_for

pytestmark = pytest.mark.integration


def _officer(network: Network, authority_id: str, n: int = 0) -> str:
    return network.authority(authority_id).officers()[n].user_id


@pytest.fixture
async def new_device(network: Network, tmp_path: Path) -> AsyncIterator:
    """Log in as a listed officer from a new, unlisted device (fresh store, password);
    ``with_keys`` brings the officer's cross-signing keys (those of the enrolled device's
    store) to it, so that the login signs it."""
    opened: list[CoopNetClient] = []

    async def login(
        user_id: str, name: str, with_keys: bool = False
    ) -> tuple[CoopNetClient, Inbox]:
        net = load_network(network.directory)
        authority, account = net.account(user_id)
        store = tmp_path / name
        store.mkdir()
        client = await CoopNetClient.open(
            authority.client_url,
            user_id,
            store,
            policy=network_trust.device_policy(net, store),
            password=account.password,
            device_name=name,
            cross_signing_keys=(
                StoreKeyHolder(Path(account.store_dir or "")) if with_keys else None
            ),
        )
        opened.append(client)
        inbox = Inbox()
        client.on_event(inbox.handle)
        await client.sync_once()
        client.start()
        return client, inbox

    yield login
    for client in opened:
        await client.close()


def _knows_device(client: CoopNetClient, user_id: str, device_id: str) -> bool:
    return any(d.device_id == device_id for d in client.user_devices(user_id))


async def _consultation(
    network: Network, creator: CoopNetClient, invitee: CoopNetClient, *others: CoopNetClient
) -> str:
    """A consultation room of ``creator`` that ``invitee`` (and ``others`` of the same user)
    joined, with the room's server ACL taken from the verified directory."""
    directory = network_trust.load_directory(load_network(network.directory))
    invited: list[str] = []

    async def on_invite(invitation) -> None:
        invited.append(invitation.room_id)

    invitee.on_invite(on_invite)
    room_id = await creator.create_consultation_room(
        f"T-{uuid.uuid4().hex[:6]}", invite=[invitee.user_id], servers=directory.server_names()
    )
    await wait_for(lambda: room_id in invited, f"{invitee.user_id} to be invited")
    await invitee.join(room_id)
    await creator.wait_until(lambda: invitee.user_id in creator.joined(room_id), 60, "the join")
    for other in others:
        await other.wait_until(lambda o=other: room_id in o.room_ids(), 60, "the room to sync")
    return room_id


async def test_room_acl_follows_the_directory_not_the_outsider(
    network: Network, open_client: OpenClient
):
    ch, _ = await open_client(_officer(network, "ch"))
    cn, _ = await open_client(_officer(network, "cn"))
    room_id = await _consultation(network, ch, cn)
    acl = await ch.server_acl(room_id)
    directory = network_trust.load_directory(load_network(network.directory))
    assert acl is not None and acl["allow"] == sorted(directory.server_names())
    assert network.authority("zz").server_name not in acl["allow"]


async def test_attacker_with_a_password_on_a_new_device_gets_no_room_keys(
    network: Network, open_client: OpenClient, new_device
):
    ch_user, cn_user = _officer(network, "ch"), _officer(network, "cn")
    ch, _ = await open_client(ch_user)
    cn, cn_inbox = await open_client(cn_user)
    room_id = await _consultation(network, ch, cn)
    attacker, attacker_inbox = await new_device(cn_user, "attacker laptop")
    await attacker.wait_until(lambda: room_id in attacker.room_ids(), 60, "the room to sync")
    await ch.wait_until(
        lambda: _knows_device(ch, cn_user, attacker.device_id), 60, "ch to see the new device"
    )
    await cn.wait_until(
        lambda: _knows_device(cn, cn_user, attacker.device_id), 60, "cn to see the new device"
    )
    reported: list[DeviceInfo] = []

    async def on_excluded(_room: str, info: DeviceInfo) -> None:
        reported.append(info)

    ch.on_device_excluded(on_excluded)
    secret = f"after the attacker logged in {uuid.uuid4().hex}"
    event_id = await ch.send_text(room_id, secret)
    reply = f"reply from the listed device {uuid.uuid4().hex}"
    reply_id = await cn.send_text(room_id, reply)

    # The officer is told which device was excluded.
    assert [(i.user_id, i.device_id) for i in reported] == [(cn_user, attacker.device_id)]
    # The listed device reads both messages ...
    await wait_for(lambda: cn_inbox.find(lambda e: e.content.get("body") == secret), "cn reads")
    # ... the attacker's device receives them but cannot decrypt either.
    for eid in (event_id, reply_id):
        await wait_for(
            lambda e=eid: attacker_inbox.find(lambda x: x.event_id == e), "the event to arrive"
        )
        received = attacker_inbox.find(lambda x, e=eid: x.event_id == e)
        assert received is not None and received.encrypted and not received.decrypted
    # Not later either: key requests are answered only for devices the policy trusts.
    history = await attacker.history(room_id)
    assert all(not e.decrypted for e in history if e.event_id in (event_id, reply_id))
    assert not any(secret in json.dumps(e.content) for e in attacker_inbox.events)


async def test_bad_directories_are_refused_by_every_device(network: Network, tmp_path: Path):
    net = load_network(network.directory)
    signed = Path(net.directory_file or "")
    assert net.steward_key is not None
    store = tmp_path / "device"
    store.mkdir()
    policy = DirectoryDevices.load(signed, net.steward_key, store)
    assert policy.directory.server_names() == net.member_server_names()

    def refused(path: Path) -> DirectoryRefusal:
        with pytest.raises(DirectoryRefused) as info:
            DirectoryDevices.load(path, net.steward_key or "", store)
        return info.value.reason

    text = signed.read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(text.replace('"mla"', '"mlb"', 1), encoding="utf-8")
    assert refused(tampered) is DirectoryRefusal.BAD_SIGNATURE
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({"directory": json.loads(text)["directory"]}))
    assert refused(unsigned) is DirectoryRefusal.UNSIGNED
    # The steward re-signs (version + 1); once a device accepted it, the old one is refused.
    old = tmp_path / "old.json"
    shutil.copy(signed, old)
    assert cli(["directory", "resign", "--dir", str(network.directory)]) == 0
    newer = DirectoryDevices.load(signed, net.steward_key, store).directory
    assert newer.version == policy.directory.version + 1
    assert refused(old) is DirectoryRefusal.ROLLBACK


async def test_sas_verification_across_authorities_makes_the_device_trusted(
    network: Network, open_client: OpenClient, new_device, tmp_path: Path
):
    ch_user, cn_user = _officer(network, "ch", 1), _officer(network, "cn", 1)
    ch, _ = await open_client(ch_user)
    laptop, laptop_inbox = await new_device(cn_user, "new laptop")
    room_id = await _consultation(network, ch, laptop)
    await ch.wait_until(
        lambda: _knows_device(ch, cn_user, laptop.device_id), 60, "ch to see the laptop"
    )
    await laptop.wait_until(
        lambda: _knows_device(laptop, ch_user, ch.device_id), 60, "the laptop to see ch"
    )
    before = f"before verification {uuid.uuid4().hex}"
    before_id = await ch.send_text(room_id, before)
    await wait_for(lambda: laptop_inbox.find(lambda e: e.event_id == before_id), "the event")
    assert not laptop_inbox.find(lambda e: e.event_id == before_id).decrypted

    ch_store = Path(load_network(network.directory).account(ch_user)[1].store_dir or "")
    ch_verifier = SasVerifier(ch, VerificationStore(ch_store / DirectoryDevices.VERIFICATIONS_FILE))
    laptop_verifier = SasVerifier(laptop, VerificationStore(tmp_path / "laptop-verifications.json"))
    requests: list[VerificationRequest] = []

    async def on_request(request: VerificationRequest) -> None:
        requests.append(request)

    laptop_verifier.on_request(on_request)
    txn = await ch_verifier.start(cn_user, laptop.device_id)
    await wait_for(lambda: any(r.transaction_id == txn for r in requests), "the request")
    assert requests[-1].user_id == ch_user and requests[-1].device_id == ch.device_id
    await laptop_verifier.accept(txn)
    ch_emoji, laptop_emoji = await asyncio.gather(
        ch_verifier.wait_for_emoji(txn), laptop_verifier.wait_for_emoji(txn)
    )
    assert len(ch_emoji) == 7 and ch_emoji == laptop_emoji  # what the two officers compare
    await ch_verifier.confirm(txn)
    await laptop_verifier.confirm(txn)
    record, laptop_record = await asyncio.gather(
        ch_verifier.wait_verified(txn), laptop_verifier.wait_verified(txn)
    )
    assert (record.user_id, record.device_id) == (cn_user, laptop.device_id)
    assert record.ed25519 == laptop.ed25519_key and record.verified_by == ch_user
    assert laptop_record.device_id == ch.device_id

    # Remembered: ch's policy now trusts the laptop, which reads what ch sends next.
    after = f"after verification {uuid.uuid4().hex}"
    after_id = await ch.send_text(room_id, after)
    await wait_for(
        lambda: (
            (e := laptop_inbox.find(lambda x: x.event_id == after_id)) is not None and e.decrypted
        ),
        "the verified laptop to decrypt",
    )
    remembered = VerificationStore(ch_store / DirectoryDevices.VERIFICATIONS_FILE)
    assert remembered.get(cn_user, laptop.device_id) == record

    # Submitted to the steward, it becomes part of the signed directory.
    request_file = tmp_path / "enrol.json"
    request_file.write_text(json.dumps(ch_verifier.enrolment_request(record)))
    assert cli(["directory", "enrol", str(request_file), "--dir", str(network.directory)]) == 0
    directory = network_trust.load_directory(load_network(network.directory))
    assert directory.device_key(cn_user, laptop.device_id) == laptop.ed25519_key
