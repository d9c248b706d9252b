"""One authority's deployment settings, ``AUTHORITY_DIR/authority.json`` (no secrets).

Every file ``add-authority`` renders follows from these settings, the steward's member
list and the authority's secrets (which live only in the 0600 files that need them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from coopnet.datafile import (
    Boolean,
    FileRecord,
    Integer,
    Nested,
    Text,
    format_version,
    load_json,
    spec,
)
from coopnet.keys import write_private
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES

AUTHORITY_FILE = "authority.json"
FORMAT_VERSION = 1
TARGETS = ("compose", "host")
TLS_TERMINATION = ("proxy", "synapse")
# Where the bundle is mounted inside the containers of deploy/compose.yaml.
COMPOSE_ROOT = "/coopnet"


_PORT = Integer(1, 65535)
_NAME = Text(255)
_LABEL = Text(255, min_len=0)


@dataclass(frozen=True)
class DatabaseSettings(FileRecord):
    OPEN: ClassVar[bool] = False
    host: str = spec(_NAME, default="postgres")
    port: int = spec(_PORT, default=5432)
    name: str = spec(_NAME, default="synapse")
    user: str = spec(_NAME, default="synapse")


_COUNT = Integer(0, 32)


@dataclass(frozen=True)
class WorkerSettings(FileRecord):
    """How many Synapse worker processes of each kind (all 0: one process, no Redis).

    The kinds follow Synapse's documented worker set-up (``docs/workers.md``): generic
    workers for the client API and for inbound federation, federation senders for
    outbound federation, event persisters writing the events stream.
    """

    OPEN: ClassVar[bool] = False
    client: int = spec(_COUNT, default=0)
    federation: int = spec(_COUNT, default=0)
    federation_senders: int = spec(_COUNT, default=0)
    event_persisters: int = spec(_COUNT, default=0)
    # Ports: workers' HTTP listeners count up from http_base_port, the replication
    # listeners (main process first, then event persisters) from replication_port.
    http_base_port: int = spec(_PORT, default=8081)
    replication_port: int = spec(_PORT, default=9093)
    redis_host: str = spec(_NAME, default="127.0.0.1")
    redis_port: int = spec(_PORT, default=6379)

    @property
    def enabled(self) -> bool:
        return self.client + self.federation + self.federation_senders + self.event_persisters > 0


@dataclass(frozen=True)
class AuthoritySettings(FileRecord):
    OPEN: ClassVar[bool] = False
    id: str = spec(Text(32))
    server_name: str = spec(_NAME)
    public_host: str = spec(_NAME)  # the host name clients and the reverse proxy answer to
    state: str = spec(_LABEL, default="")
    name: str = spec(_LABEL, default="")
    certificates: str = spec(Text(choices=("network-ca", "public")), default="network-ca")
    target: str = spec(Text(choices=TARGETS), default="compose")  # "compose" | "host"
    # who terminates TLS: the reverse proxy, or Synapse itself
    tls: str = spec(Text(choices=TLS_TERMINATION), default="proxy")
    root: str = spec(Text(4096), default=COMPOSE_ROOT)  # where the bundle lives where Synapse runs
    bind_address: str = spec(_NAME, default="0.0.0.0")
    client_port: int = spec(_PORT, default=8008)
    federation_port: int = spec(_PORT, default=8448)
    metrics_port: int = spec(_PORT, default=9000)
    # where `coopnet admin` reaches Synapse
    admin_url: str = spec(Text(2048), default="http://127.0.0.1:8008")
    database: DatabaseSettings = spec(Nested(DatabaseSettings), default_factory=DatabaseSettings)
    retention_days: int = spec(Integer(1, 1_000_000), default=730)
    # The largest document officers may send (bytes): Synapse's max_upload_size and the
    # proxy's body limit; the same number as the network's (network.json).
    max_document_bytes: int = spec(Integer(1, 1 << 40), default=DEFAULT_MAX_DOCUMENT_BYTES)
    # one-machine lab: IP-literal server names, loopback federation
    lab: bool = spec(Boolean(), default=False)
    # Synapse split into worker processes with Redis (deploy/README.md, "Workers").
    workers: WorkerSettings = spec(Nested(WorkerSettings), default_factory=WorkerSettings)
    version: int = format_version(FORMAT_VERSION)

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


def load_settings(directory: Path) -> AuthoritySettings:
    hint = f"is {directory} an authority directory made by 'coopnet admin add-authority --out DIR'?"
    return load_json(directory / AUTHORITY_FILE, AuthoritySettings, hint)
