"""A device's login, kept so that every later start restores the same device.

``login()`` creates a new device each time; CoopNet logs in once per account and
store, then restores. The file sits in the account's store directory (0700), 0600.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from coopnet.datafile import FileRecord, Text, load_json, spec
from coopnet.errors import BadFileError

SESSION_FILE = "session.json"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_files(directory: Path) -> None:
    """Make the files of a device store owner-only: nio creates its key database with the
    process umask (0644 by default), inside the 0700 store."""
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


@dataclass(frozen=True)
class StoredSession(FileRecord):
    homeserver: str = spec(Text(2048))
    user_id: str = spec(Text(255))
    device_id: str = spec(Text(255))
    access_token: str = spec(Text(4096))

    @classmethod
    def load(cls, store_dir: Path) -> StoredSession | None:
        """The stored login, None before the first; a damaged file is a
        :class:`BadFileError`."""
        path = store_dir / SESSION_FILE
        if not path.exists():
            return None
        try:
            return load_json(path, cls)
        except BadFileError as exc:
            raise BadFileError(
                exc.file, f"{exc.detail}; remove it to log in again as a new device"
            ) from None

    def save(self, store_dir: Path) -> None:
        ensure_private_dir(store_dir)
        path = store_dir / SESSION_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle)
