"""Files of the trust model: the signed directory, the steward's key, the accepted version.

Every program that acts on the directory keeps its own *accepted-version* file and goes
through :func:`load_verified`, which refuses a rollback and remembers what it accepted.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.datafile import BadFileError, decode_json, load_json, read_text
from coopnet.errors import CoopNetError
from coopnet.keys import (
    ensure_private_dir,
    generate_signing_key,
    load_signing_key,
    public_key_hex,
    write_private,
    write_public,
)
from coopnet.trust.directory import Directory, next_version
from coopnet.trust.errors import DirectoryRefused, TrustError
from coopnet.trust.signing import (
    Accepted,
    accepted_of,
    dumps_signed,
    sign_directory,
    verify_document,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- steward key
def create_steward_key(path: Path) -> Ed25519PrivateKey:
    """A new steward key in ``path`` (0600, in a 0700 directory); refuses to overwrite."""
    ensure_private_dir(path.parent)
    return generate_signing_key(path)


def load_steward_key(path: Path) -> Ed25519PrivateKey:
    """The steward's private key; a missing, unreadable or malformed key file (or one
    others can read) is a :class:`BadFileError`."""
    try:
        return load_signing_key(path)
    except CoopNetError as exc:  # the key reader's message starts with the file's name
        raise BadFileError(str(path), str(exc).removeprefix(f"{path}: ")) from None


def steward_public_key(key: Ed25519PrivateKey) -> str:
    return public_key_hex(key)


# ---------------------------------------------------------------- accepted version
def read_accepted(path: Path) -> Accepted | None:
    """The version last accepted, None before the first one; a damaged file is a
    :class:`BadFileError` (remove it to accept afresh)."""
    if not path.exists():
        return None
    return load_json(path, Accepted)


def write_accepted(path: Path, accepted: Accepted) -> None:
    write_private(path, (json.dumps(accepted.to_json()) + "\n").encode())


# ---------------------------------------------------------------- the signed file
def read_signed(path: Path) -> tuple[str, Any]:
    """The text of a signed document file and its decoded JSON (a bad file is a
    :class:`BadFileError` naming where it breaks)."""
    text = read_text(path, "no signed directory there")
    return text, decode_json(text, str(path))


def verify_file(path: Path, steward_key: str, accepted: Accepted | None = None) -> Directory:
    """Verify the signed directory file at ``path``; a refusal names the file."""
    _, document = read_signed(path)
    try:
        return verify_document(document, steward_key, accepted)
    except DirectoryRefused as exc:
        raise exc.in_file(path) from None


def read_steward_key_file(path: Path) -> str:
    """The steward's public key from its file (``steward.pub``): 64 hex characters."""
    text = read_text(path, "the steward's public key file").strip().lower()
    if not _HEX64.fullmatch(text):
        raise BadFileError(str(path), "expected the steward's public key (64 hex characters)")
    return text


def read_steward_key(value: str) -> str:
    """The steward's public key given as 64 hex characters, or as a file holding them
    (``steward.pub``)."""
    text = value.strip()
    if len(text) == 64 and not Path(value).is_file():
        if not _HEX64.fullmatch(text.lower()):
            raise TrustError(f"the steward's public key {value!r}: expected 64 hex characters")
        return text.lower()
    return read_steward_key_file(Path(value))


def load_verified(
    path: Path, steward_key: str, accepted_path: Path | None = None, remember: bool = True
) -> Directory:
    """Read and verify the signed directory at ``path``.

    With ``accepted_path``, refuse a version older than the one recorded there and,
    when ``remember``, record this one as accepted.
    """
    accepted = read_accepted(accepted_path) if accepted_path else None
    directory = verify_file(path, steward_key, accepted)
    if accepted_path is not None and remember:
        new = accepted_of(directory)
        if new != accepted:
            write_accepted(accepted_path, new)
    return directory


def publish(
    directory: Directory,
    key: Ed25519PrivateKey,
    path: Path,
    accepted_path: Path | None = None,
) -> dict[str, object]:
    """Sign ``directory`` and write it to ``path`` (0644: it is public); return the document."""
    document = sign_directory(directory, key)
    write_public(path, dumps_signed(document))
    if accepted_path is not None:
        write_accepted(accepted_path, accepted_of(directory))
    return document


def republish(
    new: Directory, key: Ed25519PrivateKey, path: Path, accepted_path: Path | None = None
) -> Directory:
    """Publish an edited directory as the next version (issued now)."""
    signed = next_version(new, now_iso())
    publish(signed, key, path, accepted_path)
    return signed
