"""Deciding each device before room keys are shared.

nio refuses to send into an encrypted room while any member device is undecided
(``OlmUnverifiedDeviceError``). CoopNet never ignores that: a :class:`DevicePolicy`
decides every device to be trusted (gets room keys) or excluded (blacklisted, gets
none and is reported). The signed directory of the trust model plugs in here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Decision(Enum):
    TRUST = "trust"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class DeviceInfo:
    user_id: str
    device_id: str
    ed25519: str
    display_name: str


class DevicePolicy(Protocol):
    def decide(self, device: DeviceInfo) -> Decision: ...


@dataclass(frozen=True)
class EnrolledDevices:
    """Trust exactly the devices enrolled for the network: same user, device id and key.

    ``enrolled`` maps user id -> device id -> Ed25519 fingerprint key. A device whose key
    differs from the enrolled one (a replaced or impersonated device) is excluded.
    """

    enrolled: Mapping[str, Mapping[str, str]]

    def decide(self, device: DeviceInfo) -> Decision:
        expected = self.enrolled.get(device.user_id, {}).get(device.device_id)
        if expected is not None and expected == device.ed25519:
            return Decision.TRUST
        return Decision.EXCLUDE
