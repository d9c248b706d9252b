"""Render one authority's Synapse configuration for the local network (pure: data in, data out).

Why each non-default setting is there is said next to it; DESIGN.md ("Matrix facts")
records what was checked on this machine.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path, PurePath
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.network.model import Authority
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES, homeserver_upload_limit

# Bots and load tests send in bursts; Synapse's defaults (0.2 msg/s) would throttle them.
_GENEROUS = {"per_second": 1000, "burst_count": 1000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": _GENEROUS,
    "rc_registration": _GENEROUS,
    "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
    "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
    "rc_joins_per_room": _GENEROUS,
    "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
    "rc_room_creation": _GENEROUS,
    "rc_key_requests": _GENEROUS,
    "rc_profile": _GENEROUS,
    # Fetching the other authorities' documents (default: 500 MiB, then 87 KiB/s per IP).
    "remote_media_download_burst_count": "100G",
    "remote_media_download_per_second": "1G",
    "rc_federation": {
        "window_size": 1000,
        "sleep_limit": 1000,
        "sleep_delay": 10,
        "reject_limit": 1000,
        "concurrent": 100,
    },
}


# What makes a homeserver part of a closed network rather than the open Matrix federation;
# the local network and the production configuration (coopnet.admin) share it.
CLOSED_NETWORK: dict[str, Any] = {
    # Only the network's own servers are asked for keys (the default asks matrix.org).
    "trusted_key_servers": [],
    "suppress_key_server_warning": True,
    "enable_registration": False,
    "report_stats": False,
    "allow_guest_access": False,
    "allow_public_rooms_over_federation": False,
    "allow_public_rooms_without_auth": False,
    "encryption_enabled_by_default_for_room_type": "all",
}


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def signing_key_line() -> str:
    """A Synapse signing key file line: ``ed25519 <key id> <unpadded base64 seed>``."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    key_id = "a_" + secrets.token_hex(2)
    return f"ed25519 {key_id} {base64.b64encode(seed).decode().rstrip('=')}\n"


def local_homeserver_config(
    authority: Authority,
    federation_whitelist: list[str] | None,
    ca_cert: Path,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    gate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The homeserver.yaml content for one authority of a local network (on loopback).

    ``federation_whitelist`` is the exact list of server names it federates with;
    ``None`` means no allowlist (used only for a non-member test server). ``gate`` is the
    ``modules:`` entry of :mod:`coopnet.federation_gate`, which enforces the live signed
    directory between restarts.
    """
    data = authority.path
    config: dict[str, Any] = {
        "server_name": authority.server_name,
        "pid_file": str(data / "homeserver.pid"),
        "public_baseurl": authority.client_url + "/",
        "listeners": [
            {
                "port": authority.client_port,
                "bind_addresses": [authority.address],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            },
            {
                "port": authority.federation_port,
                "bind_addresses": [authority.address],
                "type": "http",
                "tls": True,
                "resources": [{"names": ["federation"], "compress": False}],
            },
        ],
        "tls_certificate_path": str(data / "tls" / "server.crt"),
        "tls_private_key_path": str(data / "tls" / "server.key"),
        "federation_custom_ca_list": [str(ca_cert)],
        "federation_verify_certificates": True,
        # Server names are loopback IP literals; Synapse's default blocklist covers loopback.
        # A production homeserver with DNS names keeps the default.
        "ip_range_blacklist": [],
        "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
        "log_config": str(data / "log.config"),
        "media_store_path": str(data / "media_store"),
        # The network's document limit (an encrypted attachment is as long as its file),
        # with room for the multipart envelope of a federated media download.
        "max_upload_size": homeserver_upload_limit(max_document_bytes),
        "signing_key_path": str(data / "signing.key"),
        "registration_shared_secret": authority.registration_shared_secret,
        "macaroon_secret_key": authority.macaroon_secret_key,
        "form_secret": authority.form_secret,
        **CLOSED_NETWORK,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        **RATE_LIMITS,
    }
    if federation_whitelist is not None:
        config["federation_domain_whitelist"] = sorted(federation_whitelist)
    if gate is not None:
        config["modules"] = [gate]
    return config


def log_config(authority: Authority) -> dict[str, Any]:
    """Python logging config for Synapse: one file in the authority's data directory."""
    return rotating_log_config(authority.path / "homeserver.log")


def rotating_log_config(
    filename: PurePath, max_bytes: int = 20_000_000, backup_count: int = 3
) -> dict[str, Any]:
    """Python logging config for Synapse: one size-rotated file."""
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                "%(request)s - %(message)s"
            }
        },
        "handlers": {
            "file": {
                "class": "logging.handlers.RotatingFileHandler",
                "formatter": "precise",
                "filename": str(filename),
                "maxBytes": max_bytes,
                "backupCount": backup_count,
                "encoding": "utf8",
            }
        },
        "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
        "root": {"level": "INFO", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }
