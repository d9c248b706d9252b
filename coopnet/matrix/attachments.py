"""Encrypted attachments in chunks: encrypt + upload, download + decrypt + check.

Memory stays flat whatever the file size: the file is read, encrypted (AES-256-CTR, the
spec's encrypted attachments), hashed and sent in chunks of :data:`CHUNK` bytes, and the
download is decrypted and hashed chunk by chunk as it arrives. Uploading goes through
nio (``AsyncClient.upload(encrypt=True)`` with a data provider: nio makes the key, the IV
with its zero counter half and the ciphertext hash, and restarts the provider when the
server asks it to retry); downloading uses the authenticated ``/_matrix/client/v1/media``
endpoint directly, so the answer is read no further than the size the event promised.

A fetched file is written to an owner-only temporary file beside its destination and
moved into place only once the ciphertext hash (``hashes.sha256``), the size and the
plaintext SHA-256 all match; otherwise it is removed and the outcome says why.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import secrets
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from nio import AsyncClient, UploadResponse

from coopnet.datafile import file_sha256 as file_sha256  # re-exported
from coopnet.errors import DocumentError, MatrixError
from coopnet.keys import OWNER_ONLY_FILE
from coopnet.protocol import EncryptedFile, encrypted_file

log = logging.getLogger(__name__)

CHUNK = 1 << 20
"""Bytes read, encrypted and hashed at a time (1 MiB: few executor hops, little memory)."""
DRAIN_SECONDS = 10.0
"""How long the body's last step may trail the homeserver's answer to an upload."""
UPLOAD_ATTEMPTS = 3

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as a transfer advances."""


# ------------------------------------------------------------------ before sending
def check_source(path: Path, limit: int) -> int:
    """The size of a file that can be sent, or a :class:`DocumentError` saying why not
    (missing, not a file, unreadable, empty, over ``limit``): before anything is sent."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError(f"{path}: not a regular file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if info.st_size == 0:
        raise DocumentError(f"{path}: the file is empty")
    if info.st_size > limit:
        raise DocumentError(
            f"{path}: {info.st_size} bytes, more than this network's limit of {limit} bytes"
        )
    return info.st_size


# ------------------------------------------------------------------ upload
@dataclass(frozen=True)
class UploadedFile:
    """What an upload produced: the ``file`` object for the event, and the plaintext's
    SHA-256 and size as read while it was encrypted (what the document event states)."""

    file: dict[str, Any]
    sha256: str
    size: int


class _Source:
    """The file as nio's data provider: a fresh read (and plaintext hash) per attempt."""

    def __init__(self, path: Path, size: int, progress: Progress | None) -> None:
        self.path, self.size, self.progress = path, size, progress
        self.digest = hashlib.sha256()
        self.read = 0
        self.drained = asyncio.Event()

    def __call__(self, got_429: int = 0, got_timeouts: int = 0) -> AsyncIterator[bytes]:
        self.digest, self.read = hashlib.sha256(), 0  # a retry starts from the first byte
        self.drained = asyncio.Event()
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        digest = self.digest

        def read_and_hash(handle: Any) -> bytes:
            chunk: bytes = handle.read(CHUNK)
            digest.update(chunk)
            return chunk

        with self.path.open("rb") as handle:
            while self.read < self.size:
                chunk = await asyncio.to_thread(read_and_hash, handle)
                if not chunk:
                    break  # shorter than it was: said by the caller
                self.read += len(chunk)
                if self.read > self.size:
                    raise DocumentError(f"{self.path} grew while it was sent")
                if self.progress is not None:
                    self.progress(self.read, self.size)
                yield chunk
            # The end is known without another read (no await here): nio's last step,
            # which fills the decryption keys, follows at once, before the homeserver's
            # answer to the last bytes can end the upload's body writer.
            if os.fstat(handle.fileno()).st_size > self.size:
                raise DocumentError(f"{self.path} grew while it was sent")
            self.drained.set()


async def upload_encrypted(
    nio: AsyncClient, path: Path, size: int, progress: Progress | None = None
) -> UploadedFile:
    """Encrypt and upload ``path`` (``size`` bytes, checked by :func:`check_source`);
    nothing is sent to the room here, so a failed upload leaves nothing recorded."""
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        source = _Source(path, size, progress)
        try:
            resp, keys = await nio.upload(
                source,
                content_type="application/octet-stream",
                encrypt=True,
                filesize=size,
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise MatrixError(f"uploading {path.name} failed: {exc}") from exc
        if not isinstance(resp, UploadResponse):
            raise MatrixError(f"uploading {path.name} failed: {getattr(resp, 'message', resp)}")
        # The answer may come while aiohttp's writer task still drains the body, whose
        # last step fills nio's decryption keys: wait for the file's end to be passed.
        try:
            await asyncio.wait_for(source.drained.wait(), DRAIN_SECONDS)
        except TimeoutError:
            pass  # said below: no keys, or not the whole file
        if source.read != size:
            raise DocumentError(f"{path} changed while it was sent ({source.read} of {size} bytes)")
        if keys:
            break
        # The writer was ended before that step: the key of what was uploaded is lost
        # (the blob is unreadable to anyone); upload again.
        log.warning("uploading %s: no decryption keys (attempt %d)", path.name, attempt)
    else:
        raise MatrixError(f"uploading {path.name}: nio returned no decryption keys")
    file = encrypted_file(
        resp.content_uri,
        _unb64(keys["key"]["k"], urlsafe=True),
        _unb64(keys["iv"]),
        _unb64(keys["hashes"]["sha256"]),
    )
    return UploadedFile(file, source.digest.hexdigest(), size)


def _unb64(text: str, urlsafe: bool = False) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)


# ------------------------------------------------------------------ download
MISSING = "unavailable"  # the homeserver did not serve it
TOO_LARGE = "too_large"  # more bytes than the event said
SIZE_MISMATCH = "size_mismatch"  # fewer bytes than the event said
TAMPERED = "ciphertext_hash_mismatch"  # the ciphertext is not what was encrypted
HASH_MISMATCH = "hash_mismatch"  # decrypts, but to another document than the event says


@dataclass(frozen=True)
class Fetched:
    """The outcome of a download: ``path`` when every check passed, else ``code`` and
    ``reason`` say which failed (nothing is left on disk then)."""

    size: int
    sha256: str | None
    path: Path | None = None
    code: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is None


class _Checks:
    """Decrypts, hashes and writes a block of ciphertext (one hop off the event loop)."""

    def __init__(self, file: EncryptedFile, out: Any, keep: Any) -> None:
        self.decryptor = Cipher(
            algorithms.AES(file.key_bytes), modes.CTR(file.iv_bytes)
        ).decryptor()
        self.ciphertext = hashlib.sha256()
        self.plaintext = hashlib.sha256()
        self.out, self.keep = out, keep

    def __call__(self, block: bytes) -> None:
        self.ciphertext.update(block)
        plain = self.decryptor.update(block)
        self.plaintext.update(plain)
        if self.out is not None:
            self.out.write(plain)
        if self.keep is not None:
            self.keep.write(block)


def media_url(homeserver: str, mxc: str) -> str:
    server, _, media_id = mxc.removeprefix("mxc://").partition("/")
    return (
        f"{homeserver.rstrip('/')}/_matrix/client/v1/media/download/"
        f"{quote(server, safe='')}/{quote(media_id, safe='')}"
    )


async def download_decrypted(
    homeserver: str,
    access_token: str,
    file: EncryptedFile,
    size: int,
    sha256: str,
    destination: Path | None,
    progress: Progress | None = None,
    keep_ciphertext: Path | None = None,
) -> Fetched:
    """Download ``file``, decrypt it into ``destination`` (0600; None: check only, no
    plaintext written anywhere) and check it against the ciphertext hash of ``file`` and
    the ``size`` and ``sha256`` the document states. With ``keep_ciphertext`` the
    ciphertext as downloaded is kept there (0600) once every check passed."""
    parts: list[Path] = []
    for target in (destination, keep_ciphertext):
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            parts.append(target.with_name(f".{target.name}.{secrets.token_hex(4)}.part"))
    plain_part = parts[0] if destination is not None else None
    cipher_part = parts[-1] if keep_ciphertext is not None else None
    try:
        outcome = await _fetch(
            homeserver, access_token, file, size, sha256, plain_part, cipher_part, progress
        )
        if not outcome.ok:
            return outcome
        if plain_part is not None and destination is not None:
            os.replace(plain_part, destination)
        if cipher_part is not None and keep_ciphertext is not None:
            os.replace(cipher_part, keep_ciphertext)
        return Fetched(outcome.size, outcome.sha256, destination)
    finally:
        for leftover in parts:
            if leftover.exists():
                leftover.unlink()


async def _fetch(
    homeserver: str,
    access_token: str,
    file: EncryptedFile,
    size: int,
    sha256: str,
    plain_part: Path | None,
    cipher_part: Path | None,
    progress: Progress | None,
) -> Fetched:
    received = 0
    headers = {"Authorization": f"Bearer {access_token}"}
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120)
    sinks = [_private_open(p) for p in (plain_part, cipher_part) if p is not None]
    out = sinks[0] if plain_part is not None else None
    keep = sinks[-1] if cipher_part is not None else None
    checks = _Checks(file, out, keep)
    block = bytearray()  # the network hands out small pieces: work on whole blocks
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(media_url(homeserver, file.url), headers=headers) as resp:
                if resp.status != 200:
                    detail = (await resp.content.read(500)).decode("utf-8", "replace")
                    return Fetched(0, None, code=MISSING, reason=f"HTTP {resp.status}: {detail}")
                async for chunk in resp.content.iter_chunked(CHUNK):
                    received += len(chunk)
                    if received > size:
                        return Fetched(
                            received,
                            None,
                            code=TOO_LARGE,
                            reason=f"the server sent more than the {size} bytes stated",
                        )
                    block += chunk
                    if len(block) >= CHUNK:
                        await asyncio.to_thread(checks, bytes(block))
                        block.clear()
                        if progress is not None:
                            progress(received, size)
                if block:
                    await asyncio.to_thread(checks, bytes(block))
                if progress is not None:
                    progress(received, size)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Fetched(received, None, code=MISSING, reason=f"download failed: {exc}")
    finally:
        for sink in sinks:
            sink.close()
    return _verdict(checks, file, received, size, sha256)


def _verdict(
    checks: _Checks, file: EncryptedFile, received: int, size: int, sha256: str
) -> Fetched:
    if received != size:
        return Fetched(
            received,
            None,
            code=SIZE_MISMATCH,
            reason=f"{received} bytes received, the document states {size}",
        )
    if checks.ciphertext.digest() != file.ciphertext_sha256:
        return Fetched(
            received,
            None,
            code=TAMPERED,
            reason="the encrypted file's SHA-256 is not the one in the event (altered)",
        )
    digest = checks.plaintext.hexdigest()
    if digest != sha256:
        return Fetched(
            received,
            digest,
            code=HASH_MISMATCH,
            reason=f"its SHA-256 is {digest}, the document states {sha256}",
        )
    return Fetched(received, digest)


def _private_open(path: Path) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
    return os.fdopen(fd, "wb")
