"""The bot's Ed25519 signing key: generate, load, and name it by a key id.

The private key lives in a file only its owner can read (0600). It may be PEM (PKCS#8,
unencrypted), 32 raw bytes, or 64 hex characters. Public keys are exchanged as 64 hex
characters of the raw key; a key id is the first 16 hex characters of its SHA-256.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.canonical import sha256_hex
from coopnet.records.errors import RecordError

logger = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def public_key_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """Return the 32 raw bytes of the public key (of a private key, its public half)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_hex(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Return the public key as 64 lowercase hex characters."""
    return public_key_raw(key).hex()


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Return the key id: first 16 hex characters of SHA-256 of the raw public key."""
    return sha256_hex(public_key_raw(key))[:16]


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    """Parse a public key given as 64 hex characters."""
    text = text.strip()
    if not _HEX64.fullmatch(text):
        raise RecordError("a public key must be 64 hex characters (32 raw bytes)")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def verify_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Return True if *signature* is a valid Ed25519 signature of *message* by *key*."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _write_private(path: Path, data: bytes) -> None:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create a new Ed25519 key and write it as PEM to *path* (0600). Refuses to overwrite."""
    path = Path(path)
    if path.exists():
        raise RecordError(f"{path}: a key file already exists; refusing to overwrite it")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    logger.info("generated record signing key %s in %s", key_id(key), path)
    return key


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the bot's private key from *path*; refuses a file others can read or write."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path}: cannot read the signing key: {exc.strerror}") from exc
    if stat.S_IMODE(mode) & 0o077:
        raise RecordError(
            f"{path}: the signing key is readable by others (mode {stat.S_IMODE(mode):04o}); "
            "run 'chmod 600' on it"
        )
    return _parse_private(data, str(path))


def load_or_create_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the key at *path*, generating it first if the file does not exist."""
    if Path(path).exists():
        return load_signing_key(path)
    return generate_signing_key(path)


def _parse_private(data: bytes, where: str) -> Ed25519PrivateKey:
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(stripped, password=None)
        except (ValueError, TypeError) as exc:
            raise RecordError(f"{where}: not a readable unencrypted PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise RecordError(f"{where}: the PEM key is not an Ed25519 key")
        return key
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    if _HEX64.fullmatch(stripped.decode("ascii", "replace")):
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stripped.decode("ascii")))
    raise RecordError(f"{where}: expected a PEM, 32 raw bytes or 64 hex characters Ed25519 key")


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load a public key from a file: PEM, 32 raw bytes or 64 hex characters."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path}: cannot read the public key: {exc.strerror}") from exc
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped)
        except ValueError as exc:
            raise RecordError(f"{path}: not a readable PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise RecordError(f"{path}: the PEM key is not an Ed25519 key")
        return key
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    return public_key_from_hex(stripped.decode("ascii", "replace"))


def write_public_key(
    key: Ed25519PublicKey | Ed25519PrivateKey, path: str | os.PathLike[str]
) -> None:
    """Write the public key as one line of hex (it is public: mode 0644)."""
    Path(path).write_text(public_key_hex(key) + "\n", encoding="ascii")


def public_key_file(private_path: str | os.PathLike[str]) -> Path:
    """Where the public half of the key at *private_path* is written: same name, ``.pub``."""
    return Path(private_path).with_suffix(".pub")


def prepare_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the key at *path* (generating it the first time) and keep its public key in
    :func:`public_key_file` — the file the steward lists in the signed directory."""
    key = load_or_create_signing_key(path)
    public = public_key_file(path)
    try:
        current = public.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        current = ""
    if current != public_key_hex(key):
        write_public_key(key, public)
        logger.info("public key of %s written to %s", key_id(key), public)
    return key
