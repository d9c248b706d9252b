"""Keys and sealing for the client's encrypted cache (pure: no files, no SQLite).

Two keys, as in password managers: a random 256-bit *data key* seals every cached item
with AES-GCM; the officer's passphrase, stretched with scrypt, only *wraps* the data key.
A wrong passphrase fails the wrap's authentication tag (``WrongPassphrase``) before
anything is read, and changing the passphrase re-wraps one key instead of re-encrypting
the cache.

Each sealed item carries its own random 96-bit nonce, and its associated data names
the row it belongs to, so a blob moved to another row does not open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from coopnet.datafile import FileRecord, Integer, Text, describe, spec
from coopnet.errors import CacheError, WrongPassphrase
from coopnet.protocol.validation import BAD_FORMAT, ParseError, Problem, join

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
MAX_N = 2**20
_WRAP_AAD = b"coopnet-cache/v1/data-key"


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost parameters, stored beside the wrapped key so they can change later.

    The default (N=2**17, r=8, p=1: 128 MiB, well under a second) follows OWASP's
    password-storage guidance for scrypt; tests pass cheaper parameters.
    """

    salt: bytes
    n: int = 2**17
    r: int = 8
    p: int = 1

    @classmethod
    def fresh(cls, n: int = 2**17, r: int = 8, p: int = 1) -> KdfParams:
        return cls(os.urandom(SALT_BYTES), n, r, p)

    def to_dict(self) -> dict[str, object]:
        return {"salt": self.salt.hex(), "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_dict(cls, data: object) -> KdfParams:
        stored = StoredKdf.from_dict(data, "kdf")
        if isinstance(stored, ParseError):
            raise CacheError(f"the cache's key parameters are malformed: {describe(stored)}")
        return cls(bytes.fromhex(stored.salt), stored.n, stored.r, stored.p)


@dataclass(frozen=True)
class StoredKdf(FileRecord):
    """:class:`KdfParams` as the cache file stores them. Bounded: parameters read from a
    file someone could edit must not make the client ask for gigabytes of memory
    (N=2**20, r=8 is already 1 GiB)."""

    salt: str = spec(Text(256, 2 * SALT_BYTES, "([0-9a-f]{2})+", "hex"))
    n: int = spec(Integer(2, MAX_N))
    r: int = spec(Integer(1, 32))
    p: int = spec(Integer(1, 16))

    def check(self, path: str) -> list[Problem]:
        if self.n & (self.n - 1):
            return [Problem(join(path, "n"), BAD_FORMAT, f"{self.n} is not a power of two")]
        return []


def derive_wrapping_key(passphrase: str, params: KdfParams) -> bytes:
    if not passphrase:
        raise CacheError("the cache passphrase is empty")
    kdf = Scrypt(salt=params.salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def wrap(wrapping_key: bytes, data_key: bytes) -> bytes:
    return seal(wrapping_key, data_key, _WRAP_AAD)


def unwrap(wrapping_key: bytes, wrapped: bytes) -> bytes:
    try:
        return open_sealed(wrapping_key, wrapped, _WRAP_AAD)
    except CacheError:
        raise WrongPassphrase("wrong passphrase for this device's cache") from None


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``nonce ‖ ciphertext+tag``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise CacheError("a cached item is truncated")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise CacheError("a cached item fails its authentication tag") from None
