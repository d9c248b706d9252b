"""CoopNet's own frozen views of what the Matrix client knows: rooms, members, devices.

nio's objects (``MatrixRoom``, ``OlmDevice``...) change under the caller at every sync
and tie every layer to nio. :class:`~coopnet.matrix.CoopNetClient` hands out these
snapshots instead: taken at one moment, never updated, safe to keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from coopnet.ids import RoomID, UserID


class DeviceTrust(Enum):
    """What this device decided about another one: room keys go to trusted ones only."""

    TRUSTED = "trusted"
    EXCLUDED = "excluded"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Device:
    user_id: UserID
    device_id: str
    ed25519: str
    display_name: str
    trust: DeviceTrust


@dataclass(frozen=True)
class SenderDevice:
    """The device that sent a timeline event and the device policy's decision on it.

    For a decrypted event the device is the one whose keys the event's Megolm session
    proves: its Curve25519 key set up the session, its Ed25519 key signed it.
    ``device_id`` is None when no device can be named (the event was not encrypted, or
    no known device of the sender holds those keys); such an event is never trusted.
    ``reason`` says why an event is not trusted (empty when it is).
    """

    device_id: str | None
    ed25519: str | None
    trusted: bool
    reason: str = ""

    @property
    def from_backup(self) -> bool:
        """Untrusted only because the room key came from the key backup."""
        return self.reason == FROM_BACKUP


NOT_ENCRYPTED = "not encrypted"
UNKNOWN_DEVICE = "unknown device"
KEYS_MISMATCH = "the device's keys do not match the session's"
NOT_TRUSTED = "not trusted by the device policy"
FROM_BACKUP = (
    "its room key came from the server-side key backup, which does not authenticate the sender"
)

UNKNOWN_SENDER = SenderDevice(None, None, False, UNKNOWN_DEVICE)
"""The sending device of an event that was not (or not yet) decrypted."""


@dataclass(frozen=True)
class PowerLevels:
    """A room's ``m.room.power_levels`` as far as CoopNet reads it."""

    users: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    users_default: int = 0
    events_default: int = 0
    events: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def level_of(self, user_id: str) -> int:
        """The listed level (room version 12 creators are not listed: their power is
        implicit and unlimited)."""
        return self.users.get(user_id, self.users_default)

    def can_send_message(self, user_id: str, event_type: str = "m.room.message") -> bool:
        return self.level_of(user_id) >= self.events.get(event_type, self.events_default)


@dataclass(frozen=True)
class Room:
    """A room this account is in (or invited to), as the last sync left it."""

    room_id: RoomID
    name: str | None  # a consultation room's name is its neutral case reference
    topic: str | None
    encrypted: bool
    joined: frozenset[UserID]
    invited: frozenset[UserID]
    join_rule: str | None = None
    guest_access: str | None = None
    history_visibility: str | None = None
    power_levels: PowerLevels = PowerLevels()
    room_type: str | None = None  # from its creation content (a network room's says so)
    creator: str | None = None

    @property
    def members(self) -> frozenset[UserID]:
        """Joined and invited members."""
        return self.joined | self.invited

    @property
    def servers(self) -> frozenset[str]:
        return frozenset(u.split(":", 1)[1] for u in self.members if ":" in u)


def power_levels_of(nio_levels: Any) -> PowerLevels:
    """A snapshot of nio's ``PowerLevels``."""
    defaults = nio_levels.defaults
    return PowerLevels(
        users=MappingProxyType(dict(nio_levels.users)),
        users_default=int(defaults.users_default),
        events_default=int(defaults.events_default),
        events=MappingProxyType(dict(nio_levels.events)),
    )


def room_of(nio_room: Any) -> Room:
    """A snapshot of nio's ``MatrixRoom`` (or ``MatrixInvitedRoom``)."""
    invited = frozenset(UserID(u) for u in nio_room.invited_users)
    return Room(
        room_id=RoomID(nio_room.room_id),
        name=nio_room.name,
        topic=nio_room.topic,
        encrypted=bool(nio_room.encrypted),
        joined=frozenset(UserID(u) for u in nio_room.users) - invited,
        invited=invited,
        join_rule=nio_room.join_rule,
        guest_access=nio_room.guest_access,
        history_visibility=nio_room.history_visibility,
        power_levels=power_levels_of(nio_room.power_levels),
        room_type=getattr(nio_room, "room_type", None) or None,
        creator=getattr(nio_room, "creator", None) or None,
    )


def device_of(nio_device: Any) -> Device:
    """A snapshot of nio's ``OlmDevice`` with the decision this device's store holds."""
    trust = (
        DeviceTrust.TRUSTED
        if nio_device.verified
        else DeviceTrust.EXCLUDED
        if nio_device.blacklisted
        else DeviceTrust.UNDECIDED
    )
    return Device(
        user_id=UserID(nio_device.user_id),
        device_id=str(nio_device.id),
        ed25519=str(nio_device.ed25519),
        display_name=nio_device.display_name or "",
        trust=trust,
    )
