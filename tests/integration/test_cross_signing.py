"""Cross-signing on the real network: every account's keys, new devices, emoji verification.

Signatures are checked here with ``cryptography`` and ``json`` alone, independently of
CoopNet's own signing code, against what Synapse's ``/keys/query`` returns.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.cli import main as cli
from coopnet.errors import MatrixError
from coopnet.matrix import CoopNetClient, EnrolledDevices
from coopnet.matrix.admin import register_user
from coopnet.matrix.cross_signing import StoreKeyHolder
from coopnet.matrix.verification import SasVerifier, VerificationRequest
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.trust import VerificationStore
from tests.harness import OpenClient, wait_for
from tests.integration.client_api import call
from tests.integration.test_trust import (  # noqa: F401 - new_device is the fixture
    _consultation,
    _knows_device,
    _officer,
    new_device,
)

pytestmark = pytest.mark.integration


# ---------------------------------------------------------------- independent checks
def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _signed_by(obj: dict[str, Any], signer: str, key_id: str, public: str) -> bool:
    """The spec's rule, written out: canonical JSON without signatures and unsigned."""
    signature = obj.get("signatures", {}).get(signer, {}).get(key_id)
    if signature is None:
        return False
    stripped = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    message = json.dumps(
        stripped, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8")
    try:
        Ed25519PublicKey.from_public_bytes(_b64(public)).verify(_b64(signature), message)
    except InvalidSignature:
        return False
    return True


def _only_key(obj: dict[str, Any], usage: str) -> str:
    assert obj["usage"] == [usage]
    ((key_id, public),) = obj["keys"].items()
    assert key_id == f"ed25519:{public}" and len(_b64(public)) == 32
    return public


async def _query(network: Network, as_user: str, users: list[str]) -> dict[str, Any]:
    answer = await call(
        network, as_user, "POST", "/keys/query", {"device_keys": {u: [] for u in users}}
    )
    assert answer.status == 200, answer
    return answer.body


def _device_chain_holds(answer: dict[str, Any], user_id: str, device_id: str) -> bool:
    master = _only_key(answer["master_keys"][user_id], "master")
    ssk_obj = answer["self_signing_keys"][user_id]
    ssk = _only_key(ssk_obj, "self_signing")
    device = answer["device_keys"][user_id][device_id]
    return _signed_by(ssk_obj, user_id, f"ed25519:{master}", master) and _signed_by(
        device, user_id, f"ed25519:{ssk}", ssk
    )


# ---------------------------------------------------------------- tests
async def test_every_account_is_cross_signed_and_listed(network: Network):
    net = load_network(network.directory)
    directory = network_trust.load_directory(net)
    accounts = [(a, acc) for a in net.members() for acc in a.accounts]
    asker = _officer(net, "ch")
    answer = await _query(net, asker, [acc.user_id for _, acc in accounts])
    for _authority, account in accounts:
        user_id = account.user_id
        master = _only_key(answer["master_keys"][user_id], "master")
        assert _device_chain_holds(answer, user_id, account.device_id or ""), user_id
        # The first device vouches for its master key (visible to every server).
        device_key = answer["device_keys"][user_id][account.device_id]["keys"][
            f"ed25519:{account.device_id}"
        ]
        assert _signed_by(
            answer["master_keys"][user_id], user_id, f"ed25519:{account.device_id}", device_key
        )
        assert master == account.master_key
        listed = directory.member(user_id)
        if account.is_internal:  # a domestic agency's account (other tests may add one)
            assert listed is None, f"{user_id} is internal but the directory lists it"
        else:
            assert listed is not None and listed[1].master_key == master, user_id
    # Each account sees its own user-signing key, signed by its master key.
    own = await _query(net, asker, [asker])
    usk_obj = own["user_signing_keys"][asker]
    master = _only_key(own["master_keys"][asker], "master")
    _only_key(usk_obj, "user_signing")
    assert _signed_by(usk_obj, asker, f"ed25519:{master}", master)
    # Nobody sees another user's user-signing key.
    assert set(answer.get("user_signing_keys", {})) <= {asker}


async def test_a_new_device_signed_by_its_officer_is_trusted_without_a_directory_change(
    network: Network,
    open_client: OpenClient,
    new_device,  # noqa: F811 - the fixture
):
    ch_user, mx_user = _officer(network, "ch", 1), _officer(network, "mx", 1)
    mx_bot = network.authority("mx").bot().user_id
    version = network_trust.load_directory(load_network(network.directory)).version
    laptop, laptop_inbox = await new_device(ch_user, "second laptop", with_keys=True)
    assert laptop.cross_signing_status.device_signed
    answer = await _query(network, mx_user, [ch_user])
    assert _device_chain_holds(answer, ch_user, laptop.device_id)

    mx, mx_inbox = await open_client(mx_user)
    bot, bot_inbox = await open_client(mx_bot)
    room_id = await _consultation(network, mx, laptop)
    await mx.invite(room_id, bot.user_id)
    await wait_for(lambda: room_id in bot.invitations(), "the bot to be invited")
    await bot.join(room_id)
    for client in (mx, bot):
        await client.wait_until(
            lambda c=client: _knows_device(c, ch_user, laptop.device_id), 60, "the laptop's keys"
        )
    # The laptop gets the room keys of what mx sends ...
    question = f"question to the new laptop {uuid.uuid4().hex}"
    question_id = await mx.send_text(room_id, question)
    await wait_for(
        lambda: (
            (e := laptop_inbox.find(lambda x: x.event_id == question_id)) is not None
            and e.decrypted
        ),
        "the laptop to decrypt",
    )
    # ... and what it sends is the officer's word for the other authority's officer and bot.
    said = f"from the officer's new laptop {uuid.uuid4().hex}"
    said_id = await laptop.send_text(room_id, said)
    for inbox, who in ((mx_inbox, "mx"), (bot_inbox, "the mx bot")):
        await wait_for(
            lambda i=inbox: (
                (e := i.find(lambda x: x.event_id == said_id)) is not None and e.decrypted
            ),
            f"{who} to decrypt",
        )
        received = inbox.find(lambda x: x.event_id == said_id)
        assert received.content["body"] == said
        assert received.trusted and received.sender_device.device_id == laptop.device_id
    assert network_trust.load_directory(load_network(network.directory)).version == version


async def test_a_device_its_owner_did_not_sign_gets_no_keys_and_speaks_untrusted(
    network: Network,
    open_client: OpenClient,
    new_device,  # noqa: F811 - the fixture
):
    ch_user, cn_user = _officer(network, "ch", 1), _officer(network, "cn", 1)
    ch, ch_inbox = await open_client(ch_user)
    cn, _ = await open_client(cn_user)
    room_id = await _consultation(network, ch, cn)
    stolen, stolen_inbox = await new_device(cn_user, "stolen password", with_keys=False)
    assert not stolen.cross_signing_status.device_signed
    assert "does not hold the account's cross-signing keys" in stolen.cross_signing_status.problem
    answer = await _query(network, ch_user, [cn_user])
    assert not _device_chain_holds(answer, cn_user, stolen.device_id)
    # The published master key is still the officer's: a password alone changed nothing.
    assert _only_key(answer["master_keys"][cn_user], "master") == (
        network.account(cn_user)[1].master_key
    )
    await stolen.wait_until(lambda: room_id in stolen.room_ids(), 60, "the room to sync")
    await ch.wait_until(lambda: _knows_device(ch, cn_user, stolen.device_id), 60, "the device")

    secret = f"not for the stolen device {uuid.uuid4().hex}"
    secret_id = await ch.send_text(room_id, secret)
    excluded = {d.device_id: d for d in ch.room_devices(room_id)}[stolen.device_id]
    assert excluded.trust.value == "excluded"
    forged = f"forged {uuid.uuid4().hex}"
    forged_id = await stolen.send_text(room_id, forged)
    await wait_for(lambda: stolen_inbox.find(lambda e: e.event_id == secret_id), "the event")
    assert not stolen_inbox.find(lambda e: e.event_id == secret_id).decrypted
    await wait_for(lambda: ch_inbox.find(lambda e: e.event_id == forged_id), "the forged event")
    received = ch_inbox.find(lambda e: e.event_id == forged_id)
    assert received.decrypted and not received.trusted
    assert received.sender_device.device_id == stolen.device_id


async def test_emoji_verification_signs_the_other_officers_master_key(
    network: Network, open_client: OpenClient, tmp_path: Path
):
    ch_user, mx_user = _officer(network, "ch"), _officer(network, "mx")
    ch, _ = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    room_id = await _consultation(network, ch, mx)
    assert room_id
    await ch.wait_until(lambda: _knows_device(ch, mx_user, mx.device_id), 60, "mx's device")
    await mx.wait_until(lambda: _knows_device(mx, ch_user, ch.device_id), 60, "ch's device")
    ch_verifier = SasVerifier(ch, VerificationStore(tmp_path / "ch-verifications.json"))
    mx_verifier = SasVerifier(mx, VerificationStore(tmp_path / "mx-verifications.json"))
    requests: list[VerificationRequest] = []

    async def on_request(request: VerificationRequest) -> None:
        requests.append(request)

    mx_verifier.on_request(on_request)
    txn = await ch_verifier.start(mx_user, mx.device_id)
    await wait_for(lambda: any(r.transaction_id == txn for r in requests), "the request")
    await mx_verifier.accept(txn)
    ch_emoji, mx_emoji = await asyncio.gather(
        ch_verifier.wait_for_emoji(txn), mx_verifier.wait_for_emoji(txn)
    )
    assert ch_emoji == mx_emoji
    await ch_verifier.confirm(txn)
    await mx_verifier.confirm(txn)
    await asyncio.gather(ch_verifier.wait_verified(txn), mx_verifier.wait_verified(txn))

    for signer, verifier, target in (
        (ch_user, ch_verifier, mx_user),
        (mx_user, mx_verifier, ch_user),
    ):
        own = await _query(network, signer, [signer, target])
        usk = _only_key(own["user_signing_keys"][signer], "user_signing")
        target_master = own["master_keys"][target]
        master = _only_key(target_master, "master")
        assert verifier.signed_masters[target] == master
        # The signer's keys query of the other officer returns the user-signing signature.
        assert _signed_by(target_master, signer, f"ed25519:{usk}", usk), (signer, target)
        # Only the signer sees it (spec: "Key and signature security").
        third = _officer(network, "cn")
        seen = await _query(network, third, [target])
        assert signer not in seen["master_keys"][target].get("signatures", {})


async def test_a_master_key_other_than_the_directorys_is_refused(
    network: Network,
    open_client: OpenClient,
    new_device,  # noqa: F811 - the fixture
):
    """The steward lists another master key for the officer (as if the homeserver's had
    been replaced with the password): the officer's cross-signed new device is refused,
    with the reason; the device the directory pins stays trusted."""
    ch_user, mx_user = _officer(network, "ch", 1), _officer(network, "mx")
    real = network.account(ch_user)[1].master_key
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    wrong = other.decode().rstrip("=")
    laptop, _ = await new_device(ch_user, "laptop under another master key", with_keys=True)
    assert laptop.cross_signing_status.device_signed
    directory = ["--dir", str(network.directory)]
    assert cli(["directory", "set-master-key", ch_user, wrong, *directory]) == 0
    try:
        mx, _ = await open_client(mx_user)
        ch, _ = await open_client(ch_user)
        room_id = await _consultation(network, mx, ch, laptop)
        await mx.wait_until(lambda: _knows_device(mx, ch_user, laptop.device_id), 60, "laptop")
        await mx.send_text(room_id, "decides every device")
        trust = {d.device_id: d.trust.value for d in mx.room_devices(room_id)}
        assert trust[laptop.device_id] == "excluded"
        assert trust[ch.device_id] == "trusted"  # the directory's device pin
        assert mx.exclusion_reason(ch_user, laptop.device_id) == (
            f"signed by the master key {real}, not by the directory's {wrong}"
        )
    finally:
        assert cli(["directory", "set-master-key", ch_user, real or "", *directory]) == 0


async def test_replacing_the_keys_takes_the_password_and_a_wrong_one_changes_nothing(
    network: Network, tmp_path: Path
):
    """The homeserver's user-interactive auth (``m.login.password``) on a key replacement,
    on an account of its own (registered here) so the network's accounts stay as they are."""
    authority = network.authority("cn")
    password = uuid.uuid4().hex
    user_id = await register_user(
        authority.client_url,
        authority.server_name,
        authority.registration_shared_secret,
        f"xsign-{uuid.uuid4().hex[:8]}",
        password,
        "cross-signing reset",
    )
    store = tmp_path / "device"
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, EnrolledDevices({}), password=password
    )
    try:
        first = client.cross_signing_status
        assert first.device_signed and first.created  # the first upload needs no password
        held = StoreKeyHolder(store).load()
        with pytest.raises(MatrixError, match="HTTP 401"):
            await client.reset_cross_signing("not the password")
        assert StoreKeyHolder(store).load() == held
        assert await client.master_key_of(user_id) == first.master_key
        replaced = await client.reset_cross_signing(password)
        assert replaced.device_signed and replaced.master_key != first.master_key
        assert await client.master_key_of(user_id) == replaced.master_key
        assert StoreKeyHolder(store).load().master.public == replaced.master_key
    finally:
        await client.close()
