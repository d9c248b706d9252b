"""Trust follows cross-signing: the directory's master keys and the device policy (pure),
fed with a ``/keys/query`` answer as a homeserver would send it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coopnet.errors import MatrixError
from coopnet.matrix.cross_signing import CrossSigningView, StoreKeyHolder
from coopnet.matrix.devices import Decision, DeviceInfo, DirectoryDevices
from coopnet.trust import DirectoryRefused, parse_directory
from coopnet.trust import directory as d
from coopnet.trust.cross_signing import CrossSigningKeys, SigningKey, key_object, with_signature
from tests.unit.test_trust_directory import sample

USER = "@o1:127.0.0.11"


def _device(device_key: SigningKey, device_id: str) -> dict:
    obj = {
        "user_id": USER,
        "device_id": device_id,
        "algorithms": ["m.megolm.v1.aes-sha2"],
        "keys": {f"ed25519:{device_id}": device_key.public},
    }
    return with_signature(obj, USER, f"ed25519:{device_id}", device_key.sign(obj))


def _answer(keys: CrossSigningKeys, devices: dict[str, dict], ssk: dict | None = None) -> dict:
    body = keys.upload_body(USER)
    return {
        "device_keys": {USER: devices},
        "master_keys": {USER: body["master_key"]},
        "self_signing_keys": {USER: ssk or body["self_signing_key"]},
    }


def _info(view: CrossSigningView, device_id: str, key: SigningKey) -> DeviceInfo:
    master, problem = view.vouching_master(USER, device_id, key.public)
    return DeviceInfo(USER, device_id, key.public, "", master, problem)


@pytest.fixture
def officer() -> CrossSigningKeys:
    return CrossSigningKeys.generate()


def _policy(master_key: str | None) -> DirectoryDevices:
    return DirectoryDevices(d.with_master_key(sample(), USER, master_key))


def test_a_new_device_signed_by_the_listed_master_key_is_trusted(officer):
    laptop, phone = SigningKey.generate(), SigningKey.generate()
    view = CrossSigningView()
    view.absorb(
        _answer(
            officer,
            {
                "NEWLAPTOP": officer.self_signing.sign_json(_device(laptop, "NEWLAPTOP"), USER),
                "STOLEN": _device(phone, "STOLEN"),  # logged in with the password only
            },
        )
    )
    policy = _policy(officer.master.public)
    assert policy.decide(_info(view, "NEWLAPTOP", laptop)) is Decision.TRUST
    stolen = _info(view, "STOLEN", phone)
    assert policy.decide(stolen) is Decision.EXCLUDE
    assert policy.reason(stolen).startswith("not signed by its owner")
    # A key the self-signing key never signed, under a signed device's id.
    assert policy.decide(_info(view, "NEWLAPTOP", phone)) is Decision.EXCLUDE


def test_pins_stay_for_an_account_without_a_listed_master_key(officer):
    directory = sample()
    pinned = directory.member(USER)[1].devices[0]
    laptop = SigningKey.generate()
    view = CrossSigningView()
    view.absorb(_answer(officer, {"L": officer.self_signing.sign_json(_device(laptop, "L"), USER)}))
    policy = DirectoryDevices(directory)
    assert policy.decide(DeviceInfo(USER, pinned.device_id, pinned.ed25519, "")) is Decision.TRUST
    cross_signed = _info(view, "L", laptop)
    assert cross_signed.master_key == officer.master.public
    assert policy.decide(cross_signed) is Decision.EXCLUDE  # no listed master key: pins only
    assert policy.reason(cross_signed) == "the directory does not list it"


def test_a_master_key_different_from_the_directorys_is_refused(officer):
    intruder = CrossSigningKeys.generate()  # an attacker reset cross-signing with the password
    laptop = SigningKey.generate()
    view = CrossSigningView()
    view.absorb(
        _answer(intruder, {"L": intruder.self_signing.sign_json(_device(laptop, "L"), USER)})
    )
    info = _info(view, "L", laptop)
    policy = _policy(officer.master.public)
    assert policy.decide(info) is Decision.EXCLUDE
    assert policy.reason(info) == (
        f"signed by the master key {intruder.master.public}, "
        f"not by the directory's {officer.master.public}"
    )


def test_a_self_signing_key_not_signed_by_the_master_key_is_refused(officer):
    intruder = CrossSigningKeys.generate()
    laptop = SigningKey.generate()
    ssk = intruder.master.sign_json(
        key_object(USER, "self_signing", officer.self_signing.public), USER
    )
    view = CrossSigningView()
    view.absorb(
        _answer(officer, {"L": officer.self_signing.sign_json(_device(laptop, "L"), USER)}, ssk)
    )
    info = _info(view, "L", laptop)
    assert info.master_key is None
    assert "self_signing_keys[@o1:127.0.0.11]: not signed by the master key" in (
        _policy(officer.master.public).reason(info)
    )


def test_a_device_signature_that_does_not_verify_is_refused(officer):
    laptop = SigningKey.generate()
    signed = officer.self_signing.sign_json(_device(laptop, "L"), USER)
    signed["algorithms"] = ["m.olm.v1.curve25519-aes-sha2"]  # altered after signing
    view = CrossSigningView()
    view.absorb(_answer(officer, {"L": signed}))
    reason = _policy(officer.master.public).reason(_info(view, "L", laptop))
    assert "device_keys[@o1:127.0.0.11][L].signatures" in reason
    assert "does not verify" in reason


def test_a_later_answer_replaces_what_was_known(officer):
    laptop = SigningKey.generate()
    view = CrossSigningView()
    view.absorb(_answer(officer, {"L": officer.self_signing.sign_json(_device(laptop, "L"), USER)}))
    assert view.vouching_master(USER, "L", laptop.public)[0] == officer.master.public
    view.absorb({"device_keys": {USER: {"L": _device(laptop, "L")}}})  # keys reset, none now
    assert view.vouching_master(USER, "L", laptop.public) == (None, "")


def test_the_directory_lists_master_keys_and_old_directories_still_parse(officer):
    directory = d.with_master_key(sample(), USER, officer.master.public)
    data = directory.to_json()
    assert data["authorities"][0]["officers"][0]["master_key"] == officer.master.public
    assert parse_directory(data) == directory
    assert "master_key" not in sample().to_json()["authorities"][0]["officers"][0]
    data["authorities"][0]["officers"][1]["master_key"] = "not a key"
    with pytest.raises(DirectoryRefused) as refused:
        parse_directory(data)
    assert "directory.authorities[0].officers[1].master_key" in str(refused.value)
    assert "not a base64 Ed25519 key" in str(refused.value)


def test_one_master_key_for_two_members_is_refused(officer):
    directory = d.with_master_key(sample(), USER, officer.master.public)
    data = directory.to_json()
    data["authorities"][1]["officers"][0]["master_key"] = officer.master.public
    with pytest.raises(DirectoryRefused, match="master key"):
        parse_directory(data)
    assert replace(directory.member(USER)[1], master_key=None).master_key is None


def test_the_steward_cannot_list_a_malformed_master_key():
    with pytest.raises(DirectoryRefused, match=r"master key: 'AAAA' is not a base64 Ed25519 key"):
        d.with_master_key(sample(), USER, "AAAA")
    with pytest.raises(DirectoryRefused, match="no user @nobody"):
        d.with_master_key(sample(), "@nobody:127.0.0.11", None)


def test_the_device_store_keeps_the_keys_owner_only_and_names_a_bad_field(tmp_path, officer):
    holder = StoreKeyHolder(tmp_path)
    assert holder.load() is None
    holder.save(officer)
    assert holder.load() == officer
    assert (tmp_path / "cross-signing.json").stat().st_mode & 0o777 == 0o600
    (tmp_path / "cross-signing.json").write_text('{"m.cross_signing.master": "AAAA"}')
    with pytest.raises(MatrixError) as bad:
        holder.load()
    assert str(bad.value) == (
        f"{tmp_path / 'cross-signing.json'}: m.cross_signing.master: "
        "expected the base64 of a 32-byte Ed25519 seed"
    )
    (tmp_path / "cross-signing.json").write_text("{not json")
    with pytest.raises(MatrixError, match="unreadable cross-signing keys"):
        holder.load()
