"""Signed receipts: the "certified send and receipt" of a structured exchange (pure).

For every structured event it receives from the other authority, the receiving bot posts
a :class:`~coopnet.protocol.Receipt` (event id, SHA-256 of the canonical payload, the
receiver, the time) and signs it with its Ed25519 key. The signature sits next to the
receipt's content in the payload::

    "org.coopnet.consultation": {
      "type": "org.coopnet.consultation.receipt", "version": 1,
      "content": {"event_id": "$…", "content_hash": "…", "receiver": "@bot:…", …},
      "signature": {"alg": "ed25519", "key_id": "…", "public_key": "<64 hex>",
                    "value": "<128 hex>"}
    }

The signature covers the canonical JSON of ``{"type", "version", "content"}``: changing
any of them breaks it. Whoever checks a receipt must get the signer's public key from a
source they trust, not from the receipt: the signed network directory lists each bot's
receipt keys (:func:`keys_from_directory`). A key from the directory is bound to its bot
(the receipt's ``receiver`` must be that bot), a retired key vouches only for receipts
dated up to its retirement, and a revoked key for none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.keys import key_id, public_key_from_hex, public_key_hex, verify_signature
from coopnet.protocol import PAYLOAD_KEY, Receipt, canonical_bytes, content_hash, parse_payload
from coopnet.trust.directory import Directory

SIGNATURE_FIELD = "signature"
ALGORITHM = "ed25519"


def _signed_part(payload: Mapping[str, Any]) -> bytes:
    return canonical_bytes({k: payload[k] for k in ("type", "version", "content") if k in payload})


def sign_receipt(content: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """Add the signature to the payload of an encoded receipt message (returns a new dict)."""
    payload = dict(content[PAYLOAD_KEY])
    payload[SIGNATURE_FIELD] = {
        "alg": ALGORITHM,
        "key_id": key_id(key),
        "public_key": public_key_hex(key),
        "value": key.sign(_signed_part(payload)).hex(),
    }
    return {**content, PAYLOAD_KEY: payload}


@dataclass(frozen=True)
class TrustedKey:
    """A receipt key as the signed directory lists it: whose, and whether still in use."""

    key: Ed25519PublicKey
    owner: str  # the bot's user id: the only receiver this key signs for
    retired: datetime | None = None  # signs nothing dated after this
    revoked: datetime | None = None  # signs nothing at all

    @property
    def status(self) -> str:
        if self.revoked is not None:
            return f"revoked {self.revoked.isoformat()}"
        if self.retired is not None:
            return f"retired {self.retired.isoformat()}"
        return "current"


Keys = Mapping[str, Ed25519PublicKey | TrustedKey]
"""Trusted keys by key id: bare keys (given by hand) or keys listed in the directory."""


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def keys_from_directory(directory: Directory) -> dict[str, TrustedKey]:
    """Every bot receipt key the (verified) directory lists, retired and revoked included."""
    keys: dict[str, TrustedKey] = {}
    for _authority, member in directory.members():
        for listed in member.receipt_keys:
            keys[listed.key_id] = TrustedKey(
                public_key_from_hex(listed.public_key),
                member.user_id,
                _utc(listed.retired) if listed.retired else None,
                _utc(listed.revoked) if listed.revoked else None,
            )
    return keys


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    reason: str
    receipt: Receipt | None = None
    key_id: str | None = None


def verify_receipt(
    content: Mapping[str, Any],
    public_keys: Keys,
    original: Mapping[str, Any] | None = None,
) -> ReceiptCheck:
    """Check a receipt message's signature against trusted keys (key id -> key).

    A :class:`TrustedKey` (from the directory) also has to be the receiver's own key, not
    revoked, and not retired before the receipt's time. With ``original`` (the message
    content of the receipted event), also check that the receipt's hash is the hash of
    that event's payload.
    """
    payload = content.get(PAYLOAD_KEY) if isinstance(content, Mapping) else None
    if not isinstance(payload, Mapping):
        return ReceiptCheck(False, f"not a CoopNet message (no {PAYLOAD_KEY!r} payload)")
    parsed = parse_payload({k: v for k, v in payload.items() if k != SIGNATURE_FIELD})
    if not isinstance(parsed, Receipt):
        return ReceiptCheck(False, "the payload is not a valid receipt")
    signature = payload.get(SIGNATURE_FIELD)
    if not isinstance(signature, Mapping):
        return ReceiptCheck(False, "the receipt is not signed", parsed)
    kid = signature.get("key_id")
    if signature.get("alg") != ALGORITHM or not isinstance(kid, str):
        return ReceiptCheck(False, "unknown signature algorithm or key id", parsed)
    trusted = public_keys.get(kid)
    if trusted is None:
        return ReceiptCheck(False, f"signed by key {kid}, which is not a trusted key", parsed, kid)
    key = trusted.key if isinstance(trusted, TrustedKey) else trusted
    try:
        value = bytes.fromhex(str(signature.get("value", "")))
    except ValueError:
        return ReceiptCheck(False, "the signature is not hex", parsed, kid)
    if not verify_signature(key, value, _signed_part(payload)):
        return ReceiptCheck(False, "the signature does not match the receipt", parsed, kid)
    if isinstance(trusted, TrustedKey):
        refused = _key_refuses(trusted, parsed, kid)
        if refused is not None:
            return ReceiptCheck(False, refused, parsed, kid)
    if original is not None:
        original_payload = original.get(PAYLOAD_KEY) if isinstance(original, Mapping) else None
        if original_payload is None:
            return ReceiptCheck(False, "the receipted event is not a CoopNet message", parsed, kid)
        if content_hash(original_payload) != parsed.content_hash:
            return ReceiptCheck(
                False, "the receipted event's content differs from what was receipted", parsed, kid
            )
    note = f" ({trusted.status} key)" if isinstance(trusted, TrustedKey) else ""
    return ReceiptCheck(True, f"valid receipt signed by key {kid}{note}", parsed, kid)


def _key_refuses(trusted: TrustedKey, receipt: Receipt, kid: str) -> str | None:
    """Why a directory key does not vouch for this receipt, or None when it does."""
    if receipt.receiver != trusted.owner:
        return f"signed by key {kid} of {trusted.owner}, but the receipt names {receipt.receiver}"
    if trusted.revoked is not None:
        return f"signed by key {kid}, revoked on {trusted.revoked.isoformat()}"
    received = receipt.received_at
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    if trusted.retired is not None and received > trusted.retired:
        return (
            f"signed by key {kid}, retired on {trusted.retired.isoformat()}, "
            f"but dated {received.isoformat()}"
        )
    return None
