"""Key backup and the recovery key against real Synapse.

A new device of an officer reads, with the recovery key, the messages of a consultation
sent before it existed; without the key it reads none and says why. A wrong recovery key
is refused with nothing changed; a backed-up key whose MAC fails is refused and nothing is
decrypted with it; a backup version that is not encrypted to the backup key in secret
storage is not trusted. Each account got its secret storage, backup and recovery key at
enrolment (``coopnet net up``).
"""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest
import vodozemac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.canonical import canonical_bytes
from coopnet.cli import main
from coopnet.errors import RecoveryError
from coopnet.matrix import CoopNetClient, EnrolledDevices, client_api
from coopnet.matrix.backup_crypto import ALGORITHM, BackupKey
from coopnet.matrix.cross_signing import StoreKeyHolder
from coopnet.matrix.recovery_key import encode_recovery_key
from coopnet.matrix.snapshots import FROM_BACKUP
from coopnet.network import Network, load_network
from coopnet.trust.cross_signing import SECRET_NAMES, CrossSigningKeys
from tests.harness import Inbox, enrolled_devices, wait_for
from tests.integration.test_late_keys import _room_with
from tests.integration.test_trust import new_device  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def _officer(network: Network, authority_id: str, n: int = 1):
    return load_network(network.directory).authority(authority_id).officers()[n]


async def _talk(network, open_client, prefix: str) -> tuple[str, list[str], CoopNetClient]:
    """cn's officer and ch's officer exchange messages; ch's device backs their keys up."""
    ch_user = _officer(network, "ch").user_id
    cn_user = _officer(network, "cn").user_id
    ch, ch_inbox = await open_client(ch_user)
    cn, _ = await open_client(cn_user)
    room = await _room_with(network, ch, cn)
    texts = [f"{prefix} {i} {uuid.uuid4().hex[:6]}" for i in range(3)]
    await cn.send_text(room, texts[0])
    await cn.send_text(room, texts[1])
    await ch.send_text(room, texts[2])
    await wait_for(
        lambda: all(_read(ch_inbox, t) for t in texts[:2]), "ch's officer to read cn's messages"
    )
    assert ch.recovery.unlocked and ch.key_backup.enabled  # enrolled by 'net up'
    await wait_for(lambda: ch.key_backup.pending == 0, "ch's room keys to be backed up")
    return room, texts, ch


def _read(inbox: Inbox, text: str):
    return inbox.find(lambda e: e.decrypted and e.content.get("body") == text)


def _bodies(events) -> set[str]:
    return {e.content.get("body") for e in events if e.decrypted}


async def test_a_new_device_reads_earlier_messages_only_with_the_recovery_key(
    network: Network,
    open_client,
    new_device,  # noqa: F811 - the fixture
):
    room, texts, _ch = await _talk(network, open_client, "before")
    account = _officer(network, "ch")
    laptop, _ = await new_device(account.user_id, "new laptop")
    await laptop.wait_until(lambda: room in laptop.room_ids(), 30, "the room on the new device")

    # Without the recovery key: none of it, and why.
    history = await laptop.whole_history(room)
    sent = [e for e in history if e.type == "m.room.encrypted" or e.decrypted]
    assert not _bodies(history) & set(texts)
    undecrypted = [e for e in sent if not e.decrypted]
    assert len(undecrypted) >= 3
    assert "enter the recovery key" in (laptop.missing_key_reason(undecrypted[0]) or "")

    # A wrong recovery key, or one mistyped: refused, nothing changed.
    with pytest.raises(RecoveryError, match="does not open"):
        await laptop.recovery.unlock(encode_recovery_key(bytes(32)))
    typo = "2" if account.recovery_key[-1] != "2" else "3"
    with pytest.raises(RecoveryError, match="typing error"):
        await laptop.recovery.unlock(account.recovery_key[:-1] + typo)
    assert not laptop.recovery.unlocked and not laptop.key_backup.enabled
    assert not _bodies(await laptop.whole_history(room)) & set(texts)

    # With it: every earlier message decrypts, flagged as not authenticated by its sender.
    assert not laptop.cross_signing_status.device_signed
    report = await laptop.recovery.unlock(account.recovery_key)
    assert report.imported >= 2 and report.refused_count == 0
    # The officer's cross-signing keys came from secret storage: the device signed itself.
    assert laptop.cross_signing_status.device_signed
    assert laptop.cross_signing_status.master_key == account.master_key
    history = await laptop.whole_history(room)
    assert set(texts) <= _bodies(history)
    restored = [e for e in history if e.content.get("body") in texts]
    assert all(not e.trusted and e.sender_device.reason == FROM_BACKUP for e in restored)
    assert await laptop.call(
        "GET", client_api.path("user", account.user_id, "account_data", "m.key_backup")
    ) == client_api.Answer(200, {"enabled": True})
    # The device is trusted with the recovery key now: it shows it, and backs up.
    assert laptop.recovery.recovery_key() == " ".join(account.recovery_key.split())
    assert laptop.key_backup.enabled
    # The restored keys are in the device's store: they are there after a restart.
    store = laptop.store_dir
    await laptop.close()
    authority = load_network(network.directory).account(account.user_id)[0]
    again = await CoopNetClient.open(authority.client_url, account.user_id, store, laptop.policy)
    try:
        assert set(texts) <= _bodies(await again.whole_history(room))
        assert again.recovery.unlocked and again.key_backup.enabled
    finally:
        await again.close()


async def test_a_new_device_unlocked_with_the_recovery_key_is_trusted_by_the_counterpart(
    network: Network,
    open_client,
    new_device,  # noqa: F811 - the fixture
):
    """No steward, no copied key file: the recovery key alone makes the officer's new
    device cross-signed, so the other authority's officer shares room keys with it."""
    room, texts, _ch = await _talk(network, open_client, "earlier")
    account = _officer(network, "ch")
    cn, _ = await open_client(_officer(network, "cn").user_id)
    laptop, laptop_inbox = await new_device(account.user_id, "laptop signed from 4S")
    await laptop.wait_until(lambda: room in laptop.room_ids(), 30, "the room on the new device")
    await cn.wait_until(
        lambda: any(d.device_id == laptop.device_id for d in cn.user_devices(account.user_id)),
        60,
        "cn to know the new device",
    )
    assert "not signed by its owner" in (
        cn.exclusion_reason(account.user_id, laptop.device_id) or ""
    )
    await laptop.recovery.unlock(account.recovery_key)
    assert laptop.cross_signing_status.device_signed

    # The counterpart sees the device signed through the directory's master key ...
    await cn.wait_until(
        lambda: cn.exclusion_reason(account.user_id, laptop.device_id) == "",
        60,
        "cn to see the new device cross-signed",
    )
    later = f"for the signed laptop {uuid.uuid4().hex[:6]}"
    later_id = await cn.send_text(room, later)
    await wait_for(
        lambda: laptop_inbox.find(lambda e: e.event_id == later_id and e.decrypted),
        "the new device to decrypt cn's new message",
    )
    # ... and sent it the room key itself: the message is authenticated, not from backup.
    received = laptop_inbox.find(lambda e: e.event_id == later_id)
    assert received.trusted and received.sender_device.reason != FROM_BACKUP
    # The history from before the device existed comes from the backup.
    assert set(texts) <= _bodies(await laptop.whole_history(room))


async def test_cross_signing_keys_in_secret_storage_that_are_not_the_published_ones_are_refused(
    network: Network,
    new_device,  # noqa: F811 - the fixture
):
    """Someone with the recovery key's storage (or a stale copy) puts other cross-signing
    keys in secret storage: the new device takes nothing, signs nothing, restores nothing."""
    account = _officer(network, "mx", 1)
    laptop, _ = await new_device(account.user_id, "laptop of swapped secrets")
    key = await laptop.recovery.open_with(account.recovery_key)
    originals = {name: await laptop.recovery.read_secret(key, name) for name in SECRET_NAMES}
    assert all(originals.values())  # stored at enrolment ('net up')
    try:
        for name, secret in CrossSigningKeys.generate().to_json().items():
            await laptop.recovery.store_secret(name, secret, key)
        with pytest.raises(RecoveryError, match="homeserver publishes"):
            await laptop.recovery.unlock(account.recovery_key)
        assert not laptop.recovery.unlocked and not laptop.key_backup.enabled
        assert not laptop.cross_signing_status.device_signed
        assert StoreKeyHolder(laptop.store_dir).load() is None
    finally:
        for name, secret in originals.items():
            await laptop.recovery.store_secret(name, secret or "", key)


async def test_a_backup_version_made_with_the_password_alone_is_not_trusted(
    network: Network,
    new_device,  # noqa: F811 - the fixture
):
    """An attacker with the account's password makes a backup version with the account's
    own backup public key (so the new device could decrypt what the attacker puts in it),
    signed by the attacker's own device: nobody the new device trusts signed it."""
    account = _officer(network, "cn", 1)
    attacker, _ = await new_device(account.user_id, "the attacker's device")
    current = await attacker.recovery.backup_version()
    assert current is not None
    auth_data = {"public_key": current.public_key}
    olm_signature = attacker.recovery.auth_data_signers[0](auth_data)
    assert olm_signature is not None
    made = await attacker.call(
        "POST",
        client_api.path("room_keys", "version"),
        {
            "algorithm": ALGORITHM,
            "auth_data": {**auth_data, "signatures": {account.user_id: dict([olm_signature])}},
        },
    )
    assert made.ok
    try:
        laptop, _ = await new_device(account.user_id, "laptop after the attacker")
        with pytest.raises(RecoveryError, match="not trusted") as refused:
            await laptop.recovery.unlock(account.recovery_key)
        assert f"ed25519:{attacker.device_id}, which this device does not trust" in str(
            refused.value
        )
        assert not laptop.recovery.unlocked and not laptop.key_backup.enabled
    finally:  # the account's own backup is the current one again
        await attacker.call("DELETE", client_api.path("room_keys", "version", made.body["version"]))


async def test_a_backed_up_key_whose_mac_fails_is_refused_and_decrypts_nothing(
    network: Network,
    open_client,
    new_device,  # noqa: F811 - the fixture
):
    room, texts, ch = await _talk(network, open_client, "tampered")
    account = _officer(network, "ch")
    version = await ch.recovery.backup_version()
    assert version is not None
    # The homeserver (or anyone) alters the backed-up keys of this room: a MAC that fails.
    got = await ch.call("GET", client_api.path("room_keys", "keys", room, version=version.version))
    assert got.ok and got.body["sessions"]
    for session_id, entry in got.body["sessions"].items():
        deleted = await ch.call(
            "DELETE",
            client_api.path("room_keys", "keys", room, session_id, version=version.version),
        )
        assert deleted.ok
        entry["session_data"]["mac"] = "AAAAAAAAAAA"
        put = await ch.call(
            "PUT",
            client_api.path("room_keys", "keys", room, session_id, version=version.version),
            entry,
        )
        assert put.ok, put.describe()
    laptop, _ = await new_device(account.user_id, "laptop of a tampered backup")
    await laptop.wait_until(lambda: room in laptop.room_ids(), 30, "the room on the new device")
    report = await laptop.recovery.unlock(account.recovery_key)
    assert report.refused_count == len(got.body["sessions"])
    assert all("MAC does not match" in reason for reason in report.refused[:5] if room in reason)
    history = await laptop.whole_history(room)
    assert not _bodies(history) & set(texts)


async def test_a_backup_version_not_encrypted_to_the_stored_backup_key_is_not_trusted(
    network: Network,
    new_device,  # noqa: F811 - the fixture
):
    account = _officer(network, "mx")
    laptop, _ = await new_device(account.user_id, "laptop of a replaced backup")
    # Someone with the password (or the server) makes a new backup version of their own.
    stranger = BackupKey.generate()
    made = await laptop.call(
        "POST",
        client_api.path("room_keys", "version"),
        {"algorithm": ALGORITHM, "auth_data": {"public_key": stranger.public_key_b64}},
    )
    assert made.ok
    try:
        with pytest.raises(RecoveryError, match="not trusted"):
            await laptop.recovery.unlock(account.recovery_key)
        assert not laptop.recovery.unlocked and not laptop.key_backup.enabled
    finally:  # the account's own backup is the current one again
        version = made.body["version"]
        await laptop.call("DELETE", client_api.path("room_keys", "version", version))


async def test_replacing_the_recovery_key_re_encrypts_the_secrets(
    network: Network,
    open_client,
    new_device,  # noqa: F811 - the fixture
):
    account = _officer(network, "cn", 0)
    cn, _ = await open_client(account.user_id)
    old = cn.recovery.recovery_key()
    new = await cn.recovery.replace()
    assert new != old and cn.recovery.recovery_key() == new
    net = load_network(network.directory)
    net.account(account.user_id)[1].recovery_key = new
    net.save()
    laptop, _ = await new_device(account.user_id, "laptop after a new recovery key")
    with pytest.raises(RecoveryError, match="does not open"):
        await laptop.recovery.unlock(old)
    report = await laptop.recovery.unlock(new)
    assert report.refused_count == 0 and laptop.recovery.recovery_key() == new
    # The cross-signing keys were carried over: the new key signs the laptop too.
    assert laptop.cross_signing_status.device_signed


async def test_the_recovery_command_unlocks_shows_and_refuses(network: Network, tmp_path, capsys):
    account = _officer(network, "mx", 0)
    authority = load_network(network.directory).account(account.user_id)[0]
    store = tmp_path / "cli-device"
    device = await CoopNetClient.open(
        authority.client_url, account.user_id, store, EnrolledDevices({}),
        password=account.password, device_name="cli device",
    )  # fmt: skip
    await device.close()
    wrong, right = tmp_path / "wrong.key", tmp_path / "right.key"
    wrong.write_text(encode_recovery_key(bytes(32)) + "\n")
    right.write_text(account.recovery_key + "\n")

    def run(*argv: str) -> int:
        return main(["recovery", *argv, "--store", str(store)])

    assert await asyncio.to_thread(run, "show") == 1
    assert "does not hold the recovery key" in capsys.readouterr().err
    assert await asyncio.to_thread(run, "unlock", "--recovery-key-file", str(wrong)) == 1
    err = capsys.readouterr().err
    assert "refused: this recovery key does not open" in err and "nothing was changed" in err
    assert await asyncio.to_thread(run, "unlock", "--recovery-key-file", str(right)) == 0
    assert "room keys from backup version" in capsys.readouterr().out
    assert await asyncio.to_thread(run, "show") == 0
    assert capsys.readouterr().out.strip() == " ".join(account.recovery_key.split())


async def test_the_backup_auth_data_is_signed_by_the_device_and_the_master_key(
    network: Network, open_client
):
    """As the spec says: ``auth_data`` carries the master key's signature and the
    enrolling device's (checked here with vodozemac and cryptography directly)."""
    account = _officer(network, "cn", 1)
    cn, _ = await open_client(account.user_id)
    version = await cn.recovery.backup_version()
    assert version is not None
    auth_data = version.auth_data
    signatures = auth_data["signatures"][account.user_id]
    master_id = f"ed25519:{account.master_key}"
    assert set(signatures) == {f"ed25519:{cn.device_id}", master_id}
    signed = canonical_bytes({"public_key": auth_data["public_key"]})
    device_key = vodozemac.Ed25519PublicKey.from_base64(cn.ed25519_key)
    device_key.verify_signature(
        signed, vodozemac.Ed25519Signature.from_base64(signatures[f"ed25519:{cn.device_id}"])
    )
    master = Ed25519PublicKey.from_public_bytes(base64.b64decode(account.master_key + "="))
    master.verify(base64.b64decode(signatures[master_id] + "=="), signed)
    # Signing again (after the keys were reset) gives the same signers.
    again = await cn.recovery.sign_backup_again()
    answer = await cn.call("GET", client_api.path("room_keys", "version", again))
    assert set(answer.body["auth_data"]["signatures"][account.user_id]) == set(signatures)


async def test_a_room_key_that_never_came_to_a_device_is_fetched_from_the_backup(
    network: Network,
    open_client,
    new_device,  # noqa: F811 - the fixture
):
    """cn's officer shares keys, and ch's enrolled device answers key requests, only
    with the devices ``network.json`` enrolled (not with cross-signed new ones); ch's
    other device, unlocked with the recovery key, gets the new message's key from the
    backup the enrolled one fed."""
    account = _officer(network, "ch")
    ch, ch_inbox = await open_client(account.user_id)
    cn, _ = await open_client(_officer(network, "cn").user_id)
    ch.policy = cn.policy = enrolled_devices(load_network(network.directory))
    room = await _room_with(network, ch, cn)
    laptop, laptop_inbox = await new_device(account.user_id, "laptop fed by the backup")
    await laptop.wait_until(lambda: room in laptop.room_ids(), 30, "the room on the new device")
    await laptop.recovery.unlock(account.recovery_key)
    text = f"after the unlock {uuid.uuid4().hex[:6]}"
    await cn.send_text(room, text)
    await wait_for(lambda: _read(ch_inbox, text), "ch's enrolled device to read it")
    await wait_for(
        lambda: _read(laptop_inbox, text), "the other device to read it with the backup's key"
    )
    assert laptop.key_backup.fetched_count >= 1
    assert _read(laptop_inbox, text).sender_device.reason == FROM_BACKUP
