"""The terminal client's cache of decrypted timelines, encrypted at rest.

A copied disk must not leak consultations: the cache is sealed with AES-GCM under a
random data key that the officer's passphrase (scrypt) wraps. See :mod:`.sealing` for
the keys, :mod:`.store` for the file and :mod:`.background` for use from asyncio.
"""

from __future__ import annotations

from coopnet.errors import CacheError, WrongPassphrase
from coopnet.localcache.background import BackgroundCache
from coopnet.localcache.sealing import KdfParams
from coopnet.localcache.store import DRAFT_SLOT, EncryptedCache, Record

CACHE_FILE = "cache.db"
"""The cache's name inside a device store directory."""

__all__ = [
    "CACHE_FILE",
    "DRAFT_SLOT",
    "BackgroundCache",
    "CacheError",
    "EncryptedCache",
    "KdfParams",
    "Record",
    "WrongPassphrase",
]
