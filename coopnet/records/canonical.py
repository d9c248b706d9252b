"""Canonical JSON and SHA-256 helpers: the byte-exact encodings that hashes are taken over.

Canonical JSON here means: keys sorted, no insignificant whitespace, UTF-8 text with
non-ASCII characters kept as they are (``ensure_ascii=False``), NaN/Infinity refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_json(value: Any) -> str:
    """Return *value* as canonical JSON text. Raises ``ValueError``/``TypeError`` if not JSON."""
    return _encode(value)


def canonical_bytes(value: Any) -> bytes:
    """Return the UTF-8 bytes of :func:`canonical_json`."""
    return _encode(value).encode("utf-8")


def sha256_hex(data: bytes | str) -> str:
    """Return the lowercase hex SHA-256 of *data* (text is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
