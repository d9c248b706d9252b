"""A device's login, kept so that every later start restores the same device.

``login()`` creates a new device each time; CoopNet logs in once per account and
store, then restores. The file sits in the account's store directory (0700), 0600.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from coopnet.errors import MatrixError

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
class StoredSession:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str

    @classmethod
    def load(cls, store_dir: Path) -> StoredSession | None:
        path = store_dir / SESSION_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                homeserver=str(data["homeserver"]),
                user_id=str(data["user_id"]),
                device_id=str(data["device_id"]),
                access_token=str(data["access_token"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise MatrixError(
                f"{path} is corrupt ({exc}); remove it to log in again as a new device"
            ) from None

    def save(self, store_dir: Path) -> None:
        ensure_private_dir(store_dir)
        path = store_dir / SESSION_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle)
