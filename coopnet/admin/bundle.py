"""``add-authority``: write everything one authority needs into its directory (the bundle).

Layout (``ROOT`` is where the bundle lives where Synapse runs: ``/coopnet`` inside the
containers of ``deploy/compose.yaml``, the directory itself on a host with systemd)::

    authority.json                  settings, no secrets
    .env                            docker compose variables (database password; 0600)
    synapse/config/homeserver.yaml  Synapse configuration (secrets; 0600)
    synapse/config/federation.yaml  the federation allowlist (the network's members)
    synapse/log.config              rotating log file
    synapse/workers/NAME.yaml       one per Synapse worker process, with NAME.log.config
    synapse/signing.key             the homeserver's signing key (0600)
    tls/network-ca.crt              the network CA (mode network-ca)
    tls/federation.crt, .key        the federation certificate (key 0600)
    well-known/matrix/server|client .well-known delegation files
    proxy/coopnet.conf              the reverse proxy (nginx)
    bot/bot.yaml                    the consultation bot
    directory/steward.pub           the steward's public key
    directory/directory.json        the signed network directory (the bot verifies it; the
                                    homeserver's federation gate enforces it at once)
    secrets/                        initial passwords written by register-officer (0700)
    data/synapse, data/bot          state: media store and logs, bot state (0700)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from coopnet.admin import botconfig, homeserver, proxy, wellknown, workers
from coopnet.admin.publish import FEDERATION_YAML, HOMESERVER_YAML, publish_to
from coopnet.admin.publish import rewrite_allowlist as rewrite_allowlist
from coopnet.admin.settings import AUTHORITY_FILE, AuthoritySettings
from coopnet.admin.steward import MemberAuthority, Steward, check_new_member
from coopnet.datafile import FileRecord, Text, load_yaml, spec
from coopnet.errors import AdminError
from coopnet.keys import ensure_private_dir, write_private
from coopnet.network.pki import issue_server_certificate
from coopnet.network.synapse_config import signing_key_line
from coopnet.trust import directory as d
from coopnet.trust.store import read_steward_key_file

CONFIG_DIR = Path("synapse") / "config"


@dataclass
class Written:
    """What a command wrote, for the admin to read."""

    files: list[tuple[Path, str]] = field(default_factory=list)

    def add(self, path: Path, what: str) -> None:
        self.files.append((path, what))


def _yaml(data: object) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _check_target(out: Path, force: bool) -> None:
    if (out / AUTHORITY_FILE).exists() and not force:
        raise AdminError(
            f"{out} already holds an authority's configuration; refusing to overwrite it "
            "(its secrets and signing key would change). Use another --out, or --force."
        )
    if out.exists() and not (out / AUTHORITY_FILE).exists() and any(out.iterdir()):
        if not force:
            raise AdminError(f"{out} is not empty; choose an empty or new --out directory")


def check_settings(steward: Steward, s: AuthoritySettings) -> None:
    if s.certificates != steward.certificates:
        raise AdminError(
            f"the network uses {steward.certificates} certificates; --certificates "
            f"{s.certificates} does not match"
        )
    if s.certificates == "network-ca" and s.public_host != s.server_name:
        raise AdminError(
            f"with the network CA, other members reach {s.server_name}:8448 directly (they "
            "trust only the network CA, so they cannot read a .well-known delegation served "
            "with a public certificate): --public-host must equal --server-name, or use "
            "publicly trusted certificates (init-network --certificates public)"
        )
    if s.tls == "synapse" and s.certificates != "network-ca":
        raise AdminError(
            "--tls synapse needs the network CA; with public certificates the "
            "reverse proxy terminates TLS"
        )
    for port, what in (
        (s.client_port, "client"),
        (s.federation_port, "federation"),
        (s.metrics_port, "metrics"),
    ):
        if not 0 < port < 65536:
            raise AdminError(f"the {what} port {port} is not a TCP port")
    ports = [s.client_port, s.metrics_port] + ([s.federation_port] if s.tls == "synapse" else [])
    if len(set(ports)) != len(ports):
        raise AdminError(f"the client, federation and metrics ports must differ, got {ports}")
    if s.lab and s.tls == "proxy" and s.bind_address == s.public_host:
        raise AdminError(
            f"in a lab behind the reverse proxy, the proxy listens on {s.public_host}: give "
            "Synapse another loopback address (--bind)"
        )
    if s.workers.enabled:
        _check_workers(s, ports)


def _check_workers(s: AuthoritySettings, ports: list[int]) -> None:
    if s.target != "host":
        raise AdminError(
            "Synapse workers are rendered for --target host (systemd units "
            "deploy/systemd/coopnet-synapse-worker@.service); compose is not supported yet"
        )
    if s.tls != "proxy":
        raise AdminError(
            "with workers the reverse proxy routes requests to them, so it terminates TLS: "
            "use --tls proxy"
        )
    taken = set(ports) | {s.federation_port}  # the proxy listens there
    for port in workers.ports(s):
        if port in taken:
            raise AdminError(
                f"worker port {port} is already used (client {s.client_port}, metrics "
                f"{s.metrics_port}, or another worker): choose --worker-base-port and "
                "--metrics-port apart"
            )
        taken.add(port)


def add_authority(
    steward: Steward,
    s: AuthoritySettings,
    out: Path,
    force: bool = False,
    languages: tuple[str, ...] = ("en",),
) -> tuple[Written, homeserver.Secrets]:
    """Render the bundle of a new member into ``out``, add it (and its bot's account) to
    the signed directory as the next version, and install that directory in ``out``."""
    out = out.resolve()
    check_settings(steward, s)
    existing = steward.member(s.id)
    if existing is not None and not (force and existing.server_name == s.server_name):
        raise AdminError(
            f"authority {s.id!r} is already a member ({existing.server_name}) in {steward.file}"
        )
    if existing is None and s.server_name in steward.server_names():
        raise AdminError(f"server name {s.server_name} is already a member of the network")
    entry = None
    if existing is None:
        member = MemberAuthority(s.id, s.server_name, s.state, s.name, languages)
        entry = replace(check_new_member(steward, member, lab=s.lab), bot=d.Member(s.bot_user_id))
    _check_target(out, force)
    written = Written()
    ensure_private_dir(out)
    secrets = homeserver.Secrets.generate()
    s.save(out)
    written.add(out / AUTHORITY_FILE, "settings of this authority (no secrets)")

    members = steward.server_names() + ([s.server_name] if entry is not None else [])

    ensure_private_dir(out / CONFIG_DIR)
    steward_key = read_steward_key_file(steward.public_key)
    hs = homeserver.homeserver_config(s, secrets, steward_key)
    write_private(out / HOMESERVER_YAML, _yaml(hs))
    written.add(
        out / HOMESERVER_YAML,
        "Synapse configuration with its secrets (0600); loads the federation gate",
    )
    (out / FEDERATION_YAML).write_bytes(_yaml(homeserver.federation_config(members)))
    written.add(out / FEDERATION_YAML, f"federation allowlist: {', '.join(sorted(members))}")
    (out / "synapse" / "log.config").write_bytes(_yaml(homeserver.log_config(s)))
    written.add(out / "synapse" / "log.config", "Synapse logging, rotated at 50 MB x 10")
    write_private(out / "synapse" / "signing.key", signing_key_line().encode())
    written.add(out / "synapse" / "signing.key", "the homeserver's signing key (0600; back it up)")
    _write_workers(s, out, written)

    _write_tls(steward, s, out, written)

    wk = out / "well-known" / "matrix"
    wk.mkdir(parents=True, exist_ok=True)
    (wk / "server").write_text(json.dumps(wellknown.server_wellknown(s)) + "\n")
    (wk / "client").write_text(json.dumps(wellknown.client_wellknown(s)) + "\n")
    written.add(wk, ".well-known/matrix/server and client (served by the reverse proxy)")

    (out / "proxy").mkdir(exist_ok=True)
    (out / "proxy" / "coopnet.conf").write_text(proxy.nginx_config(s))
    written.add(out / "proxy" / "coopnet.conf", "nginx reverse proxy")

    (out / "bot").mkdir(exist_ok=True)
    (out / "bot" / "bot.yaml").write_bytes(_yaml(botconfig.bot_config(s)))
    written.add(out / "bot" / "bot.yaml", "consultation bot configuration")

    directory = out / "directory"
    directory.mkdir(exist_ok=True)
    shutil.copyfile(steward.public_key, directory / "steward.pub")
    written.add(directory / "steward.pub", "the steward's public key (verifies the directory)")

    for sub in ("secrets", "data", "data/synapse", "data/synapse/media_store", "data/bot"):
        ensure_private_dir(out / sub)

    env = _compose_env(s, out, secrets)
    write_private(out / ".env", env.encode())
    written.add(out / ".env", "docker compose variables incl. the database password (0600)")
    if entry is not None:
        added = entry
        signed = steward.edit(lambda current: d.with_authority(current, added))
        written.add(
            steward.directory_file,
            f"signed directory v{signed.version}: {len(members)} members ({s.id} and its bot "
            f"{s.bot_user_id} added)",
        )
    steward.save()
    installed = publish_to(steward, out)
    written.add(
        installed.file, f"the signed network directory v{installed.version} (the bot reads it)"
    )
    return written, secrets


def _write_workers(s: AuthoritySettings, out: Path, written: Written) -> None:
    """One small file per worker process (no secrets: they are in homeserver.yaml)."""
    (out / workers.WORKERS_DIR).mkdir(parents=True, exist_ok=True)
    for worker in workers.plan(s):
        (out / worker.config_file).write_bytes(_yaml(workers.worker_config(s, worker)))
        (out / worker.log_config_file).write_bytes(_yaml(workers.worker_log_config(s, worker)))
        port = f" on port {worker.http_port}" if worker.http_port else ""
        written.add(out / worker.config_file, f"Synapse worker {worker.name} ({worker.kind}{port})")


def _write_tls(steward: Steward, s: AuthoritySettings, out: Path, written: Written) -> None:
    if s.certificates != "network-ca":
        return
    tls = ensure_private_dir(out / "tls")
    shutil.copyfile(steward.ca_cert, tls / "network-ca.crt")
    written.add(tls / "network-ca.crt", "the network CA certificate (trusted for federation)")
    extra = [s.public_host] if s.public_host != s.server_name else []
    issue_server_certificate(
        s.server_name,
        steward.ca_cert,
        steward.ca_key,
        tls / "federation.crt",
        tls / "federation.key",
        extra_names=extra,
    )
    written.add(tls / "federation.crt", "federation certificate signed by the network CA")
    written.add(tls / "federation.key", "its private key (0600)")


def _compose_env(s: AuthoritySettings, out: Path, secrets: homeserver.Secrets) -> str:
    return (
        "# docker compose --env-file THIS_FILE -f deploy/compose.yaml up -d\n"
        f"COOPNET_AUTHORITY_DIR={out}\n"
        f"COOPNET_PUBLIC_HOST={s.public_host}\n"
        f"COOPNET_UID={os.getuid()}\n"
        f"COOPNET_GID={os.getgid()}\n"
        f"POSTGRES_DB={s.database.name}\n"
        f"POSTGRES_USER={s.database.user}\n"
        f"POSTGRES_PASSWORD={secrets.database_password}\n"
    )


@dataclass(frozen=True)
class HomeserverSecret(FileRecord):
    """What the admin commands read back from Synapse's ``homeserver.yaml``."""

    registration_shared_secret: str = spec(Text(1024))


def read_shared_secret(out: Path) -> str:
    """The homeserver's registration shared secret, from the bundle's ``homeserver.yaml``."""
    hint = f"is {out} an authority directory made by 'coopnet admin add-authority'?"
    return load_yaml(out / HOMESERVER_YAML, HomeserverSecret, hint).registration_shared_secret
