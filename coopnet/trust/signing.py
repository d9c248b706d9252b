"""Signing and verifying the directory with the steward's Ed25519 key (pure: no I/O).

The signed document is ``{"directory": {...}, "signature": {...}}``; the signature is
taken over the canonical JSON of ``directory``. Verification checks, in this order: the
document parses, it is signed, by the pinned steward key, the signature matches, every
entry is well formed, it belongs to this network, and it is not older than (or a
different document with the same version as) the one already accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.canonical import canonical_bytes, sha256_hex
from coopnet.datafile import FileRecord, Integer, Text, spec
from coopnet.errors import Ed25519KeyError
from coopnet.keys import key_id, public_key_from_hex, public_key_hex, verify_signature
from coopnet.trust.directory import Directory, parse_directory
from coopnet.trust.errors import DirectoryRefusal, DirectoryRefused

ALGORITHM = "ed25519"


@dataclass(frozen=True)
class Accepted(FileRecord):
    """What a program remembers of the last directory it accepted (to refuse rollbacks)."""

    network: str = spec(Text(255))
    version: int = spec(Integer(1))
    # of the canonical JSON of the directory
    sha256: str = spec(Text(64, pattern="[0-9a-f]{64}", what="a SHA-256 (64 hex characters)"))

    def to_json(self) -> dict[str, Any]:
        return {"network": self.network, "version": self.version, "sha256": self.sha256}


def directory_hash(directory: Directory) -> str:
    return sha256_hex(canonical_bytes(directory.to_json()))


def accepted_of(directory: Directory) -> Accepted:
    return Accepted(directory.network, directory.version, directory_hash(directory))


def sign_directory(directory: Directory, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document for ``directory``."""
    payload = directory.to_json()
    signature = key.sign(canonical_bytes(payload))
    return {
        "directory": payload,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(key),
            "public_key": public_key_hex(key),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def dumps_signed(document: dict[str, Any]) -> bytes:
    """The file form of a signed document: readable, stable JSON."""
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def decode_document(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryRefused(DirectoryRefusal.MALFORMED, f"not valid JSON ({exc})") from None


def _signature_bytes(signature: dict[str, Any]) -> bytes:
    value = signature.get("value")
    if not isinstance(value, str):
        raise DirectoryRefused(DirectoryRefusal.UNSIGNED, "the signature has no value")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DirectoryRefused(
            DirectoryRefusal.BAD_SIGNATURE, "the signature is not base64"
        ) from None


def verify_document(document: Any, steward_key: str, accepted: Accepted | None = None) -> Directory:
    """Verify a decoded signed document against the steward's public key (64 hex characters).

    ``accepted`` is the last directory this program accepted; None the first time.
    Returns the directory, or raises :class:`DirectoryRefused` naming the failed check.
    """
    if not isinstance(document, dict) or "directory" not in document:
        raise DirectoryRefused(
            DirectoryRefusal.MALFORMED, "expected an object with 'directory' and 'signature'"
        )
    signature = document.get("signature")
    if not signature:
        raise DirectoryRefused(DirectoryRefusal.UNSIGNED, "the directory carries no signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise DirectoryRefused(
            DirectoryRefusal.BAD_SIGNATURE, "the signature is not an ed25519 signature"
        )
    try:
        steward = public_key_from_hex(steward_key)
    except Ed25519KeyError as exc:
        raise DirectoryRefused(DirectoryRefusal.WRONG_KEY, f"the steward key: {exc}") from None
    signer = signature.get("public_key")
    if signer != public_key_hex(steward):
        raise DirectoryRefused(
            DirectoryRefusal.WRONG_KEY,
            f"signed by key {str(signer)[:16]}…, not by the steward's key {key_id(steward)}",
        )
    if signature.get("key_id") != key_id(steward):
        raise DirectoryRefused(
            DirectoryRefusal.WRONG_KEY, f"the signature names key {signature.get('key_id')!r}"
        )
    payload = document["directory"]
    try:
        message = canonical_bytes(payload)
    except (TypeError, ValueError) as exc:
        raise DirectoryRefused(DirectoryRefusal.MALFORMED, f"not canonical JSON ({exc})") from None
    if not verify_signature(steward, _signature_bytes(signature), message):
        raise DirectoryRefused(
            DirectoryRefusal.BAD_SIGNATURE, "the signature does not match the content (altered?)"
        )
    directory = parse_directory(payload)
    if accepted is not None:
        check_not_rolled_back(directory, accepted)
    return directory


def check_not_rolled_back(directory: Directory, accepted: Accepted) -> None:
    if directory.network != accepted.network:
        raise DirectoryRefused(
            DirectoryRefusal.WRONG_NETWORK,
            f"this is a directory of {directory.network!r}, not of {accepted.network!r}",
        )
    if directory.version < accepted.version:
        raise DirectoryRefused(
            DirectoryRefusal.ROLLBACK,
            f"version {directory.version} is older than version {accepted.version} "
            "already accepted",
        )
    if directory.version == accepted.version and directory_hash(directory) != accepted.sha256:
        raise DirectoryRefused(
            DirectoryRefusal.FORK,
            f"version {directory.version} differs from the version {accepted.version} "
            "already accepted",
        )


def verify_bytes(
    data: bytes | str, steward_key: str, accepted: Accepted | None = None
) -> Directory:
    return verify_document(decode_document(data), steward_key, accepted)
