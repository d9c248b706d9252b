"""Trust: the signed network directory, and what follows from it.

The directory (:mod:`.directory`) lists who belongs to the network; the steward signs it
(:mod:`.signing`); every program verifies it and refuses a bad or missing signature, a
rollback or a malformed entry (:class:`DirectoryRefused` with a :class:`DirectoryRefusal` reason).
Homeserver allowlists, room server ACLs and the device policy are derived from it.
Directory verification is pure: no nio, no network.
"""

from __future__ import annotations

from coopnet.trust.directory import (
    AREAS,
    Authority,
    ContactPoint,
    Device,
    Directory,
    Member,
    ReceiptKey,
    parse_directory,
)
from coopnet.trust.errors import DirectoryRefusal, DirectoryRefused, TrustError
from coopnet.trust.signing import Accepted, sign_directory, verify_bytes, verify_document
from coopnet.trust.store import (
    load_verified,
    publish,
    read_steward_key,
    read_steward_key_file,
    republish,
)
from coopnet.trust.verifications import VerificationRecord, VerificationStore

__all__ = [
    "AREAS",
    "Accepted",
    "Authority",
    "ContactPoint",
    "Device",
    "Directory",
    "DirectoryRefused",
    "Member",
    "ReceiptKey",
    "DirectoryRefusal",
    "TrustError",
    "VerificationRecord",
    "VerificationStore",
    "load_verified",
    "parse_directory",
    "publish",
    "read_steward_key",
    "read_steward_key_file",
    "republish",
    "sign_directory",
    "verify_bytes",
    "verify_document",
]
