"""Snapshots of nio's rooms and devices: CoopNet's own frozen types, taken once."""

from __future__ import annotations

import dataclasses

import pytest
from nio import MatrixRoom
from nio.crypto import OlmDevice, TrustState

from coopnet.matrix import DeviceTrust
from coopnet.matrix.snapshots import device_of, room_of


def _room() -> MatrixRoom:
    room = MatrixRoom("!r:a", "@me:a")
    room.add_member("@me:a", "Me", None)
    room.add_member("@them:b", "Them", None, invited=True)
    room.name = "CH-MX-1"
    room.power_levels.users["@me:a"] = 50
    return room


def test_a_room_snapshot_separates_joined_from_invited_and_does_not_follow_changes():
    nio_room = _room()
    room = room_of(nio_room)
    assert room.joined == {"@me:a"} and room.invited == {"@them:b"}
    assert room.members == {"@me:a", "@them:b"}
    assert room.servers == {"a", "b"}
    assert room.name == "CH-MX-1" and not room.encrypted
    assert room.power_levels.level_of("@me:a") == 50
    assert room.power_levels.can_send_message("@me:a")

    nio_room.add_member("@late:c", "Late", None)
    nio_room.power_levels.users["@me:a"] = 0
    assert "@late:c" not in room.members
    assert room.power_levels.level_of("@me:a") == 50
    with pytest.raises(dataclasses.FrozenInstanceError):
        room.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        room.power_levels.users["@me:a"] = 100  # type: ignore[index]


@pytest.mark.parametrize(
    ("state", "trust"),
    [
        (TrustState.verified, DeviceTrust.TRUSTED),
        (TrustState.blacklisted, DeviceTrust.EXCLUDED),
        (TrustState.unset, DeviceTrust.UNDECIDED),
    ],
)
def test_a_device_snapshot_carries_the_stored_decision(state, trust):
    nio_device = OlmDevice(
        "@them:b", "DEV", {"ed25519": "edkey", "curve25519": "ck"}, "laptop", trust_state=state
    )
    device = device_of(nio_device)
    assert (device.user_id, device.device_id, device.ed25519, device.display_name) == (
        "@them:b",
        "DEV",
        "edkey",
        "laptop",
    )
    assert device.trust is trust
