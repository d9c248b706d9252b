"""Remembered interactive (SAS) verifications, and enrolment requests to the steward.

When an officer verifies a device that the directory does not list (a new laptop, say) by
comparing emoji, the result is kept in a small file owned by that officer's store
(:class:`VerificationStore`); the device policy trusts it from then on. The officer can
submit the result to the steward as an *enrolment request*: the verification record signed
with the officer's own listed device key, which the steward checks against the directory
(:func:`check_enrolment_request`) before adding the device.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.canonical import canonical_bytes
from coopnet.datafile import FileRecord, ListOf, Nested, Text, describe, load_json, spec
from coopnet.keys import write_private
from coopnet.protocol.validation import BAD_FORMAT, ParseError, Problem, join
from coopnet.trust.directory import Directory, is_ed25519_key
from coopnet.trust.errors import DirectoryRefusal, DirectoryRefused

REQUEST_TYPE = "coopnet.enrolment_request/1"


_TEXT = Text(255)


@dataclass(frozen=True)
class VerificationRecord(FileRecord):
    """``verified_by`` (on ``verifier_device``) compared emoji with ``device_id`` of ``user_id``."""

    user_id: str = spec(_TEXT)
    device_id: str = spec(_TEXT)
    ed25519: str = spec(Text(64))
    verified_by: str = spec(_TEXT)
    verifier_device: str = spec(_TEXT)
    verified_at: str = spec(_TEXT)
    method: str = spec(_TEXT, default="sas-emoji", required=True)

    def check(self, path: str) -> list[Problem]:
        if is_ed25519_key(self.ed25519):
            return []
        return [Problem(join(path, "ed25519"), BAD_FORMAT, "not a base64 Ed25519 key")]


@dataclass(frozen=True)
class VerificationFile(FileRecord):
    """The file :class:`VerificationStore` keeps."""

    verifications: tuple[VerificationRecord, ...] = spec(
        ListOf(Nested(VerificationRecord), 100_000)
    )


class VerificationStore:
    """The verifications one device made, persisted as JSON (0600) next to its nio store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: dict[tuple[str, str], VerificationRecord] = {}
        self._mtime: float | None = None
        self.reload()

    def reload(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._records, self._mtime = {}, None
            return
        if stat.st_mtime == self._mtime:
            return
        records = load_json(self.path, VerificationFile).verifications
        self._records = {(r.user_id, r.device_id): r for r in records}
        self._mtime = stat.st_mtime

    def get(self, user_id: str, device_id: str) -> VerificationRecord | None:
        return self._records.get((user_id, device_id))

    def all(self) -> list[VerificationRecord]:
        return list(self._records.values())

    def remember(self, record: VerificationRecord) -> None:
        self._records[(record.user_id, record.device_id)] = record
        data = {"verifications": [asdict(r) for r in self._records.values()]}
        write_private(self.path, (json.dumps(data, indent=2) + "\n").encode())
        self._mtime = self.path.stat().st_mtime


def trusted_by_verification(record: VerificationRecord | None, ed25519: str) -> bool:
    return record is not None and record.ed25519 == ed25519


# ---------------------------------------------------------------- enrolment requests
def enrolment_payload(record: VerificationRecord) -> dict[str, Any]:
    return {"type": REQUEST_TYPE, "verification": asdict(record)}


def enrolment_request(record: VerificationRecord, signature_b64: str) -> dict[str, Any]:
    """The request file: the payload and the verifier device's Ed25519 signature over it."""
    return {**enrolment_payload(record), "signature": signature_b64}


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def check_enrolment_request(request: Any, directory: Directory) -> VerificationRecord:
    """Check a request against the directory: the verifier's device is listed and signed it,
    and the device belongs to a user the directory lists. Returns the verification.
    """
    if not isinstance(request, dict) or request.get("type") != REQUEST_TYPE:
        raise DirectoryRefused(
            DirectoryRefusal.MALFORMED, f"not an enrolment request ({REQUEST_TYPE})"
        )
    record = VerificationRecord.from_dict(request.get("verification"), "verification")
    if isinstance(record, ParseError):
        raise DirectoryRefused(DirectoryRefusal.MALFORMED, describe(record))
    signature = request.get("signature")
    if not isinstance(signature, str) or not signature:
        raise DirectoryRefused(DirectoryRefusal.UNSIGNED, "the enrolment request is not signed")
    verifier_key = directory.device_key(record.verified_by, record.verifier_device)
    if verifier_key is None:
        raise DirectoryRefused(
            DirectoryRefusal.WRONG_KEY,
            f"the verifier {record.verified_by} (device {record.verifier_device}) is not a "
            "listed device of the directory",
        )
    if directory.member(record.user_id) is None:
        raise DirectoryRefused(
            DirectoryRefusal.MALFORMED, f"{record.user_id} is not a member listed in the directory"
        )
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64decode(verifier_key))
        key.verify(_b64decode(signature), canonical_bytes(enrolment_payload(record)))
    except (InvalidSignature, binascii.Error, ValueError):
        raise DirectoryRefused(
            DirectoryRefusal.BAD_SIGNATURE, "the enrolment request's signature does not match"
        ) from None
    return record
