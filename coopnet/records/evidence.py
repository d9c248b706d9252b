"""An authority's evidence store: encrypted copies of the documents its bot certified.

A folder (0700) holds, per document (named by the plaintext's SHA-256), the attachment's
ciphertext exactly as downloaded (``<sha256>.bin``, AES-256-CTR under the sender's file
key) and that file's ``EncryptedFile`` sealed with the store's own key (``<sha256>.key``,
AES-256-GCM, the hash as associated data). The store key lives in a separate owner-only
file outside the folder, so a copy of the folder alone reveals nothing. Plaintext is never
written here: :meth:`EvidenceStore.restore` decrypts a copy, in chunks, to a destination
and checks it against its hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from coopnet.keys import OWNER_ONLY_FILE, ensure_private_dir, write_private
from coopnet.protocol import EncryptedFile, ParseError, parse_encrypted_file
from coopnet.records.errors import RecordError

CHUNK = 1 << 20
KEY_BYTES = 32
NONCE_BYTES = 12
_SHA256 = re.compile(r"[0-9a-f]{64}")
AAD = b"coopnet.evidence/1:"


class EvidenceStore:
    def __init__(self, folder: Path, key_file: Path) -> None:
        self.folder = ensure_private_dir(folder)
        self.key_file = key_file
        if not key_file.exists():
            write_private(key_file, secrets.token_bytes(KEY_BYTES), exclusive=True)
        key = key_file.read_bytes()
        if len(key) != KEY_BYTES:
            raise RecordError(f"{key_file}: not an evidence store key ({len(key)} bytes)")
        self._aead = AESGCM(key)

    def _name(self, sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise RecordError(f"not a SHA-256: {sha256[:80]!r}")
        return sha256

    def ciphertext_path(self, sha256: str) -> Path:
        """Where the bot downloads the ciphertext of a document to keep it."""
        return self.folder / f"{self._name(sha256)}.bin"

    def _key_path(self, sha256: str) -> Path:
        return self.folder / f"{self._name(sha256)}.key"

    def has(self, sha256: str) -> bool:
        return self.ciphertext_path(sha256).exists() and self._key_path(sha256).exists()

    def keep(self, sha256: str, file: dict[str, Any]) -> None:
        """Seal the file key of a ciphertext already at :meth:`ciphertext_path`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = AAD + sha256.encode("ascii")
        sealed = self._aead.encrypt(nonce, json.dumps(file, sort_keys=True).encode(), aad)
        write_private(self._key_path(sha256), nonce + sealed)

    def _file(self, sha256: str) -> EncryptedFile:
        blob = self._key_path(sha256).read_bytes()
        try:
            opened = self._aead.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], AAD + sha256.encode("ascii")
            )
        except InvalidTag:
            raise RecordError(f"evidence {sha256}: the sealed key was altered") from None
        file = parse_encrypted_file(json.loads(opened))
        if isinstance(file, ParseError):
            raise RecordError(f"evidence {sha256}: {file}")
        return file

    def restore(self, sha256: str, destination: Path) -> int:
        """Decrypt the kept copy into ``destination`` (0600) and check its SHA-256;
        returns its size. A copy that does not hash to ``sha256`` is removed from the
        destination and reported (:class:`RecordError`)."""
        if not self.has(sha256):
            raise RecordError(f"evidence {sha256}: no copy in {self.folder}")
        file = self._file(sha256)
        decryptor = Cipher(algorithms.AES(file.key_bytes), modes.CTR(file.iv_bytes)).decryptor()
        cipher_hash, plain_hash, size = hashlib.sha256(), hashlib.sha256(), 0
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
        try:
            with os.fdopen(fd, "wb") as out, self.ciphertext_path(sha256).open("rb") as source:
                while chunk := source.read(CHUNK):
                    cipher_hash.update(chunk)
                    plain = decryptor.update(chunk)
                    plain_hash.update(plain)
                    out.write(plain)
                    size += len(chunk)
            if cipher_hash.digest() != file.ciphertext_sha256 or plain_hash.hexdigest() != sha256:
                raise RecordError(f"evidence {sha256}: the kept copy does not match its hash")
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
        return size
