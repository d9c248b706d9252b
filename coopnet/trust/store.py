"""Files of the trust model: the signed directory, the steward's key, the accepted version.

Every program that acts on the directory keeps its own *accepted-version* file and goes
through :func:`load_verified`, which refuses a rollback and remembers what it accepted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import (
    ensure_private_dir,
    generate_signing_key,
    load_signing_key,
    public_key_hex,
    write_private,
    write_public,
)
from coopnet.trust.directory import Directory, next_version
from coopnet.trust.errors import TrustError
from coopnet.trust.signing import (
    Accepted,
    accepted_of,
    dumps_signed,
    sign_directory,
    verify_bytes,
)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- steward key
def create_steward_key(path: Path) -> Ed25519PrivateKey:
    """A new steward key in ``path`` (0600, in a 0700 directory); refuses to overwrite."""
    ensure_private_dir(path.parent)
    return generate_signing_key(path)


def load_steward_key(path: Path) -> Ed25519PrivateKey:
    return load_signing_key(path)


def steward_public_key(key: Ed25519PrivateKey) -> str:
    return public_key_hex(key)


# ---------------------------------------------------------------- accepted version
def read_accepted(path: Path) -> Accepted | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TrustError(f"{path}: cannot read the accepted directory version ({exc})") from None
    return Accepted.from_json(data)


def write_accepted(path: Path, accepted: Accepted) -> None:
    write_private(path, (json.dumps(accepted.to_json()) + "\n").encode())


# ---------------------------------------------------------------- the signed file
def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrustError(f"cannot read the directory {path}: {exc.strerror}") from None


def read_steward_key(value: str) -> str:
    """The steward's public key given as 64 hex characters, or as a file holding them
    (``steward.pub``)."""
    text = value.strip()
    if len(text) != 64 or Path(text).is_file():
        try:
            text = Path(value).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TrustError(
                f"the steward's public key {value!r}: neither 64 hex characters nor a "
                f"readable file ({exc})"
            ) from None
    try:
        bytes.fromhex(text)
    except ValueError:
        text = ""
    if len(text) != 64:
        raise TrustError(f"the steward's public key {value!r}: expected 64 hex characters")
    return text.lower()


def load_verified(
    path: Path, steward_key: str, accepted_path: Path | None = None, remember: bool = True
) -> Directory:
    """Read and verify the signed directory at ``path``.

    With ``accepted_path``, refuse a version older than the one recorded there and,
    when ``remember``, record this one as accepted.
    """
    accepted = read_accepted(accepted_path) if accepted_path else None
    directory = verify_bytes(read_bytes(path), steward_key, accepted)
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
