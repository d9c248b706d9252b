"""The signed network directory: format, signature, rollback, edits (pure, no server)."""

from __future__ import annotations

import base64
import copy
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.keys import public_key_hex, public_key_raw
from coopnet.trust import (
    Authority,
    ContactPoint,
    Device,
    Directory,
    DirectoryRefusal,
    DirectoryRefused,
    Member,
    parse_directory,
    sign_directory,
    verify_bytes,
    verify_document,
)
from coopnet.trust import directory as d
from coopnet.trust.signing import accepted_of, dumps_signed
from coopnet.trust.store import load_verified, publish, read_accepted, republish


def device_key() -> str:
    raw = public_key_raw(Ed25519PrivateKey.generate())
    return base64.b64encode(raw).decode().rstrip("=")


def sample(version: int = 1) -> Directory:
    def authority(aid: str, state: str, server: str, lang: str) -> Authority:
        return Authority(
            id=aid,
            state=state,
            name=f"Central authority of {state} (illustrative)",
            server_name=server,
            areas=("extradition", "mla"),
            languages=(lang, "en"),
            contacts=(ContactPoint("extradition desk", "Mon-Fri 08:00-17:00", f"@o1:{server}"),),
            officers=(
                Member(f"@o1:{server}", "Officer 1", (Device("DEV1", device_key()),)),
                Member(f"@o2:{server}", "Officer 2", (Device("DEV2", device_key()),)),
            ),
            bot=Member(f"@bot:{server}", "Bot", (Device("BOT", device_key()),)),
        )

    return Directory(
        network="test-net",
        version=version,
        issued_at="2026-01-01T00:00:00+00:00",
        authorities=(
            authority("ch", "Switzerland", "127.0.0.11", "fr"),
            authority("cn", "China", "127.0.0.12", "zh"),
        ),
    )


@pytest.fixture(scope="module")
def steward() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def directory() -> Directory:
    return sample()


def refusal(call) -> DirectoryRefused:
    with pytest.raises(DirectoryRefused) as info:
        call()
    return info.value


# ---------------------------------------------------------------- signature
def test_signed_directory_verifies_and_round_trips(steward, directory):
    data = dumps_signed(sign_directory(directory, steward))
    assert verify_bytes(data, public_key_hex(steward)) == directory
    assert parse_directory(directory.to_json()) == directory


def test_one_changed_value_is_refused_as_bad_signature(steward, directory):
    data = dumps_signed(sign_directory(directory, steward)).decode()
    tampered = data.replace('"127.0.0.12"', '"127.0.0.19"', 1)
    assert tampered != data
    err = refusal(lambda: verify_bytes(tampered, public_key_hex(steward)))
    assert err.reason is DirectoryRefusal.BAD_SIGNATURE
    assert "does not match" in str(err)


def test_unsigned_directory_is_refused(steward, directory):
    document = sign_directory(directory, steward)
    for signature in (None, {}):
        unsigned = {**document, "signature": signature}
        err = refusal(lambda u=unsigned: verify_document(u, public_key_hex(steward)))
        assert err.reason is DirectoryRefusal.UNSIGNED
    bare = {"directory": document["directory"]}
    assert refusal(lambda: verify_document(bare, public_key_hex(steward))).reason is (
        DirectoryRefusal.UNSIGNED
    )


def test_directory_signed_by_another_key_is_refused(steward, directory):
    intruder = Ed25519PrivateKey.generate()
    document = sign_directory(directory, intruder)
    err = refusal(lambda: verify_document(document, public_key_hex(steward)))
    assert err.reason is DirectoryRefusal.WRONG_KEY and "not by the steward's key" in str(err)
    # Claiming the steward's public key does not help: the signature does not match.
    document["signature"]["public_key"] = public_key_hex(steward)
    document["signature"]["key_id"] = sign_directory(directory, steward)["signature"]["key_id"]
    err = refusal(lambda: verify_document(document, public_key_hex(steward)))
    assert err.reason is DirectoryRefusal.BAD_SIGNATURE


def test_not_json_is_refused_as_malformed(steward):
    err = refusal(lambda: verify_bytes(b"{not json", public_key_hex(steward)))
    assert err.reason is DirectoryRefusal.MALFORMED


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_any_changed_byte_is_refused_or_changes_nothing(steward, directory, position, byte):
    data = bytearray(dumps_signed(sign_directory(directory, steward)))
    position %= len(data)
    if data[position] == byte:
        byte = (byte + 1) % 256
    data[position] = byte
    try:
        accepted = verify_bytes(bytes(data), public_key_hex(steward))
    except DirectoryRefused:
        return
    # Only insignificant bytes (whitespace, unused base64 bits) may change unnoticed.
    assert accepted == directory


# ---------------------------------------------------------------- rollback
def test_rollback_and_fork_are_refused(steward):
    v1, v2 = sample(1), sample(2)
    key = public_key_hex(steward)
    accepted = accepted_of(v2)
    err = refusal(lambda: verify_document(sign_directory(v1, steward), key, accepted))
    assert err.reason is DirectoryRefusal.ROLLBACK and "older than version 2" in str(err)
    other_v2 = replace(v2, issued_at="2026-02-02T00:00:00+00:00")
    err = refusal(lambda: verify_document(sign_directory(other_v2, steward), key, accepted))
    assert err.reason is DirectoryRefusal.FORK
    assert verify_document(sign_directory(v2, steward), key, accepted) == v2
    assert verify_document(sign_directory(sample(3), steward), key, accepted).version == 3
    foreign = replace(sample(3), network="other-net")
    err = refusal(lambda: verify_document(sign_directory(foreign, steward), key, accepted))
    assert err.reason is DirectoryRefusal.WRONG_NETWORK


def test_accepted_version_is_persisted_and_rollback_refused(tmp_path: Path, steward):
    key = public_key_hex(steward)
    path, state = tmp_path / "directory.json", tmp_path / "state" / "accepted.json"
    v1 = sample(1)
    publish(v1, steward, path)
    assert load_verified(path, key, state) == v1
    assert read_accepted(state) == accepted_of(v1)
    old = path.read_bytes()
    v2 = republish(d.without_authority(v1, "cn"), steward, path)
    assert v2.version == 2
    assert load_verified(path, key, state).server_names() == ["127.0.0.11"]
    assert read_accepted(state).version == 2
    path.write_bytes(old)  # an attacker (or a stale mirror) serves version 1 again
    err = refusal(lambda: load_verified(path, key, state))
    assert err.reason is DirectoryRefusal.ROLLBACK
    assert os.stat(state).st_mode & 0o077 == 0


# ---------------------------------------------------------------- malformed entries
def _broken(mutate) -> DirectoryRefused:
    data = copy.deepcopy(sample().to_json())
    mutate(data)
    return refusal(lambda: parse_directory(data))


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda j: j.pop("version"), "directory.version: missing"),
        (lambda j: j.update(version=0), "directory.version"),
        (lambda j: j.update(version=True), "directory.version"),
        (lambda j: j.update(issued_at="yesterday"), "directory.issued_at"),
        (lambda j: j.update(format="other/1"), "directory.format"),
        (lambda j: j["authorities"][0].update(areas=["tax"]), "authorities[0].areas[0]"),
        (lambda j: j["authorities"][0].update(areas=[]), "authorities[0].areas"),
        (lambda j: j["authorities"][1].update(languages=["Chinese"]), "authorities[1].languages"),
        (lambda j: j["authorities"][0].update(id="CH!"), "authorities[0].id"),
        (lambda j: j["authorities"][0].update(server_name="a b"), "authorities[0].server_name"),
        (
            lambda j: j["authorities"][0]["officers"][0].update(user_id="@o1:127.0.0.12"),
            "not on the authority's homeserver",
        ),
        (
            lambda j: j["authorities"][0]["officers"][1].update(user_id="officer"),
            "authorities[0].officers[1].user_id",
        ),
        (
            lambda j: j["authorities"][0]["officers"][0]["devices"][0].update(ed25519="xyz"),
            "authorities[0].officers[0].devices[0].ed25519",
        ),
        (lambda j: j["authorities"][1].update(id="ch"), "authority 'ch' is listed twice"),
        (
            lambda j: j["authorities"].append(
                {**j["authorities"][0], "id": "xx", "officers": [], "bot": None}
            ),
            "server '127.0.0.11' is listed twice",
        ),
        (lambda j: j["authorities"][0]["contacts"][0].pop("hours"), "contacts[0]"),
        (lambda j: j["authorities"][0].update(extra=1), "authorities[0].extra: unknown field"),
        (lambda j: j.update(authorities={}), "directory.authorities"),
    ],
)
def test_malformed_entries_are_refused_with_their_place(mutate, where):
    err = _broken(mutate)
    assert err.reason is DirectoryRefusal.MALFORMED
    assert where in str(err)


def test_a_device_key_listed_twice_is_refused():
    def mutate(j):
        key = j["authorities"][0]["officers"][0]["devices"][0]["ed25519"]
        j["authorities"][1]["officers"][0]["devices"][0]["ed25519"] = key

    assert "device key" in str(_broken(mutate))


def test_signed_but_malformed_directory_is_refused(steward):
    bad = replace(sample(), authorities=sample().authorities * 2)
    err = refusal(lambda: verify_document(sign_directory(bad, steward), public_key_hex(steward)))
    assert err.reason is DirectoryRefusal.MALFORMED


# ---------------------------------------------------------------- edits
def test_edits_produce_valid_directories():
    base = sample()
    mx = Authority("mx", "Mexico", "FGR (illustrative)", "127.0.0.13", languages=("es",))
    grown = d.with_authority(base, mx)
    assert grown.server_names() == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
    grown = d.with_member(grown, "mx", Member("@o1:127.0.0.13"), "officer")
    grown = d.with_member(grown, "mx", Member("@bot:127.0.0.13"), "bot")
    key = device_key()
    grown = d.with_device(grown, "@o1:127.0.0.13", Device("NEW", key))
    assert grown.device_key("@o1:127.0.0.13", "NEW") == key
    shrunk = d.without_device(grown, "@o1:127.0.0.13", "NEW")
    assert shrunk.device_key("@o1:127.0.0.13", "NEW") is None
    shrunk = d.without_member(shrunk, "@bot:127.0.0.13")
    assert shrunk.authority("mx").bot is None
    assert d.without_authority(shrunk, "mx").server_names() == base.server_names()


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: d.with_authority(b, b.authorities[0]),
        lambda b: d.without_authority(b, "zz"),
        lambda b: d.with_member(b, "ch", Member("@o9:127.0.0.12"), "officer"),
        lambda b: d.with_member(b, "ch", Member("@o1:127.0.0.11"), "officer"),
        lambda b: d.with_member(b, "ch", Member("@bot2:127.0.0.11"), "bot"),
        lambda b: d.with_device(b, "@nobody:127.0.0.11", Device("X", device_key())),
        lambda b: d.with_device(b, "@o1:127.0.0.11", Device("DEV1", device_key())),
        lambda b: d.with_device(b, "@o1:127.0.0.11", Device("X", "not-a-key")),
        lambda b: d.without_device(b, "@o1:127.0.0.11", "NOPE"),
    ],
)
def test_bad_edits_are_refused(edit):
    with pytest.raises(DirectoryRefused):
        edit(sample())


def test_signed_file_is_readable_json(tmp_path: Path, steward):
    path = tmp_path / "directory.json"
    publish(sample(), steward, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["directory"]["authorities"][1]["state"] == "China"
    assert data["signature"]["algorithm"] == "ed25519"
