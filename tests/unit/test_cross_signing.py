"""Cross-signing's pure half: signing JSON as the spec says, and the chain checks."""

from __future__ import annotations

import base64

import pytest
import signedjson.key
import signedjson.sign
from unpaddedbase64 import decode_base64

from coopnet.trust.cross_signing import (
    ChainProblem,
    CrossSigningKeys,
    Identity,
    SigningKey,
    check_device,
    check_identity,
    key_object,
    signing_json,
    verify_json,
    with_signature,
)

USER = "@officer1:127.0.0.11"
# The spec's test vector seed (appendices, "Signing Key"), server "domain", key "ed25519:1".
SPEC_SEED = decode_base64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")


def test_the_specs_json_signing_test_vectors():
    key = SigningKey(SPEC_SEED)
    assert key.sign({}) == (
        "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
    )
    assert key.sign({"one": 1, "two": "Two"}) == (
        "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
    )


def test_signing_json_is_canonical_without_signatures_and_unsigned():
    value = {"b": "日", "a": {"y": 1, "x": None}, "signatures": {"u": {}}, "unsigned": {"age": 3}}
    assert signing_json(value) == '{"a":{"x":null,"y":1},"b":"日"}'.encode()
    with pytest.raises(ValueError, match="floats"):
        signing_json({"a": 1.5})
    with pytest.raises(ValueError, match="range"):
        signing_json({"a": 2**53})


def test_signatures_interoperate_with_signedjson():
    """Synapse's own library verifies ours, and we verify its."""
    ours = SigningKey.generate()
    signed = ours.sign_json(key_object(USER, "master", ours.public), USER)
    verify_key = signedjson.key.decode_verify_key_bytes(ours.key_id, decode_base64(ours.public))
    signedjson.sign.verify_signed_json(signed, USER, verify_key)  # raises if bad

    theirs = signedjson.key.generate_signing_key("DEVICE")
    public = base64.b64encode(theirs.verify_key.encode()).decode().rstrip("=")
    device = {"user_id": USER, "device_id": "DEVICE", "keys": {"ed25519:DEVICE": public}}
    signedjson.sign.sign_json(device, USER, theirs)
    assert verify_json(device, USER, "ed25519:DEVICE", public) is None


def test_upload_body_has_the_specs_shape_and_signatures():
    keys = CrossSigningKeys.generate()
    body = keys.upload_body(USER)
    master = body["master_key"]
    assert master == {
        "user_id": USER,
        "usage": ["master"],
        "keys": {f"ed25519:{keys.master.public}": keys.master.public},
    }
    for field, usage, key in (
        ("self_signing_key", "self_signing", keys.self_signing),
        ("user_signing_key", "user_signing", keys.user_signing),
    ):
        obj = body[field]
        assert obj["usage"] == [usage]
        assert obj["keys"] == {key.key_id: key.public}
        assert list(obj["signatures"][USER]) == [keys.master.key_id]
        assert len(obj["signatures"][USER][keys.master.key_id]) == 86  # 64 bytes, unpadded
        assert verify_json(obj, USER, keys.master.key_id, keys.master.public) is None


def test_keys_round_trip_and_a_bad_file_names_its_field():
    keys = CrossSigningKeys.generate()
    assert CrossSigningKeys.from_json(keys.to_json()) == keys
    bad = {**keys.to_json(), "m.cross_signing.self_signing": "not base64!"}
    assert CrossSigningKeys.from_json(bad) == (
        "m.cross_signing.self_signing: expected the base64 of a 32-byte Ed25519 seed"
    )
    assert "seed" not in repr(keys.master) and keys.master.public in repr(keys.master)


def _device(device_key: SigningKey, device_id: str = "DEV1") -> dict:
    obj = {
        "user_id": USER,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"ed25519:{device_id}": device_key.public, f"curve25519:{device_id}": "x"},
    }
    # A device key's id is its device id.
    signed = with_signature(obj, USER, f"ed25519:{device_id}", device_key.sign(obj))
    return signed | {"unsigned": {"device_display_name": "laptop"}}


def _published(keys: CrossSigningKeys) -> tuple[dict, dict]:
    body = keys.upload_body(USER)
    return body["master_key"], body["self_signing_key"]


def test_a_device_signed_through_the_chain_is_vouched_for():
    keys, device_key = CrossSigningKeys.generate(), SigningKey.generate()
    identity = check_identity(USER, *_published(keys))
    assert identity == Identity(USER, keys.master.public, keys.self_signing.public)
    device = keys.self_signing.sign_json(_device(device_key), USER)
    assert check_device(identity, device) == device_key.public


def test_a_device_signature_that_does_not_verify_is_refused():
    keys, device_key = CrossSigningKeys.generate(), SigningKey.generate()
    identity = check_identity(USER, *_published(keys))
    assert isinstance(identity, Identity)
    device = keys.self_signing.sign_json(_device(device_key), USER)
    device["algorithms"] = ["m.olm.v1.curve25519-aes-sha2"]  # changed after signing
    problem = check_device(identity, device)
    assert isinstance(problem, ChainProblem)
    assert problem.where == f"device_keys[{USER}][DEV1].signatures"
    assert "does not verify" in problem.reason
    # Signed by someone else's self-signing key: not this user's signature.
    other = CrossSigningKeys.generate()
    forged = other.self_signing.sign_json(_device(device_key), USER)
    problem = check_device(identity, forged)
    assert isinstance(problem, ChainProblem)
    assert "not signed by the self-signing key" in problem.reason


def test_a_self_signing_key_not_signed_by_the_master_key_is_refused():
    keys, intruder = CrossSigningKeys.generate(), CrossSigningKeys.generate()
    master, _ = _published(keys)
    ssk = intruder.master.sign_json(
        key_object(USER, "self_signing", keys.self_signing.public), USER
    )
    identity = check_identity(USER, master, ssk)
    assert isinstance(identity, Identity)
    assert identity.self_signing_key is None
    assert identity.problem is not None
    assert str(identity.problem).startswith(f"self_signing_keys[{USER}]: not signed by the master")
    device = keys.self_signing.sign_json(_device(SigningKey.generate()), USER)
    assert check_device(identity, device) == identity.problem


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda m: m.update(user_id="@someone:else"), "user_id"),
        (lambda m: m.update(usage=["self_signing"]), "usage"),
        (lambda m: m["keys"].update({"ed25519:other": "AAAA"}), "keys"),
        (lambda m: m.update(keys={"ed25519:abc": "not a key"}), "keys"),
    ],
)
def test_a_malformed_master_key_is_refused_with_its_field(change, where):
    master, ssk = _published(CrossSigningKeys.generate())
    change(master)
    problem = check_identity(USER, master, ssk)
    assert isinstance(problem, ChainProblem)
    assert problem.where == f"master_keys[{USER}].{where}"


def test_with_signature_keeps_the_others():
    value = {"a": 1, "signatures": {USER: {"ed25519:DEV": "sig"}}}
    signed = with_signature(value, "@b:hs", "ed25519:K", "s2")
    assert signed["signatures"] == {USER: {"ed25519:DEV": "sig"}, "@b:hs": {"ed25519:K": "s2"}}
    assert value["signatures"] == {USER: {"ed25519:DEV": "sig"}}
