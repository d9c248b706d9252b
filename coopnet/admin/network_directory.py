"""The steward's signed network directory, as the admin commands use it (no homeserver).

A thin layer over :mod:`coopnet.trust`: the same signed format, verification and
rollback protection as the local network and every bot and client; only the file
locations (``STEWARD/directory/``) and the defaults of a new entry are the admin's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.network.catalogue import describe
from coopnet.trust import directory as d
from coopnet.trust.store import load_verified, now_iso, publish, republish, steward_public_key

DIRECTORY_FILE = "directory.json"
ACCEPTED_FILE = "accepted.json"

Edit = Callable[[d.Directory], d.Directory]

__all__ = [
    "ACCEPTED_FILE",
    "DIRECTORY_FILE",
    "Edit",
    "authority_entry",
    "load",
    "now_iso",
    "publish_first",
    "republish_edit",
]


def authority_entry(
    authority_id: str,
    server_name: str,
    state: str = "",
    name: str = "",
    languages: tuple[str, ...] = ("en",),
    bot_user_id: str | None = None,
) -> d.Authority:
    """A new member's directory entry; the State and name default to neutral placeholders
    (``coopnet directory show`` tells the steward what to complete)."""
    return d.Authority(
        id=authority_id,
        state=state.strip() or describe(authority_id).state,
        name=name.strip() or f"Central authority {authority_id.upper()} ({server_name})",
        server_name=server_name,
        areas=d.AREAS,
        languages=languages or ("en",),
        bot=d.Member(bot_user_id, "consultation bot") if bot_user_id else None,
    )


def load(path: Path, steward_key: str, accepted: Path) -> d.Directory:
    """The signed directory at ``path``, verified (signature, no rollback)."""
    return load_verified(path, steward_key, accepted)


def publish_first(
    directory: d.Directory, key: Ed25519PrivateKey, path: Path, accepted: Path
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    publish(d.parse_directory(directory.to_json()), key, path, accepted)


def republish_edit(path: Path, key: Ed25519PrivateKey, accepted: Path, change: Edit) -> d.Directory:
    """Verify the current directory, apply ``change``, sign it as the next version."""
    current = load_verified(path, steward_public_key(key), accepted)
    updated = change(current)
    if updated == current:
        return current
    return republish(updated, key, path, accepted)
