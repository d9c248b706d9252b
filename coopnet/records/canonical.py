"""Canonical JSON and SHA-256 for the record (re-exported from :mod:`coopnet.canonical`).

Here ``canonical_json`` returns text (``str``); see :mod:`coopnet.canonical` for the
encoding rules.
"""

from __future__ import annotations

from coopnet.canonical import canonical_bytes, sha256_hex
from coopnet.canonical import canonical_text as canonical_json

__all__ = ["canonical_bytes", "canonical_json", "sha256_hex"]
