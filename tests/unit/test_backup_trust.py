"""Cross-signing keys in secret storage and the trust of a key backup's ``auth_data``
(pure, fed with what a homeserver would answer)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from coopnet.errors import RecoveryError
from coopnet.matrix.devices import DirectoryDevices, EnrolledDevices
from coopnet.matrix.own_identity import own_identity, read_cross_signing_keys
from coopnet.matrix.secret_storage import SecretStorageKey
from coopnet.trust import directory as d
from coopnet.trust.backup_signatures import trusted_signer
from coopnet.trust.cross_signing import (
    SECRET_NAMES,
    CrossSigningKeys,
    SigningKey,
    check_identity,
    check_recovered,
    with_signature,
)
from tests.unit.test_trust_directory import sample

USER = "@o1:127.0.0.11"


def _auth_data(*signers: tuple[str, SigningKey]) -> dict[str, Any]:
    auth_data: dict[str, Any] = {"public_key": "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo"}
    for key_id, key in signers:
        auth_data = with_signature(auth_data, USER, key_id, key.sign(auth_data))
    return auth_data


def _identity(keys: CrossSigningKeys):
    body = keys.upload_body(USER)
    return check_identity(USER, body["master_key"], body["self_signing_key"])


# ---------------------------------------------------------------- auth_data
def test_a_backup_signed_by_the_trusted_master_key_is_trusted():
    keys = CrossSigningKeys.generate()
    trust = trusted_signer(
        _auth_data((keys.master.key_id, keys.master)), USER, keys.master.public, {}
    )
    assert trust.trusted and trust.signer == keys.master.key_id


def test_a_backup_signed_by_a_trusted_own_device_is_trusted():
    device = SigningKey.generate()
    trust = trusted_signer(_auth_data(("ed25519:DEV", device)), USER, None, {"DEV": device.public})
    assert trust.signer == "ed25519:DEV"


def test_a_backup_signed_by_nobody_trusted_is_refused_with_the_reason():
    keys = CrossSigningKeys.generate()
    stranger = SigningKey.generate()
    trusted_device = SigningKey.generate()
    # The attacker's own (unsigned) device signs a version made with the password.
    signed = _auth_data(("ed25519:ATTACKER", stranger))
    trust = trusted_signer(signed, USER, keys.master.public, {"DEV": trusted_device.public})
    assert not trust.trusted
    assert "signed by ed25519:ATTACKER, which this device does not trust" in trust.reason
    # A signature made under the master key's id by another key does not verify.
    forged = _auth_data((keys.master.key_id, stranger))
    trust = trusted_signer(forged, USER, keys.master.public, {})
    assert not trust.trusted and "the master key's signature: " in trust.reason
    assert "does not verify" in trust.reason
    # A device id the device trusts, but a signature by another key.
    trust = trusted_signer(
        _auth_data(("ed25519:DEV", stranger)), USER, None, {"DEV": trusted_device.public}
    )
    assert not trust.trusted and "device DEV: " in trust.reason
    assert "this device trusts no master key" in trust.reason
    # No signature at all, or of another user only.
    assert "carries no signature" in trusted_signer({"public_key": "x"}, USER, None, {}).reason
    assert "not an object" in trusted_signer([], USER, None, {}).reason


def test_an_altered_auth_data_loses_its_signature():
    keys = CrossSigningKeys.generate()
    signed = _auth_data((keys.master.key_id, keys.master))
    signed["public_key"] = "another key"
    assert not trusted_signer(signed, USER, keys.master.public, {}).trusted


# ---------------------------------------------------------------- recovered keys
def test_recovered_keys_must_be_the_published_and_listed_ones():
    keys = CrossSigningKeys.generate()
    assert check_recovered(keys, _identity(keys), None) is None
    assert check_recovered(keys, _identity(keys), keys.master.public) is None
    other = CrossSigningKeys.generate()
    assert "the homeserver publishes" in (check_recovered(keys, _identity(other), None) or "")
    listed = other.master.public
    assert f"the directory lists {listed}" in (check_recovered(keys, _identity(keys), listed) or "")
    assert "publishes no master key" in (check_recovered(keys, None, None) or "")
    mixed = CrossSigningKeys(keys.master, other.self_signing, keys.user_signing)
    assert "self-signing key" in (check_recovered(mixed, _identity(keys), None) or "")


def test_the_secrets_are_the_unpadded_base64_seeds_under_the_spec_names():
    keys = CrossSigningKeys.generate()
    storage = SecretStorageKey.generate()
    content = {name: storage.secret_content(name, v) for name, v in keys.to_json().items()}
    assert (
        set(content)
        == set(SECRET_NAMES)
        == {
            "m.cross_signing.master",
            "m.cross_signing.self_signing",
            "m.cross_signing.user_signing",
        }
    )
    plain = storage.read_secret("m.cross_signing.master", content["m.cross_signing.master"])
    assert "=" not in plain and base64.b64decode(plain + "=") == keys.master.seed

    async def read(name: str) -> str | None:
        return storage.read_secret(name, content[name]) if name in content else None

    assert asyncio.run(read_cross_signing_keys(read)) == keys


@pytest.mark.parametrize(
    ("secrets", "reason"),
    [
        ({}, None),
        ({"m.cross_signing.master": "AAAA"}, "but not m.cross_signing.self_signing"),
        (
            {name: "bm90IGEga2V5" for name in SECRET_NAMES},
            "expected the base64 of a 32-byte Ed25519 seed",
        ),
    ],
)
def test_partial_or_malformed_secrets_are_refused(secrets: dict[str, str], reason: str | None):
    async def read(name: str) -> str | None:
        return secrets.get(name)

    if reason is None:
        assert asyncio.run(read_cross_signing_keys(read)) is None
        return
    with pytest.raises(RecoveryError, match=reason):
        asyncio.run(read_cross_signing_keys(read))


# ---------------------------------------------------------------- own identity
class _Homeserver:
    """Answers the keys query of the account as the homeserver would."""

    user_id = USER
    device_id = "NEW"

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    async def api_request(self, method: str, path: str, body: dict[str, Any]):
        assert path.endswith("/keys/query")
        return 200, self.answer


def _device(key: SigningKey, device_id: str, ssk: SigningKey | None = None) -> dict[str, Any]:
    obj = {"user_id": USER, "device_id": device_id, "keys": {f"ed25519:{device_id}": key.public}}
    obj = with_signature(obj, USER, f"ed25519:{device_id}", key.sign(obj))
    return with_signature(obj, USER, ssk.key_id, ssk.sign(obj)) if ssk else obj


def _keys_answer(keys: CrossSigningKeys, devices: dict[str, Any]) -> dict[str, Any]:
    body = keys.upload_body(USER)
    return {
        "device_keys": {USER: devices},
        "master_keys": {USER: body["master_key"]},
        "self_signing_keys": {USER: body["self_signing_key"]},
    }


async def test_own_identity_trusts_the_recovered_master_and_signed_devices():
    keys = CrossSigningKeys.generate()
    old, stolen = SigningKey.generate(), SigningKey.generate()
    answer = _keys_answer(
        keys, {"OLD": _device(old, "OLD", keys.self_signing), "STOLEN": _device(stolen, "STOLEN")}
    )
    policy = DirectoryDevices(d.with_master_key(sample(), USER, keys.master.public))
    identity = await own_identity(_Homeserver(answer), policy, None, keys)
    assert identity.trusted_master == keys.master.public
    assert identity.trusted_devices == {"OLD": old.public}
    # Without a directory and without the keys, the published master key is only the
    # homeserver's word: not trusted.
    nobody = await own_identity(_Homeserver(answer), EnrolledDevices({}), None, None)
    assert nobody.trusted_master is None and nobody.trusted_devices == {}


async def test_own_identity_refuses_recovered_keys_the_directory_does_not_list():
    keys, listed = CrossSigningKeys.generate(), CrossSigningKeys.generate()
    policy = DirectoryDevices(d.with_master_key(sample(), USER, listed.master.public))
    with pytest.raises(RecoveryError, match="the directory lists"):
        await own_identity(_Homeserver(_keys_answer(keys, {})), policy, None, keys)
