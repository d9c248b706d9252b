"""A device's login, kept so that every later start restores the same device.

``login()`` creates a new device each time; CoopNet logs in once per account and
store, then restores. The file sits in the account's store directory (0700), 0600.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from coopnet.errors import MatrixError
from coopnet.keys import ensure_private_dir, write_private

SESSION_FILE = "session.json"


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
        write_private(path, json.dumps(asdict(self)).encode("utf-8"))
