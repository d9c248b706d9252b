"""The pure parts of coopnet.matrix: registration MAC, room shape, device policy."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from coopnet.consultation.room import (
    consultation_initial_state,
    consultation_power_levels,
    server_acl,
)
from coopnet.errors import BadFileError
from coopnet.matrix.admin import registration_mac
from coopnet.matrix.devices import Decision, DeviceInfo, EnrolledDevices
from coopnet.matrix.session import StoredSession


def test_registration_mac_matches_synapse_format():
    expected = hmac.new(b"secret", b"nonce\x00alice\x00pw\x00notadmin", hashlib.sha1).hexdigest()
    assert registration_mac("secret", "nonce", "alice", "pw", admin=False) == expected
    assert registration_mac("secret", "nonce", "alice", "pw", admin=True) != expected


def test_room_initial_state_follows_the_security_model():
    state = {
        e["type"]: e["content"]
        for e in consultation_initial_state(["127.0.0.11:8448", "127.0.0.12"])
    }
    assert state["m.room.encryption"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert state["m.room.join_rules"] == {"join_rule": "invite"}
    assert state["m.room.guest_access"] == {"guest_access": "forbidden"}
    assert state["m.room.history_visibility"]["history_visibility"] in ("invited", "joined")
    assert state["m.room.server_acl"] == {
        "allow": ["127.0.0.11", "127.0.0.12"],
        "deny": [],
        "allow_ip_literals": True,
    }


def test_power_levels_let_only_listed_members_act():
    levels = consultation_power_levels(["@a:x", "@b:y"])
    assert levels["users"] == {"@a:x": 50, "@b:y": 50}
    assert levels["users_default"] < levels["events_default"] <= 50
    assert levels["state_default"] > 50


def test_server_acl_deduplicates_and_strips_ports():
    assert server_acl(["a.example:8448", "a.example"])["allow"] == ["a.example"]


def test_enrolled_devices_trusts_exact_key_only():
    policy = EnrolledDevices({"@a:x": {"DEV": "KEY"}})
    assert policy.decide(DeviceInfo("@a:x", "DEV", "KEY", "")) is Decision.TRUST
    assert policy.decide(DeviceInfo("@a:x", "DEV", "OTHER", "")) is Decision.EXCLUDE
    assert policy.decide(DeviceInfo("@a:x", "NEW", "KEY", "")) is Decision.EXCLUDE
    assert policy.decide(DeviceInfo("@b:x", "DEV", "KEY", "")) is Decision.EXCLUDE


def test_stored_session_round_trip_and_private_file(tmp_path: Path):
    session = StoredSession("http://h", "@a:x", "DEV", "token")
    session.save(tmp_path / "store")
    assert StoredSession.load(tmp_path / "store") == session
    assert (tmp_path / "store" / "session.json").stat().st_mode & 0o077 == 0
    assert (tmp_path / "store").stat().st_mode & 0o077 == 0
    assert StoredSession.load(tmp_path / "elsewhere") is None


def test_corrupt_stored_session_is_a_clear_error(tmp_path: Path):
    (tmp_path / "session.json").write_text("{}")
    with pytest.raises(BadFileError, match=r"session.json: homeserver: missing .*log in again"):
        StoredSession.load(tmp_path)


def test_private_files_makes_a_store_owner_only(tmp_path: Path):
    from coopnet.keys import private_files

    database = tmp_path / "keys.db"
    database.write_text("x")
    database.chmod(0o644)
    private_files(tmp_path)
    assert database.stat().st_mode & 0o077 == 0
