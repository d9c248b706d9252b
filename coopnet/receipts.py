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
source they trust (the signed directory, ``network.json``), not from the receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.protocol import PAYLOAD_KEY, Receipt, canonical_json, content_hash, parse_payload
from coopnet.records.keys import key_id, public_key_hex, verify_signature

SIGNATURE_FIELD = "signature"
ALGORITHM = "ed25519"


def _signed_part(payload: Mapping[str, Any]) -> bytes:
    return canonical_json({k: payload[k] for k in ("type", "version", "content") if k in payload})


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
class ReceiptCheck:
    ok: bool
    reason: str
    receipt: Receipt | None = None
    key_id: str | None = None


def verify_receipt(
    content: Mapping[str, Any],
    public_keys: Mapping[str, Ed25519PublicKey],
    original: Mapping[str, Any] | None = None,
) -> ReceiptCheck:
    """Check a receipt message's signature against trusted keys (key id -> key).

    With ``original`` (the message content of the receipted event), also check that
    the receipt's hash is the hash of that event's payload.
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
    key = public_keys.get(kid)
    if key is None:
        return ReceiptCheck(False, f"signed by key {kid}, which is not a trusted key", parsed, kid)
    try:
        value = bytes.fromhex(str(signature.get("value", "")))
    except ValueError:
        return ReceiptCheck(False, "the signature is not hex", parsed, kid)
    if not verify_signature(key, value, _signed_part(payload)):
        return ReceiptCheck(False, "the signature does not match the receipt", parsed, kid)
    if original is not None:
        original_payload = original.get(PAYLOAD_KEY) if isinstance(original, Mapping) else None
        if original_payload is None:
            return ReceiptCheck(False, "the receipted event is not a CoopNet message", parsed, kid)
        if content_hash(original_payload) != parsed.content_hash:
            return ReceiptCheck(
                False, "the receipted event's content differs from what was receipted", parsed, kid
            )
    return ReceiptCheck(True, f"valid receipt signed by key {kid}", parsed, kid)
