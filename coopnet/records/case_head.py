"""The signed consultation head: the latest entry of one consultation and how many it has.

No I/O. The bot signs it on every append to that consultation (with the entry's own
signature and the chain head, in the same transaction). Each entry links to the previous
entry of its consultation (``case_prev_hash``), so walking back from the head reaches
every linked entry; the count covers the rest. An export of one consultation carries its
head: without the bot's key nobody can cut entries off its end, empty it, or drop one from
the middle without the verifier noticing. The signature covers the canonical JSON of::

    ["coopnet.records.case-head/1", case_ref, count, seq, entry_hash]

``count`` is the number of entries of the consultation, so it is also the position of
its latest entry (``seq`` in the global chain, ``entry_hash``) within the consultation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.canonical import canonical_text
from coopnet.keys import verify_signature

CASE_HEAD_DOMAIN = "coopnet.records.case-head/1"

CASE_HEAD_COLUMNS: tuple[str, ...] = (
    "case_ref",
    "count",
    "seq",
    "entry_hash",
    "key_id",
    "signature",
)
"""Columns of the ``case_heads`` table, and the keys of a consultation head in an export."""


def case_head_message(case_ref: str, count: int, seq: int, entry_hash: str) -> bytes:
    """The bytes a consultation head signature covers."""
    return canonical_text([CASE_HEAD_DOMAIN, case_ref, count, seq, entry_hash]).encode("utf-8")


@dataclass(frozen=True, slots=True)
class CaseHead:
    case_ref: str
    count: int
    """Entries of the consultation up to and including the head entry."""
    seq: int
    """Global seq of the consultation's latest entry."""
    entry_hash: str
    key_id: str
    signature: str

    @classmethod
    def sign(
        cls,
        key: Ed25519PrivateKey,
        key_id: str,
        case_ref: str,
        count: int,
        seq: int,
        entry_hash: str,
    ) -> CaseHead:
        signature = key.sign(case_head_message(case_ref, count, seq, entry_hash)).hex()
        return cls(case_ref, count, seq, entry_hash, key_id, signature)

    def message(self) -> bytes:
        return case_head_message(self.case_ref, self.count, self.seq, self.entry_hash)

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        """True if *key* made this head's signature."""
        try:
            signature = bytes.fromhex(self.signature)
        except ValueError:
            return False
        return verify_signature(key, signature, self.message())

    def as_row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in CASE_HEAD_COLUMNS)

    @classmethod
    def from_row(cls, row: Any) -> CaseHead:
        """From a row in :data:`CASE_HEAD_COLUMNS` order."""
        return cls(*row)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CASE_HEAD_COLUMNS}
