"""The only package that talks to homeservers (matrix-nio for clients, aiohttp for admin)."""

from coopnet.matrix.client import CoopNetClient, Invitation, ReceivedEvent, SyncBatch
from coopnet.matrix.devices import (
    Decision,
    DeviceInfo,
    DevicePolicy,
    DirectoryDevices,
    EnrolledDevices,
)
from coopnet.matrix.probe import homeserver_answers

__all__ = [
    "CoopNetClient",
    "Decision",
    "DeviceInfo",
    "DevicePolicy",
    "DirectoryDevices",
    "EnrolledDevices",
    "Invitation",
    "ReceivedEvent",
    "SyncBatch",
    "homeserver_answers",
]
