"""Synapse split into worker processes on one host (pure: settings in, config out).

Follows Synapse's documented worker set-up (``docs/workers.md``, Synapse 1.163): the main
process keeps everything not routed elsewhere (media, admin API, to-device, typing,
account data, background jobs); ``synapse.app.generic_worker`` processes take the client
API and inbound federation behind the reverse proxy; federation senders send to the other
members (``federation_sender_instances``); event persisters write the events stream
(``stream_writers``). Redis carries replication between them, PostgreSQL is required.

Every process reads the same ``synapse/config`` directory plus its own file in
``synapse/workers/`` (kept apart so the main process never reads a worker's file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from coopnet.admin.settings import AuthoritySettings
from coopnet.network.synapse_config import rotating_log_config

WORKERS_DIR = Path("synapse") / "workers"
GENERIC_WORKER = "synapse.app.generic_worker"

# Endpoint regexes that Synapse documents for synapse.app.generic_worker (docs/workers.md,
# "synapse.app.generic_worker"), in the documented order. Left on the main process: the
# GET-only extras, room pagination (needs one worker per room), SSO, the admin API (never
# exposed through the proxy) and the stream writers' endpoints (to-device, typing,
# account data, receipts: their writer is the main process here).
SYNC_ROUTES = (
    r"^/_matrix/client/(r0|v3)/sync$",
    r"^/_matrix/client/(api/v1|r0|v3)/events$",
    r"^/_matrix/client/(api/v1|r0|v3)/initialSync$",
    r"^/_matrix/client/(api/v1|r0|v3)/rooms/[^/]+/initialSync$",
)
FEDERATION_ROUTES = (
    r"^/_matrix/federation/v1/version$",
    r"^/_matrix/federation/v1/event/",
    r"^/_matrix/federation/v1/state/",
    r"^/_matrix/federation/v1/state_ids/",
    r"^/_matrix/federation/v1/backfill/",
    r"^/_matrix/federation/v1/get_missing_events/",
    r"^/_matrix/federation/v1/publicRooms",
    r"^/_matrix/federation/v1/query/",
    r"^/_matrix/federation/v1/make_join/",
    r"^/_matrix/federation/v1/make_leave/",
    r"^/_matrix/federation/(v1|v2)/send_join/",
    r"^/_matrix/federation/(v1|v2)/send_leave/",
    r"^/_matrix/federation/v1/make_knock/",
    r"^/_matrix/federation/v1/send_knock/",
    r"^/_matrix/federation/(v1|v2)/invite/",
    r"^/_matrix/federation/v1/event_auth/",
    r"^/_matrix/federation/v1/timestamp_to_event/",
    r"^/_matrix/federation/v1/exchange_third_party_invite/",
    r"^/_matrix/federation/v1/user/devices/",
    r"^/_matrix/key/v2/query",
    r"^/_matrix/federation/v1/hierarchy/",
    # inbound federation transactions (balanced by source address, as documented)
    r"^/_matrix/federation/v1/send/",
)
CLIENT_ROUTES = (
    # client API requests
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/createRoom$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/publicRooms$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/joined_members$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/context/.*$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/members$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state$",
    r"^/_matrix/client/v1/rooms/.*/hierarchy$",
    r"^/_matrix/client/(v1|unstable)/rooms/.*/relations/",
    r"^/_matrix/client/v1/rooms/.*/threads$",
    r"^/_matrix/client/unstable/im.nheko.summary/summary/.*$",
    r"^/_matrix/client/v1/room_summary/.*$",
    r"^/_matrix/client/(r0|v3|unstable)/account/3pid$",
    r"^/_matrix/client/(r0|v3|unstable)/account/whoami$",
    r"^/_matrix/client/(r0|v3|unstable)/account/deactivate$",
    r"^/_matrix/client/(r0|v3)/delete_devices$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/devices(/|$)",
    r"^/_matrix/client/versions$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/voip/turnServer$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/event/",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/joined_rooms$",
    r"^/_matrix/client/v1/rooms/.*/timestamp_to_event$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/search$",
    r"^/_matrix/client/(r0|v3|unstable)/user/.*/filter(/|$)",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/directory/room/.*$",
    r"^/_matrix/client/(r0|v3|unstable)/capabilities$",
    r"^/_matrix/client/(r0|v3|unstable)/notifications$",
    # encryption requests
    r"^/_matrix/client/(r0|v3|unstable)/keys/query$",
    r"^/_matrix/client/(r0|v3|unstable)/keys/changes$",
    r"^/_matrix/client/(r0|v3|unstable)/keys/claim$",
    r"^/_matrix/client/(r0|v3|unstable)/room_keys/",
    r"^/_matrix/client/(r0|v3|unstable)/keys/upload",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/keys/device_signing/upload$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/keys/signatures/upload$",
    # registration and login
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/login$",
    r"^/_matrix/client/(r0|v3|unstable)/register$",
    r"^/_matrix/client/(r0|v3|unstable)/register/available$",
    r"^/_matrix/client/v1/register/m.login.registration_token/validity$",
    r"^/_matrix/client/(r0|v3|unstable)/password_policy$",
    # event sending
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/redact",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/send",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state/",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/join/",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/knock/",
    r"^/_matrix/client/(api/v1|r0|v3|unstable)/profile/",
    # user directory search
    r"^/_matrix/client/(r0|v3|unstable)/user_directory/search$",
)

# nginx upstream names (one per kind of worker, plus the main process).
MAIN_UPSTREAM = "coopnet_main"
CLIENT_UPSTREAM = "coopnet_client"
FEDERATION_UPSTREAM = "coopnet_federation"


@dataclass(frozen=True)
class Worker:
    name: str
    kind: str  # "client" | "federation" | "federation_sender" | "event_persister"
    metrics_port: int
    http_port: int | None = None  # client or federation resources, behind the proxy
    replication_port: int | None = None  # event persisters: other processes call them

    @property
    def config_file(self) -> Path:
        return WORKERS_DIR / f"{self.name}.yaml"

    @property
    def log_config_file(self) -> Path:
        return WORKERS_DIR / f"{self.name}.log.config"


def local_host(s: AuthoritySettings) -> str:
    """Where the processes of one host reach each other."""
    return "127.0.0.1" if s.bind_address in ("0.0.0.0", "::") else s.bind_address


def plan(s: AuthoritySettings) -> list[Worker]:
    """The worker processes of ``s``, with their names and ports (empty: one process)."""
    w = s.workers
    http = iter(range(w.http_base_port, 65536))
    replication = iter(range(w.replication_port + 1, 65536))
    metrics = iter(range(s.metrics_port + 1, 65536))
    workers: list[Worker] = []
    for i in range(1, w.client + 1):
        workers.append(Worker(f"client{i}", "client", next(metrics), http_port=next(http)))
    for i in range(1, w.federation + 1):
        workers.append(Worker(f"federation{i}", "federation", next(metrics), http_port=next(http)))
    for i in range(1, w.federation_senders + 1):
        workers.append(Worker(f"federation_sender{i}", "federation_sender", next(metrics)))
    for i in range(1, w.event_persisters + 1):
        workers.append(
            Worker(
                f"event_persister{i}",
                "event_persister",
                next(metrics),
                replication_port=next(replication),
            )
        )
    return workers


def ports(s: AuthoritySettings) -> list[int]:
    """Every port the worker profile listens on (main replication included)."""
    if not s.workers.enabled:
        return []
    used = [s.workers.replication_port]
    for worker in plan(s):
        used += [worker.metrics_port]
        used += [p for p in (worker.http_port, worker.replication_port) if p is not None]
    return used


def shared_config(s: AuthoritySettings, replication_secret: str) -> dict[str, Any]:
    """What homeserver.yaml gains for workers (every process reads it)."""
    workers = plan(s)
    host = local_host(s)
    instance_map: dict[str, Any] = {"main": {"host": host, "port": s.workers.replication_port}}
    for worker in workers:
        if worker.replication_port is not None:
            instance_map[worker.name] = {"host": host, "port": worker.replication_port}
    config: dict[str, Any] = {
        # Replication is plain HTTP between the processes of this host: never expose it.
        "worker_replication_secret": replication_secret,
        "redis": {"enabled": True, "host": s.workers.redis_host, "port": s.workers.redis_port},
        "instance_map": instance_map,
    }
    senders = [w.name for w in workers if w.kind == "federation_sender"]
    if senders:
        # The main process stops sending; destinations are hashed to the senders.
        config["federation_sender_instances"] = senders
    persisters = [w.name for w in workers if w.kind == "event_persister"]
    if persisters:
        config["stream_writers"] = {"events": persisters}
    return config


def replication_listener(s: AuthoritySettings) -> dict[str, Any]:
    """The main process's replication listener (on the host only, never proxied)."""
    return {
        "port": s.workers.replication_port,
        "bind_addresses": [local_host(s)],
        "type": "http",
        "resources": [{"names": ["replication"]}],
    }


def worker_config(s: AuthoritySettings, worker: Worker) -> dict[str, Any]:
    """``synapse/workers/NAME.yaml``: read after ``synapse/config`` by that process."""
    root = s.root_path
    listeners: list[dict[str, Any]] = []
    if worker.http_port is not None:
        names = ["client"] if worker.kind == "client" else ["federation"]
        listeners.append(
            {
                "type": "http",
                "port": worker.http_port,
                "bind_addresses": [local_host(s)],
                "x_forwarded": True,
                "resources": [{"names": names}],
            }
        )
    if worker.replication_port is not None:
        listeners.append(
            {
                "type": "http",
                "port": worker.replication_port,
                "bind_addresses": [local_host(s)],
                "resources": [{"names": ["replication"]}],
            }
        )
    listeners.append(
        {"type": "metrics", "port": worker.metrics_port, "bind_addresses": [local_host(s)]}
    )
    return {
        "worker_app": GENERIC_WORKER,
        "worker_name": worker.name,
        "worker_listeners": listeners,
        "worker_log_config": str(root / PurePosixPath(worker.log_config_file.as_posix())),
    }


def worker_log_config(s: AuthoritySettings, worker: Worker) -> dict[str, Any]:
    return rotating_log_config(
        s.root_path / "data" / "synapse" / f"{worker.name}.log",
        max_bytes=50_000_000,
        backup_count=10,
    )


def _map_block(variable: str, routes: list[tuple[str, str]]) -> str:
    lines = [f"map $uri ${variable} {{", f"    default {MAIN_UPSTREAM};"]
    lines += [f'    "~{regex}" {upstream};' for regex, upstream in routes]
    return "\n".join(lines) + "\n}\n"


def nginx_routing(s: AuthoritySettings, main: str) -> str:
    """nginx ``map`` and ``upstream`` blocks sending each documented endpoint to its
    workers (everything else to ``main``, the main process's ``host:port``)."""
    workers = plan(s)
    host = local_host(s)
    client = [w for w in workers if w.kind == "client"]
    federation = [w for w in workers if w.kind == "federation"]
    routes: list[tuple[str, str]] = []
    if client:
        routes += [(r, CLIENT_UPSTREAM) for r in SYNC_ROUTES + CLIENT_ROUTES]
    if federation:
        routes += [(r, FEDERATION_UPSTREAM) for r in FEDERATION_ROUTES]
    parts = [
        "# Workers: Synapse's documented endpoint lists (docs/workers.md) routed to the\n"
        "# processes that serve them; anything else goes to the main process.\n",
        _map_block("coopnet_upstream", routes),
        f"upstream {MAIN_UPSTREAM} {{\n    server {main};\n    keepalive 16;\n}}\n",
    ]
    if client:
        # One officer's requests stay on one worker (sync caches; docs/workers.md, "Load
        # balancing"): the hash key is the user part of the access token.
        parts.append(
            "map $http_authorization $coopnet_user {\n"
            "    default $http_authorization;\n"
            '    "~Bearer syt_(?<username>.*?)_.*" $username;\n'
            "}\n"
        )
        servers = "".join(f"    server {host}:{w.http_port};\n" for w in client)
        parts.append(
            f"upstream {CLIENT_UPSTREAM} {{\n    hash $coopnet_user consistent;\n"
            f"{servers}    keepalive 16;\n}}\n"
        )
    if federation:
        # Transactions from one remote server go to one process (documented).
        servers = "".join(f"    server {host}:{w.http_port};\n" for w in federation)
        parts.append(
            f"upstream {FEDERATION_UPSTREAM} {{\n    hash $remote_addr consistent;\n"
            f"{servers}    keepalive 16;\n}}\n"
        )
    return "\n".join(parts)
