"""Ed25519 keys and the owner-only files that hold them (and every other secret file).

The lowest layer under the record, the trust model and the local network: it imports
no other CoopNet package, so ``trust`` and ``records`` can both use it without importing
each other.

**Keys.** A private key lives in a file only its owner can read (0600). It may be PEM
(PKCS#8, unencrypted), 32 raw bytes or 64 hex characters. Public keys are exchanged as 64
hex characters of the raw key; a key id is the first 16 hex characters of its SHA-256.

**Owner-only files.** Every secret file CoopNet writes goes through :func:`write_private`
(or :func:`open_private` for a stream): created 0600 from the first byte whatever the
umask, written to a temporary file beside it and renamed into place, so a crash never
leaves half a key or a readable copy. Missing parent directories are created 0700;
:func:`ensure_private_dir` makes a directory CoopNet owns (a store, a bot's folder) 0700.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.canonical import sha256_hex
from coopnet.errors import Ed25519KeyError

logger = logging.getLogger(__name__)

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700
PUBLIC_FILE = 0o644
_OTHERS = 0o077

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

# ================================================================ owner-only files


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it readable by its owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, OWNER_ONLY_DIR)
    return path


def _make_parents(path: Path) -> None:
    """Create the missing ancestors of *path* 0700; existing ones are left as they are."""
    missing = [parent for parent in path.parents if not parent.exists()]
    for parent in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            parent.mkdir(mode=OWNER_ONLY_DIR)


@contextlib.contextmanager
def _atomic_writer(path: Path, mode: int, exclusive: bool) -> Iterator[BinaryIO]:
    _make_parents(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; a public file is widened on purpose
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if *path* exists: never overwrite a key
            tmp.unlink()
        else:
            tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def open_private(path: str | os.PathLike[str], *, exclusive: bool = False) -> Iterator[BinaryIO]:
    """Open an owner-only file for writing as a stream; it appears (0600) only when the
    ``with`` block ends without an exception. ``exclusive`` refuses an existing file
    (``FileExistsError``)."""
    with _atomic_writer(Path(path), OWNER_ONLY_FILE, exclusive) as handle:
        yield handle


def write_private(path: str | os.PathLike[str], data: bytes, *, exclusive: bool = False) -> None:
    """Write *data* to an owner-only file (0600), atomically. ``exclusive`` refuses to
    replace an existing file (``FileExistsError``)."""
    with _atomic_writer(Path(path), OWNER_ONLY_FILE, exclusive) as handle:
        handle.write(data)


def write_public(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file everyone may read (0644: a public key, the signed directory), atomically."""
    with _atomic_writer(Path(path), PUBLIC_FILE, exclusive=False) as handle:
        handle.write(data)


def tighten_private(path: Path) -> None:
    """Make an existing file owner-only, with a warning when it was readable by others."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _OTHERS:
        logger.warning("%s: was readable by others (mode %04o); setting 0600", path, mode)
        os.chmod(path, OWNER_ONLY_FILE)


def create_private_file(path: Path) -> None:
    """Create *path* empty and owner-only for a program that opens it itself (SQLite, a
    log); an existing file is kept and tightened to 0600."""
    _make_parents(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    except FileExistsError:
        tighten_private(path)
        return
    os.fchmod(fd, OWNER_ONLY_FILE)  # in case of an unusual umask
    os.close(fd)


def private_files(directory: Path) -> None:
    """Make every file of *directory* owner-only: libraries (nio's key database, SQLite's
    ``-wal``/``-shm`` files) create theirs with the process umask."""
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mode & _OTHERS:
            path.chmod(OWNER_ONLY_FILE)


def readable_by_others(path: Path) -> int | None:
    """The permission bits of *path* when group or others may read or write it, else None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & _OTHERS else None


# ================================================================ Ed25519 keys


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
        raise Ed25519KeyError("a public key must be 64 hex characters (32 raw bytes)")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def verify_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Return True if *signature* is a valid Ed25519 signature of *message* by *key*."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def generate_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create a new Ed25519 key and write it as PEM to *path* (0600). Refuses to overwrite."""
    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        write_private(path, pem, exclusive=True)
    except FileExistsError:
        raise Ed25519KeyError(
            f"{path}: a key file already exists; refusing to overwrite it"
        ) from None
    except OSError as exc:
        raise Ed25519KeyError(f"{path}: cannot write the key: {exc.strerror}") from exc
    logger.info("generated Ed25519 key %s in %s", key_id(key), path)
    return key


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load a private key from *path*; refuses a file others can read or write."""
    path = Path(path)
    try:
        loose = readable_by_others(path)
        data = path.read_bytes()
    except OSError as exc:
        raise Ed25519KeyError(f"{path}: cannot read the signing key: {exc.strerror}") from exc
    if loose is not None:
        raise Ed25519KeyError(
            f"{path}: the signing key is readable by others (mode {loose:04o}); "
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
            raise Ed25519KeyError(f"{where}: not a readable unencrypted PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise Ed25519KeyError(f"{where}: the PEM key is not an Ed25519 key")
        return key
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    if _HEX64.fullmatch(stripped.decode("ascii", "replace")):
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stripped.decode("ascii")))
    raise Ed25519KeyError(f"{where}: expected a PEM, 32 raw bytes or 64 hex characters Ed25519 key")


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load a public key from a file: PEM, 32 raw bytes or 64 hex characters."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Ed25519KeyError(f"{path}: cannot read the public key: {exc.strerror}") from exc
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped)
        except ValueError as exc:
            raise Ed25519KeyError(f"{path}: not a readable PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise Ed25519KeyError(f"{path}: the PEM key is not an Ed25519 key")
        return key
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    try:
        return public_key_from_hex(stripped.decode("ascii", "replace"))
    except Ed25519KeyError as exc:
        raise Ed25519KeyError(f"{path}: {exc}") from None


def write_public_key(
    key: Ed25519PublicKey | Ed25519PrivateKey, path: str | os.PathLike[str]
) -> None:
    """Write the public key as one line of hex (it is public: mode 0644)."""
    write_public(path, (public_key_hex(key) + "\n").encode("ascii"))


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
