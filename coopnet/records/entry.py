"""One record entry: its fields, the exact bytes its hash is taken over, and its signature.

No I/O. The entry hash is the SHA-256 of the canonical JSON array::

    ["coopnet.records.entry/2", seq, case_ref, room_id, event_id, kind, sender,
     origin_ts, recorded_at, content, prev_hash, case_prev_hash, key_id]

where ``content`` is the stored canonical JSON *text* (a string, so every stored byte of
it counts), ``prev_hash`` is the entry hash of entry ``seq - 1`` (64 zeros for the
first) and ``case_prev_hash`` the entry hash of the previous entry of the same
consultation (64 zeros for its first): the global chain proves the whole record, the
consultation link lets an export of one consultation prove that none of its entries is
missing. The signature is Ed25519 over the 32 raw bytes of the entry hash, stored as
128 lowercase hex characters, made by the key named ``key_id``.

Entries recorded before consultation links existed have ``case_prev_hash`` None and are
hashed as version 1 (``"coopnet.records.entry/1"``, the same array without
``case_prev_hash``). The domain names the version, so a link cannot be stripped from an
entry without breaking its hash.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.canonical import canonical_text, sha256_hex
from coopnet.records.errors import RecordError

HASH_DOMAIN_V1 = "coopnet.records.entry/1"
HASH_DOMAIN = "coopnet.records.entry/2"
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""

COLUMNS: tuple[str, ...] = (
    "seq",
    "case_ref",
    "room_id",
    "event_id",
    "kind",
    "sender",
    "origin_ts",
    "recorded_at",
    "content",
    "prev_hash",
    "entry_hash",
    "signature",
    "key_id",
    "case_prev_hash",
)
"""Column order of the ``entries`` table and of rows handed to the verifier."""

KINDS = frozenset({"event", "message", "rejection", "receipt", "reminder", "note", "untrusted"})
"""Kinds the bot writes. Other lowercase names are accepted for forward compatibility."""

_KIND_RE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
HEX_HASH_RE = re.compile(r"[0-9a-f]{64}")
HEX_SIG_RE = re.compile(r"[0-9a-f]{128}")


def entry_hash_input(
    seq: Any,
    case_ref: Any,
    room_id: Any,
    event_id: Any,
    kind: Any,
    sender: Any,
    origin_ts: Any,
    recorded_at: Any,
    content: Any,
    prev_hash: Any,
    key_id: Any,
    case_prev_hash: Any = None,
) -> bytes:
    """Return the exact bytes the entry hash is the SHA-256 of (values as stored).

    The parameters are in :data:`COLUMNS` order (without ``entry_hash`` and
    ``signature``); a None ``case_prev_hash`` selects the version-1 hash of older entries.
    """
    if case_prev_hash is None:
        fields = [HASH_DOMAIN_V1, seq, case_ref, room_id, event_id, kind, sender]
        fields += [origin_ts, recorded_at, content, prev_hash, key_id]
    else:
        fields = [HASH_DOMAIN, seq, case_ref, room_id, event_id, kind, sender]
        fields += [origin_ts, recorded_at, content, prev_hash, case_prev_hash, key_id]
    return canonical_text(fields).encode("utf-8")


def compute_entry_hash(*fields: Any) -> str:
    """SHA-256 hex of :func:`entry_hash_input` (same positional fields)."""
    return sha256_hex(entry_hash_input(*fields))


def sign_entry_hash(key: Ed25519PrivateKey, entry_hash: str) -> str:
    """Sign the raw 32 bytes of *entry_hash*; return the signature as lowercase hex."""
    return key.sign(bytes.fromhex(entry_hash)).hex()


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What a caller asks to record. ``content`` is any JSON value (usually a dict).

    ``event_id`` is the Matrix event id, or None for entries that are not Matrix events
    (reminders, local notes). ``origin_ts`` is the event's origin_server_ts in
    milliseconds; None means "the time of recording".
    """

    case_ref: str
    room_id: str
    kind: str
    sender: str
    content: Any
    event_id: str | None = None
    origin_ts: int | None = None

    def __post_init__(self) -> None:
        for name in ("case_ref", "room_id", "sender"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise RecordError(f"{name}: must be a non-empty string, got {value!r}")
        if not isinstance(self.kind, str) or not _KIND_RE.fullmatch(self.kind):
            raise RecordError(f"kind: must be a short lowercase name, got {self.kind!r}")
        if self.event_id is not None and (not isinstance(self.event_id, str) or not self.event_id):
            raise RecordError(
                f"event_id: must be None or a non-empty string, got {self.event_id!r}"
            )
        if self.origin_ts is not None and (
            not isinstance(self.origin_ts, int) or isinstance(self.origin_ts, bool)
        ):
            raise RecordError(
                f"origin_ts: must be None or integer milliseconds, got {self.origin_ts!r}"
            )
        try:
            canonical_text(self.content)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"content: not JSON-serialisable: {exc}") from exc

    def content_json(self) -> str:
        """The content as canonical JSON text (what is stored and hashed)."""
        return canonical_text(self.content)


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored entry, exactly as in the ``entries`` table."""

    seq: int
    case_ref: str
    room_id: str
    event_id: str | None
    kind: str
    sender: str
    origin_ts: int
    recorded_at: int
    content: str
    prev_hash: str
    entry_hash: str
    signature: str
    key_id: str
    case_prev_hash: str | None = None
    """Hash of the previous entry of this consultation; None for entries made before links."""

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        """Build from a row tuple in :data:`COLUMNS` order or a mapping with those keys."""
        if isinstance(row, dict):
            # An entry made before consultation links has no case_prev_hash.
            values: dict[str, Any] = {n: row[n] for n in COLUMNS if n != "case_prev_hash"}
            return cls(**values, case_prev_hash=row.get("case_prev_hash"))
        return cls(*row)

    def as_row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def content_value(self) -> Any:
        """The content parsed back from its JSON text."""
        return json.loads(self.content)

    def computed_hash(self) -> str:
        """Recompute the entry hash from the stored fields."""
        return compute_entry_hash(
            self.seq,
            self.case_ref,
            self.room_id,
            self.event_id,
            self.kind,
            self.sender,
            self.origin_ts,
            self.recorded_at,
            self.content,
            self.prev_hash,
            self.key_id,
            self.case_prev_hash,
        )
