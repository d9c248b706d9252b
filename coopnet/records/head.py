"""The signed chain head: the last entry's seq and hash, signed with its own domain.

It lets verification notice entries cut off the end of the chain or appended after it
by someone without the key. It cannot notice a whole-database rollback to an older
copy: the receipts the bot posts in the rooms are the outside anchors for that.

Version 2 (``coopnet.records.head/2``) also signs a running digest of every entry's
signature (:func:`next_signatures_digest`). Entry hashes do not cover signatures, so
without it only the per-entry signature pass notices an edited signature; with it the
quick check (hashes, links, head) covers every stored byte of the chain. Heads of
version 1 (no digest) are still read and verified.

Version 3 (``coopnet.records.head/3``) signs the same fields and states, by its domain,
that the record keeps a signed consultation head for every consultation in it
(:mod:`coopnet.records.case_head`): an export made under such a head that lacks its
consultation head has had it removed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.canonical import canonical_text
from coopnet.records.errors import RecordError

HEAD_DOMAIN = "coopnet.records.head/1"
HEAD_DOMAIN_V2 = "coopnet.records.head/2"
HEAD_DOMAIN_V3 = "coopnet.records.head/3"
SIGNATURES_GENESIS = "0" * 64


def head_message(
    seq: int, entry_hash: str, signatures: str | None = None, case_heads: bool = False
) -> bytes:
    """The bytes a head signature covers (version 2 when *signatures* is given, version 3
    when the record also keeps consultation heads)."""
    if signatures is None:
        return canonical_text([HEAD_DOMAIN, seq, entry_hash]).encode("utf-8")
    domain = HEAD_DOMAIN_V3 if case_heads else HEAD_DOMAIN_V2
    return canonical_text([domain, seq, entry_hash, signatures]).encode("utf-8")


def next_signatures_digest(previous: str, signature: str) -> str:
    """Fold one entry signature (hex text) into the running digest."""
    return hashlib.sha256(f"{previous}{signature}".encode("ascii")).hexdigest()


def signatures_digest(signatures: Iterable[object]) -> str | None:
    """The running digest over *signatures* in order; None if one is not ASCII text."""
    sha256 = hashlib.sha256
    digest = SIGNATURES_GENESIS
    for signature in signatures:
        if not isinstance(signature, str) or not signature.isascii():
            return None
        digest = sha256(f"{digest}{signature}".encode("ascii")).hexdigest()
    return digest


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: str
    key_id: str
    signature: str
    signatures: str | None = None
    """Running digest of every entry signature up to ``seq`` (version 2), else None."""
    case_heads: bool = False
    """The record keeps a consultation head for every consultation (version 3)."""

    @classmethod
    def sign(
        cls,
        key: Ed25519PrivateKey,
        key_id: str,
        seq: int,
        entry_hash: str,
        signatures: str | None = None,
        case_heads: bool = False,
    ) -> Head:
        if case_heads and signatures is None:
            raise RecordError("a version-3 head also signs the signatures digest")
        message = head_message(seq, entry_hash, signatures, case_heads)
        return cls(seq, entry_hash, key_id, key.sign(message).hex(), signatures, case_heads)

    def message(self) -> bytes:
        """The bytes this head's signature covers."""
        return head_message(self.seq, self.entry_hash, self.signatures, self.case_heads)

    def to_json(self) -> str:
        return canonical_text(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "key_id": self.key_id,
            "signature": self.signature,
        }
        if self.signatures is not None:
            data["signatures"] = self.signatures
        if self.case_heads:
            data["case_heads"] = True
        return data

    @classmethod
    def from_value(cls, value: str | dict[str, Any]) -> Head:
        try:
            data = json.loads(value) if isinstance(value, str) else value
            signatures = data.get("signatures")
            return cls(
                int(data["seq"]),
                str(data["entry_hash"]),
                str(data["key_id"]),
                str(data["signature"]),
                None if signatures is None else str(signatures),
                data.get("case_heads") is True,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RecordError(f"unreadable chain head: {exc}") from exc
