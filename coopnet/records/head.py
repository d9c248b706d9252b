"""The signed chain head: the last entry's seq and hash, signed with its own domain.

It lets verification notice entries cut off the end of the chain or appended after it
by someone without the key. It cannot notice a whole-database rollback to an older
copy: the receipts the bot posts in the rooms are the outside anchors for that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.records.canonical import canonical_json
from coopnet.records.errors import RecordError

HEAD_DOMAIN = "coopnet.records.head/1"


def head_message(seq: int, entry_hash: str) -> bytes:
    """The bytes a head signature covers."""
    return canonical_json([HEAD_DOMAIN, seq, entry_hash]).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: str
    key_id: str
    signature: str

    @classmethod
    def sign(cls, key: Ed25519PrivateKey, key_id: str, seq: int, entry_hash: str) -> Head:
        return cls(seq, entry_hash, key_id, key.sign(head_message(seq, entry_hash)).hex())

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_value(cls, value: str | dict[str, Any]) -> Head:
        try:
            data = json.loads(value) if isinstance(value, str) else value
            return cls(
                int(data["seq"]),
                str(data["entry_hash"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RecordError(f"unreadable chain head: {exc}") from exc
