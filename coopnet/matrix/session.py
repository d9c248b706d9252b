"""A device's login, kept so that every later start restores the same device.

``login()`` creates a new device each time; CoopNet logs in once per account and
store, then restores. The file sits in the account's store directory (0700), 0600.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from coopnet.datafile import FileRecord, Text, load_json, spec
from coopnet.errors import BadFileError
from coopnet.keys import ensure_private_dir, write_private

SESSION_FILE = "session.json"


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
        write_private(path, json.dumps(asdict(self)).encode("utf-8"))
