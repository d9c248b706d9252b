"""One authority's deployment settings, ``AUTHORITY_DIR/authority.json`` (no secrets).

Every file ``add-authority`` renders follows from these settings, the steward's member
list and the authority's secrets (which live only in the 0600 files that need them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from coopnet.errors import AdminError
from coopnet.keys import write_private

AUTHORITY_FILE = "authority.json"
FORMAT_VERSION = 1
TARGETS = ("compose", "host")
TLS_TERMINATION = ("proxy", "synapse")
# Where the bundle is mounted inside the containers of deploy/compose.yaml.
COMPOSE_ROOT = "/coopnet"


@dataclass(frozen=True)
class DatabaseSettings:
    host: str = "postgres"
    port: int = 5432
    name: str = "synapse"
    user: str = "synapse"


@dataclass(frozen=True)
class AuthoritySettings:
    id: str
    server_name: str
    public_host: str  # the host name clients and the reverse proxy answer to
    state: str = ""
    name: str = ""
    certificates: str = "network-ca"  # "network-ca" | "public"
    target: str = "compose"  # "compose" | "host"
    tls: str = "proxy"  # who terminates TLS: the reverse proxy, or Synapse itself
    root: str = COMPOSE_ROOT  # where the bundle lives where Synapse runs
    bind_address: str = "0.0.0.0"
    client_port: int = 8008
    federation_port: int = 8448
    metrics_port: int = 9000
    admin_url: str = "http://127.0.0.1:8008"  # where `coopnet admin` reaches Synapse
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    retention_days: int = 730
    lab: bool = False  # one-machine lab: IP-literal server names, loopback federation

    @property
    def root_path(self) -> PurePosixPath:
        return PurePosixPath(self.root)

    @property
    def bot_user_id(self) -> str:
        return f"@bot:{self.server_name}"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, **asdict(self)}

    def save(self, directory: Path) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_private(directory / AUTHORITY_FILE, text.encode())


def parse_settings(data: Any, where: str) -> AuthoritySettings:
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise AdminError(f"{where}: not a CoopNet authority file (version {FORMAT_VERSION})")
    fields = {k: v for k, v in data.items() if k != "version"}
    database = fields.pop("database", {})
    try:
        settings = AuthoritySettings(
            **fields, database=DatabaseSettings(**(database if isinstance(database, dict) else {}))
        )
    except TypeError as exc:
        raise AdminError(f"{where}: {exc}") from None
    if settings.target not in TARGETS or settings.tls not in TLS_TERMINATION:
        raise AdminError(f"{where}: target must be one of {TARGETS}, tls one of {TLS_TERMINATION}")
    return settings


def load_settings(directory: Path) -> AuthoritySettings:
    path = directory / AUTHORITY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdminError(
            f"{path} does not exist: is {directory} an authority directory made by "
            "'coopnet admin add-authority --out DIR'?"
        ) from None
    except (OSError, ValueError) as exc:
        raise AdminError(f"cannot read {path}: {exc}") from None
    return parse_settings(data, str(path))
