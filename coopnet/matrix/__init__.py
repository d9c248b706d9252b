"""The only package that talks to homeservers (matrix-nio for clients, aiohttp for admin)."""

from coopnet.matrix.client import CoopNetClient, Invitation, ReceivedEvent
from coopnet.matrix.devices import (
    Decision,
    DeviceInfo,
    DevicePolicy,
    DirectoryDevices,
    EnrolledDevices,
)

__all__ = [
    "CoopNetClient",
    "Decision",
    "DeviceInfo",
    "DevicePolicy",
    "DirectoryDevices",
    "EnrolledDevices",
    "Invitation",
    "ReceivedEvent",
]
