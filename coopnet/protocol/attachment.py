"""The Matrix ``EncryptedFile`` of an encrypted attachment, validated (pure).

A document travels as the spec's encrypted attachment (client-server API, "Sending
encrypted attachments"): the client encrypts the file with AES-256-CTR under a fresh key,
uploads the ciphertext, and puts what decrypts it only inside the (megolm-encrypted) event
content, under ``file``::

    "file": {
      "url": "mxc://example.org/FHyPlCeYUSFFxlgbQYZmoEoe",
      "key": {"kty": "oct", "key_ops": ["encrypt", "decrypt"], "alg": "A256CTR",
              "k": "<32 bytes, unpadded base64url>", "ext": true},
      "iv": "<16 bytes, unpadded base64; the low 64 bits (the counter) zero>",
      "hashes": {"sha256": "<SHA-256 of the ciphertext, unpadded base64>"},
      "v": "v2"
    }

The homeserver stores the ciphertext only. :func:`parse_encrypted_file` checks every field
the spec requires before anything is downloaded; the I/O (encrypting, uploading,
downloading, decrypting in chunks) is :mod:`coopnet.matrix.attachments`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coopnet.protocol.fields import Boolean, ListOf, Nested, Text, required
from coopnet.protocol.records import Record
from coopnet.protocol.validation import NOT_ALLOWED, ParseError, Problem, join

MXC_URL = "^mxc://[A-Za-z0-9.:\\[\\]-]+/[A-Za-z0-9_-]+$"
BASE64URL = "^[A-Za-z0-9_-]+={0,2}$"
BASE64 = "^[A-Za-z0-9+/]+={0,2}$"
DEFAULT_MAX_DOCUMENT_BYTES = 100 * 1024 * 1024
"""A network's document size limit unless it sets its own: the local network's and the
production Synapse's ``max_upload_size`` are rendered from the same number (AES-CTR
ciphertext is exactly as long as the plaintext)."""
MEDIA_HEADROOM = 1 << 20
"""What a homeserver's limits need above the document limit itself: Synapse counts a
federated media download's multipart envelope against ``max_upload_size``, so a file of
exactly the limit would not reach the other authority."""


def homeserver_upload_limit(max_document_bytes: int) -> int:
    """Synapse's ``max_upload_size`` (and the proxy's body limit) for a document limit."""
    return max_document_bytes + MEDIA_HEADROOM


ALGORITHM = "A256CTR"
VERSION = "v2"
KEY_BYTES = 32
IV_BYTES = 16
HASH_BYTES = 32


@dataclass(frozen=True, kw_only=True)
class JsonWebKey(Record):
    """The AES-256-CTR key as a JSON Web Key (spec: ``JWK``)."""

    kty: str = required(Text(16))
    key_ops: tuple[str, ...] = required(ListOf(Text(16), 8, min_items=1))
    alg: str = required(Text(16))
    k: str = required(Text(64, pattern=BASE64URL))
    ext: bool = required(Boolean())


@dataclass(frozen=True, kw_only=True)
class FileHashes(Record):
    sha256: str = required(Text(64, pattern=BASE64))


@dataclass(frozen=True, kw_only=True)
class EncryptedFile(Record):
    """The spec's ``EncryptedFile``: where the ciphertext is and what decrypts it."""

    url: str = required(Text(1024, pattern=MXC_URL))
    key: JsonWebKey = required(Nested(JsonWebKey))
    iv: str = required(Text(32, pattern=BASE64))
    hashes: FileHashes = required(Nested(FileHashes))
    v: str = required(Text(8))

    @property
    def key_bytes(self) -> bytes:
        return _decode(self.key.k, urlsafe=True)

    @property
    def iv_bytes(self) -> bytes:
        return _decode(self.iv, urlsafe=False)

    @property
    def ciphertext_sha256(self) -> bytes:
        return _decode(self.hashes.sha256, urlsafe=False)


def _decode(text: str, urlsafe: bool) -> bytes:
    padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
    if urlsafe:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def unpadded_base64(data: bytes, urlsafe: bool = False) -> str:
    """Matrix's "unpadded base64" (the JWK's ``k`` uses the URL-safe alphabet)."""
    encoded = base64.urlsafe_b64encode(data) if urlsafe else base64.b64encode(data)
    return encoded.decode("ascii").rstrip("=")


def encrypted_file(url: str, key: bytes, iv: bytes, ciphertext_sha256: bytes) -> dict[str, Any]:
    """The ``file`` object for a ciphertext uploaded to ``url`` (spec field by field)."""
    return {
        "url": url,
        "key": {
            "kty": "oct",
            "key_ops": ["encrypt", "decrypt"],
            "alg": ALGORITHM,
            "k": unpadded_base64(key, urlsafe=True),
            "ext": True,
        },
        "iv": unpadded_base64(iv),
        "hashes": {"sha256": unpadded_base64(ciphertext_sha256)},
        "v": VERSION,
    }


def parse_encrypted_file(data: Any, path: str = "file") -> EncryptedFile | ParseError:
    """Validate a ``file`` object; the error names each field the spec's rules reject."""
    parsed = EncryptedFile.from_dict(data, path)
    if isinstance(parsed, ParseError):
        return parsed
    problems: list[Problem] = []

    def bad(field: str, detail: str) -> None:
        problems.append(Problem(join(path, field), NOT_ALLOWED, detail))

    key = parsed.key
    if key.kty != "oct":
        bad("key.kty", 'must be "oct"')
    if key.alg != ALGORITHM:
        bad("key.alg", f'must be "{ALGORITHM}"')
    if not {"encrypt", "decrypt"} <= set(key.key_ops):
        bad("key.key_ops", 'must include "encrypt" and "decrypt"')
    if key.ext is not True:
        bad("key.ext", "must be true")
    if parsed.v != VERSION:
        bad("v", f'must be "{VERSION}"')
    for field, getter, size in (
        ("key.k", lambda: parsed.key_bytes, KEY_BYTES),
        ("iv", lambda: parsed.iv_bytes, IV_BYTES),
        ("hashes.sha256", lambda: parsed.ciphertext_sha256, HASH_BYTES),
    ):
        try:
            length = len(getter())
        except (binascii.Error, ValueError):
            bad(field, "not base64")
            continue
        if length != size:
            bad(field, f"must encode {size} bytes, not {length}")
    if problems:
        return ParseError(tuple(problems))
    return parsed


def file_of(content: Mapping[str, Any]) -> EncryptedFile | ParseError:
    """The ``EncryptedFile`` of an ``m.file`` message content."""
    if content.get("msgtype") != "m.file":
        return ParseError((Problem("msgtype", NOT_ALLOWED, 'a document is an "m.file"'),))
    return parse_encrypted_file(content.get("file"), "file")
