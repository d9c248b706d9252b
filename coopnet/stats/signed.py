"""Documents an authority's bot signs for others: canonical JSON and an Ed25519 signature
(pure), the way receipts are signed (:mod:`coopnet.receipts`).

The signature covers the canonical JSON (:func:`coopnet.canonical.canonical_bytes`) of the
whole document without its ``signature`` member; it names the key by its id and carries
the public key, but a verifier trusts only keys it was given (the bot receipt keys of the
signed network directory, or keys given by hand), never the one the document carries. A
key listed in the directory vouches only for its own bot (the document's ``bot``), and a
revoked key for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.canonical import canonical_bytes
from coopnet.keys import key_id, public_key_hex, verify_signature
from coopnet.receipts import ALGORITHM, Keys, TrustedKey

SIGNATURE = "signature"


def _signed_part(document: Mapping[str, Any]) -> bytes:
    return canonical_bytes({k: v for k, v in document.items() if k != SIGNATURE})


def sign(document: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with its signature (a new dict; a signature held already is replaced)."""
    body = {k: v for k, v in document.items() if k != SIGNATURE}
    return {
        **body,
        SIGNATURE: {
            "alg": ALGORITHM,
            "key_id": key_id(key),
            "public_key": public_key_hex(key),
            "value": key.sign(_signed_part(body)).hex(),
        },
    }


@dataclass(frozen=True)
class SignedCheck:
    ok: bool
    reason: str
    key_id: str | None = None
    owner: str | None = None  # the bot the trusted key belongs to (from the directory)


def verify(document: Any, trusted: Keys, expected_format: str) -> SignedCheck:
    """Whether ``document`` is a ``expected_format`` document signed by a trusted key."""
    if not isinstance(document, Mapping):
        return SignedCheck(False, "(top level): expected a JSON object")
    if document.get("format") != expected_format:
        return SignedCheck(
            False, f"format: expected {expected_format!r}, not {document.get('format')!r}"
        )
    signature = document.get(SIGNATURE)
    if not isinstance(signature, Mapping):
        return SignedCheck(False, f"{SIGNATURE}: the document is not signed")
    kid = signature.get("key_id")
    if signature.get("alg") != ALGORITHM or not isinstance(kid, str):
        return SignedCheck(False, f"{SIGNATURE}: unknown algorithm or key id")
    key = trusted.get(kid)
    if key is None:
        return SignedCheck(False, f"{SIGNATURE}: signed by key {kid}, not a trusted key", kid)
    public = key.key if isinstance(key, TrustedKey) else key
    try:
        value = bytes.fromhex(str(signature.get("value", "")))
    except ValueError:
        return SignedCheck(False, f"{SIGNATURE}.value: not hex", kid)
    try:
        body = _signed_part(document)
    except (TypeError, ValueError) as exc:
        return SignedCheck(False, f"(document): not canonical JSON: {exc}", kid)
    if not verify_signature(public, value, body):
        return SignedCheck(False, f"{SIGNATURE}: does not match the document (changed?)", kid)
    if isinstance(key, TrustedKey):
        if key.revoked is not None:
            return SignedCheck(False, f"{SIGNATURE}: key {kid} was revoked", kid, key.owner)
        if document.get("bot") != key.owner:
            return SignedCheck(
                False,
                f"bot: key {kid} belongs to {key.owner}, the document names "
                f"{document.get('bot')!r}",
                kid,
                key.owner,
            )
        return SignedCheck(
            True, f"signed by key {kid} of {key.owner} (signed directory)", kid, key.owner
        )
    return SignedCheck(True, f"signed by key {kid} (given)", kid)
