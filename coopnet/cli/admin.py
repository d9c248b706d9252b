"""``coopnet admin``: set up a network and run an authority's homeserver in production.

Every command says what it wrote and what to do next; secrets stay in 0600 files and are
printed only when asked (``--show-password``, ``--show-secrets``).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from coopnet.admin import backup as backup_mod
from coopnet.admin import officers
from coopnet.admin.bundle import add_authority
from coopnet.admin.names import validate_authority_id, validate_server_name
from coopnet.admin.publish import describe_installed, install, publish_to
from coopnet.admin.settings import (
    COMPOSE_ROOT,
    TARGETS,
    TLS_TERMINATION,
    AuthoritySettings,
    DatabaseSettings,
    WorkerSettings,
)
from coopnet.admin.steward import CERTIFICATE_MODES, MemberAuthority, init_network, load_steward
from coopnet.errors import AdminError

DEFAULT_STEWARD_DIR = Path("coopnet-steward")


def register(subparsers: argparse._SubParsersAction) -> None:
    admin = subparsers.add_parser(
        "admin",
        help="set up a network and run an authority's homeserver in production",
        description="Admin tooling for the network steward and each authority's admin. "
        "The admin guide is deploy/README.md.",
    )
    commands = admin.add_subparsers(title="admin commands", metavar="COMMAND", required=True)
    _init_network(commands)
    _add_authority(commands)
    _register_officer(commands)
    _deactivate_officer(commands)
    _publish_directory(commands)
    _backup(commands)
    _restore(commands)


# ---------------------------------------------------------------- init-network
def _init_network(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "init-network",
        help="create the steward's signing key, the signed directory and the network CA",
        description="Create the network steward's directory: an Ed25519 signing key, the "
        "signed network directory (version 1, listing the --member authorities) and, with "
        "--certificates network-ca, a private CA that issues every member's federation "
        "certificate. Keys are 0600.",
    )
    p.add_argument("--dir", type=Path, default=DEFAULT_STEWARD_DIR, help="default: ./%(default)s")
    p.add_argument("--name", default="coopnet", help="network name (default: %(default)s)")
    p.add_argument("--certificates", choices=CERTIFICATE_MODES, default="network-ca")
    p.add_argument(
        "--import-ca",
        nargs=2,
        type=Path,
        metavar=("CERT", "KEY"),
        help="use an existing CA (PEM certificate and key) instead of creating one",
    )
    p.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="ID=SERVER_NAME",
        help="a member that already exists (repeatable)",
    )
    p.add_argument("--lab", action="store_true", help="allow IP-literal server names (lab)")
    p.add_argument("--force", action="store_true", help="replace an existing network's keys")
    p.set_defaults(func=_run_init_network)


def _parse_member(text: str, lab: bool) -> MemberAuthority:
    member_id, sep, server_name = text.partition("=")
    if not sep:
        raise AdminError(f"--member {text!r}: expected ID=SERVER_NAME, e.g. ch=matrix.ofj.example")
    return MemberAuthority(validate_authority_id(member_id), validate_server_name(server_name, lab))


def _run_init_network(args: argparse.Namespace) -> int:
    members = [_parse_member(m, args.lab) for m in args.member]
    import_ca = tuple(args.import_ca) if args.import_ca else None
    steward = init_network(
        args.dir, args.name, args.certificates, import_ca, members, args.force, args.lab
    )
    print(f"Network {steward.name!r} created in {steward.directory}:")
    print(f"  {steward.signing_key}  the steward's signing key (0600; keep it offline)")
    print(f"  {steward.public_key}  its public key: every authority receives it")
    if steward.certificates == "network-ca":
        how = "imported" if import_ca else "created"
        print(f"  {steward.ca_cert}  network CA ({how}); its key ca/ca.key is 0600")
    else:
        print("  no network CA: every member uses publicly trusted certificates")
    print(
        f"  {steward.directory_file}  signed network directory v1, members: "
        f"{', '.join(steward.server_names()) or 'none yet'}"
    )
    print(f"  {steward.file}  network settings (and a summary of the members)")
    print("\nNext: for each authority, run")
    print(
        f"  coopnet admin add-authority --steward-dir {args.dir} --id ID "
        "--server-name matrix.authority.example --out DIR"
    )
    print("and back up this directory (the CA key and the signing key cannot be recovered).")
    return 0


# ---------------------------------------------------------------- add-authority
def _add_authority(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "add-authority",
        help="produce everything a new authority needs to run its homeserver",
        description="Render a new member's directory: production Synapse configuration "
        "(PostgreSQL, closed federation), federation certificate, .well-known files, "
        "reverse proxy and bot configuration; add it to the network's members. Refuses to "
        "overwrite an existing configuration unless --force.",
    )
    p.add_argument("--steward-dir", type=Path, default=DEFAULT_STEWARD_DIR)
    p.add_argument("--id", required=True, help="short authority id, e.g. ch")
    p.add_argument("--server-name", required=True, help="DNS name, e.g. matrix.ofj.example")
    p.add_argument("--public-host", help="host clients reach (default: the server name)")
    p.add_argument("--state", default="", help="State, e.g. Switzerland")
    p.add_argument("--name", default="", help="authority name, e.g. Federal Office of Justice")
    p.add_argument("--languages", default="en", help="working languages, e.g. fr,de,en")
    p.add_argument("--out", type=Path, required=True, help="the authority's directory")
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="compose",
        help="docker compose or a host with systemd (default: %(default)s)",
    )
    p.add_argument(
        "--tls",
        choices=TLS_TERMINATION,
        default="proxy",
        help="who terminates TLS (default: the reverse proxy)",
    )
    p.add_argument("--bind", help="listener address (compose: 0.0.0.0, host: 127.0.0.1)")
    p.add_argument("--client-port", type=int, default=8008)
    p.add_argument("--federation-port", type=int, default=8448)
    p.add_argument("--metrics-port", type=int, default=9000)
    p.add_argument("--db-host", help="PostgreSQL host (compose: postgres, host: 127.0.0.1)")
    p.add_argument("--db-port", type=int, default=5432)
    p.add_argument("--db-name", default="synapse")
    p.add_argument("--db-user", default="synapse")
    p.add_argument(
        "--retention-days",
        type=int,
        default=730,
        help="the homeserver forgets events older than this (default: %(default)s)",
    )
    p.add_argument(
        "--lab",
        action="store_true",
        help="one-machine lab: IP-literal server name, loopback federation, plain "
        "HTTP client API (never in production)",
    )
    _worker_arguments(p)
    p.add_argument("--show-secrets", action="store_true", help="print the generated secrets")
    p.add_argument("--force", action="store_true", help="overwrite an existing configuration")
    p.set_defaults(func=_run_add_authority)


# --workers: the profile deploy/README.md recommends for a busy authority.
WORKER_PRESET = {"client": 2, "federation": 1, "federation_senders": 1, "event_persisters": 1}


def _worker_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "Synapse workers (--target host, deploy/README.md 'Workers'; needs Redis)"
    )
    g.add_argument(
        "--workers",
        action="store_true",
        help="split Synapse into processes: 2 client workers, 1 federation worker, "
        "1 federation sender, 1 event persister (override each below)",
    )
    for option, what in (
        ("--client-workers", "generic workers for the client API (sync, send, keys, login)"),
        ("--federation-workers", "generic workers for inbound federation"),
        ("--federation-senders", "federation senders (outbound federation)"),
        ("--event-persisters", "event persisters (write the events stream)"),
    ):
        g.add_argument(option, type=int, metavar="N", help=what)
    g.add_argument("--worker-base-port", type=int, default=8081)
    g.add_argument("--replication-port", type=int, default=9093)
    g.add_argument("--redis-host", default="127.0.0.1")
    g.add_argument("--redis-port", type=int, default=6379)


def _worker_settings(args: argparse.Namespace) -> WorkerSettings:
    given = {
        "client": args.client_workers,
        "federation": args.federation_workers,
        "federation_senders": args.federation_senders,
        "event_persisters": args.event_persisters,
    }
    counts = {k: (WORKER_PRESET[k] if args.workers else 0) for k in given}
    for key, value in given.items():
        if value is not None:
            if not 0 <= value <= 32:
                raise AdminError(f"{key.replace('_', ' ')} workers: {value} is not 0 to 32")
            counts[key] = value
    return WorkerSettings(
        **counts,
        http_base_port=args.worker_base_port,
        replication_port=args.replication_port,
        redis_host=args.redis_host,
        redis_port=args.redis_port,
    )


def _settings(args: argparse.Namespace) -> AuthoritySettings:
    server_name = validate_server_name(args.server_name, args.lab)
    public_host = args.public_host or server_name
    if not args.lab or args.public_host:
        public_host = validate_server_name(public_host, args.lab)
    out = args.out.resolve()
    host = args.target == "host"
    bind = args.bind or ("127.0.0.1" if host else "0.0.0.0")
    admin_host = "127.0.0.1" if bind == "0.0.0.0" else bind
    if args.retention_days < 1:
        raise AdminError("--retention-days must be at least 1")
    return AuthoritySettings(
        id=validate_authority_id(args.id),
        server_name=server_name,
        public_host=public_host,
        state=args.state,
        name=args.name,
        certificates=load_steward(args.steward_dir).certificates,
        target=args.target,
        tls=args.tls,
        root=str(out) if host else COMPOSE_ROOT,
        bind_address=bind,
        client_port=args.client_port,
        federation_port=args.federation_port,
        metrics_port=args.metrics_port,
        admin_url=f"http://{admin_host}:{args.client_port}",
        database=DatabaseSettings(
            host=args.db_host or ("127.0.0.1" if host else "postgres"),
            port=args.db_port,
            name=args.db_name,
            user=args.db_user,
        ),
        retention_days=args.retention_days,
        lab=args.lab,
        workers=_worker_settings(args),
    )


def _run_add_authority(args: argparse.Namespace) -> int:
    steward = load_steward(args.steward_dir)
    settings = _settings(args)
    languages = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    written, secrets = add_authority(steward, settings, args.out, args.force, languages)
    print(f"Authority {settings.id} ({settings.server_name}) added; wrote:")
    for path, what in written.files:
        print(f"  {path}  {what}")
    if args.show_secrets:
        print("\nSecrets (also in synapse/config/homeserver.yaml and .env):")
        print(f"  registration_shared_secret: {secrets.registration_shared_secret}")
        print(f"  database password:          {secrets.database_password}")
    out = args.out.resolve()
    db = settings.database
    print("\nNext steps (deploy/README.md explains each):")
    print(f"  1. DNS: {settings.public_host} -> this server; open ports 443 and 8448.")
    if settings.certificates == "network-ca":
        print(
            "  2. Certificates: the federation certificate is in tls/; get a publicly "
            f"trusted certificate for {settings.public_host} for the client API (certbot)."
        )
    else:
        print(f"  2. Certificates: get a publicly trusted certificate for {settings.public_host}.")
    if settings.target == "compose":
        print(f"  3. Start: docker compose --env-file {out}/.env -f deploy/compose.yaml up -d")
    else:
        print(
            f"  3. PostgreSQL: create role {db.user} (password: POSTGRES_PASSWORD in {out}/.env) "
            f"and database {db.name} (ENCODING UTF8, LC_COLLATE C, LC_CTYPE C) on "
            f"{db.host}:{db.port}; install deploy/systemd/*.service; start coopnet-synapse."
        )
    print(
        f"  4. Officers and the bot: coopnet admin register-officer --authority-dir {out} "
        f"--steward-dir {args.steward_dir} --localpart NAME [--role bot --localpart bot]"
    )
    others = [m for m in steward.server_names() if m != settings.server_name]
    if others:
        print(
            f"  5. Every other member ({', '.join(others)}) installs the new directory "
            f"{steward.directory_file}: coopnet admin publish-directory --steward-dir "
            f"{args.steward_dir} --authority-dir THEIR_DIR (or, on their host, "
            "--from directory.json), then restarts Synapse (new allowlist)."
        )
    return 0


# ---------------------------------------------------------------- officers
def _authority_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--authority-dir", type=Path, required=True, help="the directory made by add-authority"
    )
    p.add_argument("--homeserver", help="Synapse's URL (default: admin_url of authority.json)")
    p.add_argument(
        "--steward-dir",
        type=Path,
        help="the steward's directory: also enrol/remove the account in the signed network "
        "directory and install the new version here (without it: say what the steward must do)",
    )


def _register_officer(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "register-officer",
        help="create an officer's (or the bot's) account on the running homeserver",
        description="Create an account with the shared-secret admin API. The initial "
        "password goes to secrets/NAME.password (0600) and is printed only with "
        "--show-password; the recovery key of the account's key backup to "
        "secrets/NAME.recovery-key (0600), printed only with --show-recovery-key.",
    )
    _authority_dir(p)
    p.add_argument("--localpart", required=True, help="user name, e.g. officer.garcia")
    p.add_argument("--display-name", default="", help="e.g. 'Ana García (extradition)'")
    p.add_argument("--role", choices=officers.ROLES, default="officer")
    p.add_argument("--show-password", action="store_true")
    p.add_argument("--show-recovery-key", action="store_true")
    p.set_defaults(func=_run_register_officer)


def _run_register_officer(args: argparse.Namespace) -> int:
    result = asyncio.run(
        officers.register_officer(
            args.authority_dir,
            args.localpart,
            args.display_name or args.localpart,
            args.role,
            args.homeserver,
            args.steward_dir,
        )
    )
    print(f"Registered {result.user_id} ({args.role}).")
    print(f"  initial password: {result.password_file} (0600)")
    if args.show_password:
        print(f"  password: {result.password}")
    print(f"  recovery key (key backup): {result.recovery_key_file} (0600)")
    if args.show_recovery_key:
        print(f"  recovery key: {result.recovery_key}")
    if args.role == "bot":
        print("  the bot's message rate limit is lifted (admin API override)")
    print(f"  {result.note}")
    print(
        "\nNext: hand the password and the recovery key to the officer over a separate "
        "channel; the officer logs in once from the CoopNet client (which keeps the device), "
        "changes the password and unlocks the key backup with the recovery key "
        "('coopnet recovery unlock --store DIR'); a bot unlocks it at its first start. "
        "Keep the recovery key offline; delete both files afterwards."
    )
    return 0


def _deactivate_officer(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "deactivate-officer",
        help="deactivate an account: log out its devices and refuse further logins",
    )
    _authority_dir(p)
    p.add_argument("--user", required=True, help="user id or local part")
    p.add_argument(
        "--erase",
        action="store_true",
        help="also erase the profile and mark its messages for erasure (GDPR)",
    )
    p.set_defaults(func=_run_deactivate_officer)


def _run_deactivate_officer(args: argparse.Namespace) -> int:
    user_id, note = asyncio.run(
        officers.deactivate_officer(
            args.authority_dir, args.user, args.erase, args.homeserver, args.steward_dir
        )
    )
    print(f"Deactivated {user_id}: its devices are logged out and it cannot log in again.")
    print(f"  {note}")
    return 0


# ---------------------------------------------------------------- publish-directory
def _publish_directory(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "publish-directory",
        help="install the signed network directory in authority directories",
        description="Copy the signed network directory into AUTHORITY_DIR/directory/ (the "
        "bot reloads it at its next tick) and re-derive synapse/config/federation.yaml from "
        "it. The copy is verified against the steward key the authority pinned; an older "
        "version than the one installed is refused. The steward uses --steward-dir; an "
        "admin who received directory.json uses --from.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--steward-dir", type=Path, help="the steward's directory")
    source.add_argument("--from", dest="source", type=Path, help="a signed directory file")
    p.add_argument(
        "--authority-dir",
        type=Path,
        action="append",
        required=True,
        help="an authority directory made by add-authority (repeatable)",
    )
    p.set_defaults(func=_run_publish_directory)


def _run_publish_directory(args: argparse.Namespace) -> int:
    steward = load_steward(args.steward_dir) if args.steward_dir else None
    restart = []
    for authority_dir in args.authority_dir:
        if steward is not None:
            result = publish_to(steward, authority_dir)
        else:
            result = install(authority_dir, args.source)
        for line in describe_installed(result):
            print(line)
        if result.allowlist_changed:
            restart.append(str(result.authority_dir))
    if restart:
        print(
            f"\nNext: restart Synapse of {', '.join(restart)}, one at a time (systemctl "
            "restart coopnet-synapse, which restarts its workers too, or docker compose "
            "restart synapse): Synapse reads the allowlist only when it starts."
        )
    return 0


# ---------------------------------------------------------------- backup / restore
def _backup(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "backup",
        help="back up the consultation records and bot state (tar.gz, 0600)",
        description="Archive data/bot, secrets and synapse/signing.key of an authority "
        "directory (SQLite copied consistently while running) with a SHA-256 manifest. "
        "The Synapse database is backed up with pg_dump (deploy/README.md).",
    )
    p.add_argument("--authority-dir", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True, help="the archive to write (.tar.gz)")
    p.add_argument("--force", action="store_true", help="overwrite an existing archive")
    p.set_defaults(func=_run_backup)


def _run_backup(args: argparse.Namespace) -> int:
    report = backup_mod.backup(args.authority_dir, args.out, args.force)
    print(f"Backup written to {report.archive} (0600): {len(report.files)} files")
    for rel, verdict in report.records:
        print(f"  consultation record {rel}: {verdict}")
    print(
        "\nNext: copy it off this server (it holds keys: store it encrypted), and dump the "
        "Synapse database: pg_dump -Fc synapse > synapse.dump (deploy/README.md, Backups)."
    )
    return 0


def _restore(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "restore",
        help="restore records and bot state from a backup (checked before anything changes)",
    )
    p.add_argument("--authority-dir", type=Path, required=True)
    p.add_argument("--archive", type=Path, required=True)
    p.add_argument("--force", action="store_true", help="replace existing files (stop the bot)")
    p.set_defaults(func=_run_restore)


def _run_restore(args: argparse.Namespace) -> int:
    report = backup_mod.restore(args.archive, args.authority_dir, args.force)
    print(f"Restored {len(report.files)} files into {args.authority_dir.resolve()}")
    for rel, verdict in report.records:
        print(f"  consultation record {rel}: {verdict}")
    print(
        "\nNext: start the bot again; if the Synapse database was restored too "
        "(pg_restore), start Synapse first."
    )
    return 0
