"""The only package that talks to homeservers (matrix-nio for clients, aiohttp for admin)."""

from coopnet.matrix.attachments import Fetched, Progress, UploadedFile, check_source, file_sha256
from coopnet.matrix.client import CoopNetClient, Invitation, ReceivedEvent, RoomBatch, SyncBatch
from coopnet.matrix.devices import (
    Decision,
    DeviceInfo,
    DevicePolicy,
    DirectoryDevices,
    EnrolledDevices,
    listed_master_key,
)
from coopnet.matrix.documents import (
    SentDocument,
    document_fields,
    save_document,
    send_document,
)
from coopnet.matrix.nio_logging import install as _install_nio_logging
from coopnet.matrix.probe import homeserver_answers
from coopnet.matrix.snapshots import (
    UNKNOWN_SENDER,
    Device,
    DeviceTrust,
    PowerLevels,
    Room,
    SenderDevice,
)

_install_nio_logging()

__all__ = [
    "UNKNOWN_SENDER",
    "CoopNetClient",
    "Decision",
    "Device",
    "DeviceInfo",
    "DevicePolicy",
    "DeviceTrust",
    "DirectoryDevices",
    "EnrolledDevices",
    "Fetched",
    "Invitation",
    "PowerLevels",
    "Progress",
    "ReceivedEvent",
    "Room",
    "RoomBatch",
    "SentDocument",
    "SenderDevice",
    "SyncBatch",
    "UploadedFile",
    "check_source",
    "file_sha256",
    "homeserver_answers",
    "listed_master_key",
    "document_fields",
    "save_document",
    "send_document",
]
