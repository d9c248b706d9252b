"""The pure cryptography of secret storage, the recovery key and the key backup, checked
against the test vectors of matrix-rust-sdk and against vodozemac's own implementation
of the backup scheme (libolm's PkEncryption, as Element's crypto uses it)."""

from __future__ import annotations

import base64
import json

import pytest
import vodozemac
from nio.crypto import OutboundGroupSession

from coopnet.errors import RecoveryError
from coopnet.matrix.backup_crypto import MEGOLM, BackupKey, encrypt_session_data
from coopnet.matrix.key_backup import backed_up_session
from coopnet.matrix.recovery_key import decode_recovery_key, encode_recovery_key
from coopnet.matrix.secret_storage import (
    KeyDescription,
    SecretStorageKey,
    default_key_id,
    key_from_recovery_key,
)

# matrix-rust-sdk, crates/matrix-sdk-crypto/src/secret_storage.rs, tests base58_parsing
# and from_account_data_and_base58.
RUST_KEY_TEXT = "EsT           pRvZTnjck8    YrhRAtw XLS84Nr2r9S9LGAWDaExVAPBvLRK   "
RUST_KEY = bytes(
    [159, 189, 70, 187, 52, 81, 113, 198, 246, 2, 44, 154, 37, 213, 104, 27, 165, 78, 236,
     106, 108, 73, 83, 243, 173, 192, 185, 110, 157, 145, 173, 163]
)  # fmt: skip
RUST_RECOVERY_KEY = "EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd"
RUST_KEY_ID = "bmur2d9ypPUH1msSwCxQOJkuKRmJI55e"
RUST_DESCRIPTION = {
    "algorithm": "m.secret_storage.v1.aes-hmac-sha2",
    "iv": "xv5b6/p3ExEw++wTyfSHEg==",
    "mac": "ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8=",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


# ---------------------------------------------------------------- recovery key
def test_recovery_key_decodes_the_reference_vector_and_encodes_it_back() -> None:
    assert decode_recovery_key(RUST_KEY_TEXT) == RUST_KEY
    text = encode_recovery_key(RUST_KEY)
    assert text == "EsTp RvZT njck 8Yrh RAtw XLS8 4Nr2 r9S9 LGAW DaEx VAPB vLRK"
    assert all(len(group) == 4 for group in text.split())


def test_recovery_key_round_trip_of_random_keys() -> None:
    for _ in range(50):
        key = SecretStorageKey.generate()
        assert decode_recovery_key(key.recovery_key) == key.key
        assert len(key.recovery_key.replace(" ", "")) == 48


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "parity"),
        ("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "8B 01"),
        ("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9", "not 35"),
        ("AATpRvZTnjck8YrhRAtwXLS84Nr0OIl", "not a base58 character"),
        ("   ", "empty"),
    ],
)
def test_a_bad_recovery_key_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(RecoveryError, match=reason):
        decode_recovery_key(text)


def test_one_mistyped_character_fails_the_parity_check() -> None:
    text = encode_recovery_key(RUST_KEY).replace(" ", "")
    typo = text[:10] + ("a" if text[10] != "a" else "b") + text[11:]
    with pytest.raises(RecoveryError):
        decode_recovery_key(typo)


# ---------------------------------------------------------------- secret storage
def test_the_reference_key_description_accepts_its_recovery_key() -> None:
    description = KeyDescription.from_json(RUST_KEY_ID, RUST_DESCRIPTION)
    key = key_from_recovery_key(RUST_RECOVERY_KEY, description)
    assert key.key_id == RUST_KEY_ID


def test_a_wrong_recovery_key_is_refused_by_the_check_mac() -> None:
    description = KeyDescription.from_json(RUST_KEY_ID, RUST_DESCRIPTION)
    with pytest.raises(RecoveryError, match="does not open"):
        key_from_recovery_key(encode_recovery_key(RUST_KEY), description)


def test_a_new_key_description_checks_its_key_and_clears_iv_bit_63() -> None:
    key = SecretStorageKey.generate()
    description = KeyDescription.from_json(key.key_id, key.description().to_json())
    assert key.matches(description)
    assert description.iv is not None and description.iv[8] & 0x80 == 0
    assert not SecretStorageKey(key.key_id, bytes(32)).matches(description)
    assert not SecretStorageKey("other", key.key).matches(description)


def test_secret_round_trip_and_the_name_binds_the_keys() -> None:
    key = SecretStorageKey.generate()
    content = key.secret_content("m.megolm_backup.v1", "c2VjcmV0")
    assert set(content["encrypted"]) == {key.key_id}
    assert key.read_secret("m.megolm_backup.v1", content) == "c2VjcmV0"
    # The secret's name is the HKDF info: under another name the MAC fails.
    with pytest.raises(RecoveryError, match="MAC"):
        key.read_secret("m.cross_signing.master", content)


def test_an_altered_secret_fails_its_mac() -> None:
    key = SecretStorageKey.generate()
    content = key.secret_content("m.cross_signing.master", "a" * 43)
    entry = content["encrypted"][key.key_id]
    raw = bytearray(base64.b64decode(entry["ciphertext"] + "=="))
    raw[0] ^= 1
    entry["ciphertext"] = _b64(bytes(raw))
    with pytest.raises(RecoveryError, match="MAC does not match"):
        key.read_secret("m.cross_signing.master", content)


def test_padded_base64_is_read_as_the_spec_asks() -> None:
    key = SecretStorageKey.generate()
    content = key.secret_content("x", "value")
    entry = content["encrypted"][key.key_id]
    for field in ("iv", "ciphertext", "mac"):
        entry[field] += "=" * (-len(entry[field]) % 4)
    assert key.read_secret("x", content) == "value"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("text", "expected an object"),
        ({"algorithm": "m.secret_storage.custom"}, "is not m.secret_storage.v1"),
        ({"algorithm": "m.secret_storage.v1.aes-hmac-sha2", "iv": "AAAA"}, "mac"),
        (
            {"algorithm": "m.secret_storage.v1.aes-hmac-sha2", "iv": _b64(bytes(14)),
             "mac": _b64(bytes(32))},
            "14 bytes, not 16",
        ),
        (
            {"algorithm": "m.secret_storage.v1.aes-hmac-sha2", "iv": _b64(bytes(16)),
             "mac": "!!not base64!!"},
            "not base64",
        ),
        ({"algorithm": "m.secret_storage.v1.aes-hmac-sha2", "name": 5}, "name"),
    ],
)  # fmt: skip
def test_a_malformed_key_description_is_refused(content: object, reason: str) -> None:
    with pytest.raises(RecoveryError, match=reason):
        KeyDescription.from_json("id", content)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ([], "'encrypted' map"),
        ({"encrypted": {}}, "not encrypted with the key"),
        ({"encrypted": {"K": "x"}}, "expected an object"),
        ({"encrypted": {"K": {"iv": _b64(bytes(16)), "mac": _b64(bytes(3))}}}, "3 bytes"),
    ],
)
def test_a_malformed_secret_event_is_refused(content: object, reason: str) -> None:
    with pytest.raises(RecoveryError, match=reason):
        SecretStorageKey("K", bytes(32)).read_secret("m.megolm_backup.v1", content)


def test_a_malformed_default_key_event_is_refused() -> None:
    assert default_key_id({"key": "abc"}) == "abc"
    for bad in ({}, {"key": 3}, {"key": ""}, "abc"):
        with pytest.raises(RecoveryError, match="default_key"):
            default_key_id(bad)


# ---------------------------------------------------------------- key backup
def _session_data() -> dict[str, object]:
    outbound = OutboundGroupSession()
    return {
        "algorithm": MEGOLM,
        "forwarding_curve25519_key_chain": [],
        "sender_key": "curve" * 8,
        "sender_claimed_keys": {"ed25519": "ed" * 20},
        "session_key": outbound.session_key,
    }


def test_backup_session_data_round_trip() -> None:
    key = BackupKey.generate()
    data = _session_data()
    session_data = encrypt_session_data(key.public_key_b64, data)
    assert set(session_data) == {"ephemeral", "ciphertext", "mac"}
    assert len(base64.b64decode(session_data["mac"] + "==")) == 8
    assert key.decrypt(session_data, "here") == data
    assert BackupKey.from_secret(key.secret).public_key_b64 == key.public_key_b64


def test_vodozemac_decrypts_what_coopnet_encrypts_and_the_reverse() -> None:
    key = BackupKey.generate()
    decryption = vodozemac.PkDecryption.from_key(
        vodozemac.Curve25519SecretKey.from_base64(key.secret)
    )
    assert decryption.public_key.to_base64() == key.public_key_b64
    data = _session_data()
    ours = encrypt_session_data(key.public_key_b64, data)
    message = vodozemac.Message.from_base64(ours["ciphertext"], ours["mac"], ours["ephemeral"])
    assert json.loads(decryption.decrypt(message)) == data
    encryption = vodozemac.PkEncryption.from_key(
        vodozemac.Curve25519PublicKey.from_base64(key.public_key_b64)
    )
    theirs = encryption.encrypt(json.dumps(data).encode())
    session_data = {
        "ciphertext": _b64(theirs.ciphertext),
        "mac": _b64(theirs.mac),
        "ephemeral": _b64(theirs.ephemeral_key),
    }
    assert key.decrypt(session_data, "here") == data


def test_a_backed_up_key_with_a_bad_mac_or_ephemeral_is_refused() -> None:
    key = BackupKey.generate()
    good = encrypt_session_data(key.public_key_b64, _session_data())
    bad_mac = dict(good, mac=_b64(bytes(8)))
    with pytest.raises(RecoveryError, match="MAC does not match"):
        key.decrypt(bad_mac, "room session S")
    other = BackupKey.generate().public_key_b64
    with pytest.raises(RecoveryError, match="MAC does not match"):
        key.decrypt(dict(good, ephemeral=other), "room session S")
    # Another backup's key cannot read it either.
    with pytest.raises(RecoveryError, match="MAC does not match"):
        BackupKey.generate().decrypt(good, "room session S")


def test_an_altered_ciphertext_does_not_decrypt_to_a_room_key() -> None:
    key = BackupKey.generate()
    good = encrypt_session_data(key.public_key_b64, _session_data())
    raw = bytearray(base64.b64decode(good["ciphertext"] + "=="))
    raw[-1] ^= 0x55
    with pytest.raises(RecoveryError, match="room session S"):
        key.decrypt(dict(good, ciphertext=_b64(bytes(raw))), "room session S")
    with pytest.raises(RecoveryError, match="not AES-CBC"):
        key.decrypt(dict(good, ciphertext=_b64(bytes(raw[:-3]))), "room session S")


def test_a_backed_up_key_that_is_not_a_megolm_export_is_refused() -> None:
    key = BackupKey.generate()
    for data, reason in (
        (["not", "an", "object"], "not an object"),
        ({**_session_data(), "algorithm": "m.other"}, "algorithm"),
        ({**_session_data(), "session_key": 5}, "session_key"),
        ({**_session_data(), "sender_claimed_keys": {}}, "ed25519"),
    ):
        with pytest.raises(RecoveryError, match=reason):
            key.decrypt(encrypt_session_data(key.public_key_b64, data), "room session S")  # type: ignore[arg-type]


def test_an_exported_session_keeps_its_first_known_index() -> None:
    from nio.crypto import InboundGroupSession

    outbound = OutboundGroupSession()
    outbound.shared = True
    for _ in range(3):
        outbound.encrypt("x")
    inbound = InboundGroupSession(outbound.session_key, "ed", "curve", "!r:hs")
    assert inbound.first_known_index == 3
    data = backed_up_session(inbound)
    restored = InboundGroupSession.import_session(data["session_key"], "ed", "curve", "!r:hs")
    assert restored.id == inbound.id and restored.first_known_index == 3
