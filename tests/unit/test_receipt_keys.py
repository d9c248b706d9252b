"""Bots' receipt keys in the signed directory: format, rotation, revocation, verification."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import key_id, public_key_hex
from coopnet.protocol import Receipt, encode
from coopnet.receipts import keys_from_directory, sign_receipt, verify_receipt
from coopnet.trust import (
    Directory,
    DirectoryRefusal,
    DirectoryRefused,
    Member,
    ReceiptKey,
    parse_directory,
    sign_directory,
    verify_bytes,
    verify_document,
)
from coopnet.trust import directory as d
from coopnet.trust.signing import dumps_signed
from tests.unit.test_trust_directory import sample

CH_BOT = "@bot:127.0.0.11"
CN_BOT = "@bot:127.0.0.12"
OLD = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
NEW = Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32)
CN_KEY = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
STEWARD = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
ROTATED_AT = "2026-06-01T00:00:00+00:00"


def listed(*keys: tuple[str, Ed25519PrivateKey]) -> Directory:
    """The sample directory with each (bot, key) listed in turn (later ones rotate)."""
    directory = sample()
    for bot, key in keys:
        directory = d.with_receipt_key(directory, bot, public_key_hex(key), ROTATED_AT)
    return directory


def receipt(key: Ed25519PrivateKey, when: str, receiver: str = CH_BOT) -> dict[str, Any]:
    parsed = Receipt.from_dict(
        {"event_id": "$e1", "content_hash": "a" * 64, "receiver": receiver, "received_at": when}
    )
    assert isinstance(parsed, Receipt), parsed
    return sign_receipt(encode(parsed), key)


def checked(directory: Directory, content: dict[str, Any]) -> Any:
    return verify_receipt(content, keys_from_directory(directory))


# ---------------------------------------------------------------- format
def test_a_listed_key_round_trips_and_is_signed_with_the_directory() -> None:
    directory = listed((CH_BOT, OLD))
    bot = directory.authority("ch").bot
    assert bot is not None
    assert bot.receipt_keys == (ReceiptKey(key_id(OLD), public_key_hex(OLD)),)
    assert bot.current_receipt_key() == bot.receipt_keys[0]
    data = dumps_signed(sign_directory(directory, STEWARD))
    assert verify_bytes(data, public_key_hex(STEWARD)) == directory
    entry = json.loads(data)["directory"]["authorities"][0]["bot"]
    assert entry["receipt_keys"] == [{"key_id": key_id(OLD), "public_key": public_key_hex(OLD)}]


def test_a_directory_without_receipt_keys_keeps_its_json() -> None:
    # Directories signed before receipt keys existed hash the same after an upgrade.
    document = sample().to_json()
    assert "receipt_keys" not in json.dumps(document)
    assert parse_directory(document).to_json() == document


def _broken(mutate: Any) -> DirectoryRefused:
    document = copy.deepcopy(listed((CH_BOT, OLD), (CN_BOT, CN_KEY)).to_json())
    mutate(document)
    with pytest.raises(DirectoryRefused) as info:
        parse_directory(document)
    assert info.value.reason is DirectoryRefusal.MALFORMED
    return info.value


def _ch_key(j: dict[str, Any]) -> dict[str, Any]:
    key: dict[str, Any] = j["authorities"][0]["bot"]["receipt_keys"][0]
    return key


@pytest.mark.parametrize(
    "mutate, where",
    [
        (
            lambda j: _ch_key(j).update(public_key="zz" * 32),
            "authorities[0].bot.receipt_keys[0].public_key: "
            f"'{'z' * 40}…' is not an Ed25519 public key",
        ),
        (
            lambda j: _ch_key(j).update(public_key=public_key_hex(OLD)[:62]),
            "authorities[0].bot.receipt_keys[0].public_key",
        ),
        (
            lambda j: _ch_key(j).update(public_key=public_key_hex(OLD).upper()),
            "authorities[0].bot.receipt_keys[0].public_key",
        ),
        (
            lambda j: _ch_key(j).update(key_id=key_id(NEW)),
            "authorities[0].bot.receipt_keys[0].key_id: "
            f"{key_id(NEW)} is not the key id of this public key",
        ),
        (
            lambda j: _ch_key(j).update(key_id="short"),
            "authorities[0].bot.receipt_keys[0].key_id",
        ),
        (lambda j: _ch_key(j).pop("key_id"), "receipt_keys[0].key_id: missing"),
        (lambda j: _ch_key(j).update(retired="last week"), "receipt_keys[0].retired"),
        (lambda j: _ch_key(j).update(colour="red"), "receipt_keys[0].colour: unknown field"),
        (
            lambda j: j["authorities"][0]["bot"]["receipt_keys"].append(
                {"key_id": key_id(NEW), "public_key": public_key_hex(NEW)}
            ),
            "authorities[0].bot.receipt_keys: only one key can be current",
        ),
        (
            lambda j: j["authorities"][0]["bot"]["receipt_keys"].append(dict(_ch_key(j))),
            "receipt key",
        ),
        (
            lambda j: j["authorities"][0]["officers"][0].update(
                receipt_keys=[{"key_id": key_id(NEW), "public_key": public_key_hex(NEW)}]
            ),
            "authorities[0].officers[0].receipt_keys: only the authority's bot signs receipts",
        ),
        (
            lambda j: j["authorities"][1]["bot"].update(
                receipt_keys=j["authorities"][0]["bot"]["receipt_keys"]
            ),
            f"receipt key {key_id(OLD)!r} is listed twice",
        ),
    ],
)
def test_malformed_receipt_keys_are_refused_with_their_place(mutate: Any, where: str) -> None:
    assert where in str(_broken(mutate))


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: d.with_receipt_key(b, "@o1:127.0.0.11", public_key_hex(NEW), ROTATED_AT),
        lambda b: d.with_receipt_key(b, "@nobody:127.0.0.11", public_key_hex(NEW), ROTATED_AT),
        lambda b: d.with_receipt_key(b, CH_BOT, "not a key", ROTATED_AT),
        lambda b: d.with_receipt_key(b, CH_BOT, public_key_hex(OLD), ROTATED_AT),  # listed
        lambda b: d.with_receipt_key(b, CN_BOT, public_key_hex(OLD), ROTATED_AT),  # ch's key
        lambda b: d.revoke_receipt_key(b, CH_BOT, key_id(NEW), ROTATED_AT),
        lambda b: d.revoke_receipt_key(
            d.revoke_receipt_key(b, CH_BOT, key_id(OLD), ROTATED_AT),
            CH_BOT,
            key_id(OLD),
            ROTATED_AT,
        ),
        lambda b: d.with_member(
            b,
            "ch",
            Member("@o9:127.0.0.11", receipt_keys=(ReceiptKey(key_id(NEW), public_key_hex(NEW)),)),
            "officer",
        ),
    ],
)
def test_bad_receipt_key_edits_are_refused(edit: Any) -> None:
    with pytest.raises(DirectoryRefused):
        edit(listed((CH_BOT, OLD)))


# ---------------------------------------------------------------- signature
def test_the_signature_covers_the_receipt_keys() -> None:
    document = sign_directory(listed((CH_BOT, OLD)), STEWARD)
    # Swap in another key with its own, consistent key id: still refused.
    forged = copy.deepcopy(document)
    forged["directory"]["authorities"][0]["bot"]["receipt_keys"][0] = {
        "key_id": key_id(NEW),
        "public_key": public_key_hex(NEW),
    }
    with pytest.raises(DirectoryRefused) as info:
        verify_document(forged, public_key_hex(STEWARD))
    assert info.value.reason is DirectoryRefusal.BAD_SIGNATURE
    # Un-retiring a key is refused too.
    rotated = sign_directory(listed((CH_BOT, OLD), (CH_BOT, NEW)), STEWARD)
    assert rotated["directory"]["authorities"][0]["bot"]["receipt_keys"][0].pop("retired")
    rotated["directory"]["authorities"][0]["bot"]["receipt_keys"].pop()
    with pytest.raises(DirectoryRefused) as info:
        verify_document(rotated, public_key_hex(STEWARD))
    assert info.value.reason is DirectoryRefusal.BAD_SIGNATURE


# ---------------------------------------------------------------- verifying receipts
def test_a_receipt_signed_by_the_listed_key_is_valid() -> None:
    check = checked(listed((CH_BOT, OLD)), receipt(OLD, "2026-05-01T10:00:00+00:00"))
    assert check.ok, check.reason
    assert "current key" in check.reason


def test_a_key_not_in_the_directory_is_not_trusted() -> None:
    check = checked(listed((CH_BOT, OLD)), receipt(NEW, "2026-05-01T10:00:00+00:00"))
    assert not check.ok and "not a trusted key" in check.reason
    assert not checked(sample(), receipt(OLD, "2026-05-01T10:00:00+00:00")).ok


def test_a_key_vouches_only_for_its_own_bot() -> None:
    directory = listed((CH_BOT, OLD), (CN_BOT, CN_KEY))
    check = checked(directory, receipt(CN_KEY, "2026-05-01T10:00:00+00:00", receiver=CH_BOT))
    assert not check.ok
    assert f"key {key_id(CN_KEY)} of {CN_BOT}, but the receipt names {CH_BOT}" in check.reason
    assert checked(directory, receipt(CN_KEY, "2026-05-01T10:00:00+00:00", CN_BOT)).ok


def test_rotation_keeps_the_old_key_for_receipts_it_signed_before() -> None:
    directory = listed((CH_BOT, OLD), (CH_BOT, NEW))
    bot = directory.authority("ch").bot
    assert bot is not None
    assert [(k.key_id, k.retired) for k in bot.receipt_keys] == [
        (key_id(OLD), ROTATED_AT),
        (key_id(NEW), None),
    ]
    # The rotated directory is signed and verified like any other.
    verified = verify_bytes(
        dumps_signed(sign_directory(directory, STEWARD)), public_key_hex(STEWARD)
    )
    before = checked(verified, receipt(OLD, "2026-05-31T23:59:59+00:00"))
    assert before.ok and "retired" in before.reason
    after = checked(verified, receipt(OLD, "2026-06-01T00:00:01+00:00"))
    assert not after.ok and f"retired on {dt.datetime(2026, 6, 1, tzinfo=dt.UTC).isoformat()}" in (
        after.reason
    )
    assert checked(verified, receipt(NEW, "2026-06-02T00:00:00+00:00")).ok


def test_a_revoked_key_vouches_for_nothing() -> None:
    directory = d.revoke_receipt_key(
        listed((CH_BOT, OLD), (CH_BOT, NEW)), CH_BOT, key_id(OLD), "2026-07-01T00:00:00+00:00"
    )
    check = checked(directory, receipt(OLD, "2026-01-01T00:00:00+00:00"))
    assert not check.ok and "revoked" in check.reason
    assert checked(directory, receipt(NEW, "2026-06-02T00:00:00+00:00")).ok
    # A revoked key stays listed: it cannot be listed again as a new current key.
    with pytest.raises(DirectoryRefused, match="already listed"):
        d.with_receipt_key(directory, CH_BOT, public_key_hex(OLD), ROTATED_AT)
