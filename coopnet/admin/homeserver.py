"""Render an authority's production Synapse configuration (pure: data in, data out).

Two files in ``synapse/config/`` (Synapse reads every ``*.yaml`` of a ``--config-path``
directory): ``homeserver.yaml`` (secrets, 0600) and ``federation.yaml`` (only the
allowlist, so that a change of members replaces one small file). What makes the server
part of a *closed* network is shared with the local network
(:data:`coopnet.network.synapse_config.CLOSED_NETWORK`), and so is the federation gate
(:mod:`coopnet.federation_gate`), which enforces the installed signed directory between
restarts: the allowlist is read only when Synapse starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from coopnet import federation_gate
from coopnet.admin import workers
from coopnet.admin.network_directory import DIRECTORY_FILE
from coopnet.admin.settings import AuthoritySettings
from coopnet.network.synapse_config import CLOSED_NETWORK, new_secret, rotating_log_config
from coopnet.protocol.attachment import homeserver_upload_limit

# Production rate limits: Synapse's defaults are tuned for open servers with strangers;
# a closed network of known officers can allow more, but still limits a stolen account.
# The bot is exempted per user (see deploy/README.md, "Officers and the bot").
PRODUCTION_RATE_LIMITS: dict[str, Any] = {
    "rc_message": {"per_second": 2, "burst_count": 30},
    "rc_login": {
        "address": {"per_second": 0.2, "burst_count": 5},
        "account": {"per_second": 0.2, "burst_count": 5},
        "failed_attempts": {"per_second": 0.1, "burst_count": 5},
    },
    "rc_federation": {
        "window_size": 1000,
        "sleep_limit": 50,
        "sleep_delay": 250,
        "reject_limit": 200,
        "concurrent": 10,
    },
}


@dataclass(frozen=True)
class Secrets:
    registration_shared_secret: str
    macaroon_secret_key: str
    form_secret: str
    database_password: str
    worker_replication_secret: str

    @classmethod
    def generate(cls) -> Secrets:
        return cls(new_secret(), new_secret(), new_secret(), new_secret(), new_secret())


def _listeners(s: AuthoritySettings) -> list[dict[str, Any]]:
    if s.tls == "proxy":
        # One plain listener behind the reverse proxy, which terminates TLS for both the
        # client API (443) and federation (8448) and sets X-Forwarded-For.
        listeners = [
            {
                "port": s.client_port,
                "bind_addresses": [s.bind_address],
                "type": "http",
                "tls": False,
                "x_forwarded": True,
                "resources": [{"names": ["client", "federation"], "compress": False}],
            }
        ]
    else:
        # Synapse terminates federation TLS itself with the network certificate.
        listeners = [
            {
                "port": s.client_port,
                "bind_addresses": [s.bind_address],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            },
            {
                "port": s.federation_port,
                "bind_addresses": [s.bind_address],
                "type": "http",
                "tls": True,
                "resources": [{"names": ["federation"], "compress": False}],
            },
        ]
    # Prometheus metrics, never exposed through the reverse proxy.
    listeners.append(
        {"port": s.metrics_port, "bind_addresses": [s.bind_address], "type": "metrics"}
    )
    if s.workers.enabled:
        listeners.append(workers.replication_listener(s))
    return listeners


def public_baseurl(s: AuthoritySettings) -> str:
    if s.lab:
        return f"http://{s.public_host}:{s.client_port}/"
    return f"https://{s.public_host}/"


def directory_path(s: AuthoritySettings) -> PurePosixPath:
    """Where Synapse reads the signed directory that ``publish-directory`` installs."""
    return s.root_path / "directory" / DIRECTORY_FILE


def gate_config(s: AuthoritySettings, steward_key: str) -> dict[str, Any]:
    """The ``modules:`` entry of the federation gate: the installed directory, verified
    against the steward key pinned when the authority was added (hex, in the file)."""
    return federation_gate.module_config(directory_path(s), steward_key)


def homeserver_config(s: AuthoritySettings, secrets: Secrets, steward_key: str) -> dict[str, Any]:
    """homeserver.yaml for one authority in production (every worker process reads it
    too, so each loads the federation gate: Synapse starts a process's modules whatever
    its kind, and the inbound federation and client workers are the ones that call it)."""
    root = s.root_path
    days = s.retention_days
    config: dict[str, Any] = {
        "server_name": s.server_name,
        "public_baseurl": public_baseurl(s),
        "pid_file": str(root / "data" / "synapse" / "homeserver.pid"),
        "listeners": _listeners(s),
        "database": {
            "name": "psycopg2",
            "txn_limit": 10000,
            "args": {
                "user": s.database.user,
                "password": secrets.database_password,
                "dbname": s.database.name,
                "host": s.database.host,
                "port": s.database.port,
                "cp_min": 5,
                "cp_max": 10,
                "keepalives_idle": 10,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        },
        "log_config": str(root / "synapse" / "log.config"),
        "media_store_path": str(root / "data" / "synapse" / "media_store"),
        "signing_key_path": str(root / "synapse" / "signing.key"),
        "registration_shared_secret": secrets.registration_shared_secret,
        "macaroon_secret_key": secrets.macaroon_secret_key,
        "form_secret": secrets.form_secret,
        **CLOSED_NETWORK,
        "federation_verify_certificates": True,
        "federation_client_minimum_tls_version": "1.2",
        # No room is ever published in a room directory; nothing to browse for outsiders.
        "room_list_publication_rules": [{"action": "deny"}],
        "require_auth_for_profile_requests": True,
        "limit_profile_requests_to_users_who_share_rooms": True,
        "allow_device_name_lookup_over_federation": False,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "max_upload_size": homeserver_upload_limit(s.max_document_bytes),
        # A bot fetches every document the other authorities send (Synapse's default:
        # 500 MiB, then 87 KiB/s per address): room for a day's files at a time.
        "remote_media_download_burst_count": 50 * s.max_document_bytes,
        "remote_media_download_per_second": "10M",
        "enable_metrics": True,
        # Retention: the consultation record kept by the bot is the archive; the homeserver
        # forgets old events, redacted content and client IPs on a schedule.
        "retention": {
            "enabled": True,
            "default_policy": {"min_lifetime": "1d", "max_lifetime": f"{days}d"},
            "allowed_lifetime_min": "1d",
            "allowed_lifetime_max": f"{max(days, 3650)}d",
            "purge_jobs": [{"interval": "1d"}],
        },
        "redaction_retention_period": "7d",
        "user_ips_max_age": "28d",
        "media_retention": {"remote_media_lifetime": "90d"},
        **PRODUCTION_RATE_LIMITS,
        "modules": [gate_config(s, steward_key)],
    }
    if s.tls == "synapse":
        config["tls_certificate_path"] = str(root / "tls" / "federation.crt")
        config["tls_private_key_path"] = str(root / "tls" / "federation.key")
    if s.certificates == "network-ca":
        # Federation trusts the network CA only (this list replaces the system's roots).
        config["federation_custom_ca_list"] = [str(root / "tls" / "network-ca.crt")]
    if s.workers.enabled:
        config.update(workers.shared_config(s, secrets.worker_replication_secret))
    if s.lab:
        # Lab on one machine: the members are loopback addresses, which Synapse blocks by
        # default. A production server with DNS names keeps the default blocklist.
        config["ip_range_blacklist"] = []
    return config


def federation_config(members: list[str]) -> dict[str, Any]:
    """federation.yaml: exactly the network's members (this server included)."""
    return {"federation_domain_whitelist": sorted(set(members))}


def log_config(s: AuthoritySettings) -> dict[str, Any]:
    """Size-rotated log file (10 x 50 MB); journald/docker logs get Synapse's stderr too."""
    return rotating_log_config(
        s.root_path / "data" / "synapse" / "homeserver.log",
        max_bytes=50_000_000,
        backup_count=10,
    )
