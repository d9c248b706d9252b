"""Canonical JSON and SHA-256: the byte-exact encodings that hashes and signatures cover.

One pure module (no I/O) shared by the protocol core (receipt content hashes), the
consultation record (entry hashes, heads, exports) and the trust layer (the signed
network directory, device enrolments).

Canonical JSON here means: keys sorted, no insignificant whitespace, UTF-8 text with
non-ASCII characters kept as they are (``ensure_ascii=False``), NaN/Infinity refused.
Values JSON cannot carry raise ``ValueError``/``TypeError`` (``RecursionError`` for
self-referencing containers).

:func:`canonical_text` returns ``str``, :func:`canonical_bytes` its UTF-8 bytes. The
record's older name stays with the same meaning: ``coopnet.records.canonical_json`` is
:func:`canonical_text` (text); ``canonical_bytes`` is bytes wherever it is imported from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_bytes", "canonical_text", "content_hash", "sha256_hex"]

_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_text(value: Any) -> str:
    """Return *value* as canonical JSON text."""
    return _encode(value)


def canonical_bytes(value: Any) -> bytes:
    """Return the UTF-8 bytes of :func:`canonical_text`."""
    return _encode(value).encode("utf-8")


def sha256_hex(data: bytes | str) -> str:
    """Return the lowercase hex SHA-256 of *data* (text is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of *value* — what receipts and signatures cover."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
