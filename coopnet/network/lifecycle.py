"""Create, start, check and stop a local network of authorities.

``coopnet net up`` and the test fixture both call :func:`up`. It returns only when every
homeserver answers and every pair of member homeservers federates; when it fails, it
stops whatever it started, so nothing is left half-running.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from cryptography import x509

from coopnet.errors import NetworkError
from coopnet.keys import ensure_private_dir, write_private
from coopnet.matrix import CoopNetClient, EnrolledDevices
from coopnet.matrix.admin import register_user
from coopnet.network import botproc, demo, probes, process
from coopnet.network import trust as network_trust
from coopnet.network.catalogue import DEFAULT_AUTHORITIES, describe
from coopnet.network.model import NETWORK_FILE, Account, Authority, Network, load_network
from coopnet.network.pki import create_ca, issue_server_certificate
from coopnet.network.synapse_config import (
    local_homeserver_config,
    log_config,
    new_secret,
    signing_key_line,
)
from coopnet.trust.directory import Directory

log = logging.getLogger(__name__)

Report = Callable[[str], None]

OFFICERS_PER_AUTHORITY = 2
START_TIMEOUT = 120.0
BOT_START_TIMEOUT = 90.0
FEDERATION_TIMEOUT = 90.0


def _quiet(_message: str) -> None:
    pass


@dataclass
class NetworkOptions:
    """How to lay out a new network (ignored when ``DIR/network.json`` already exists)."""

    authorities: list[str] = field(default_factory=lambda: list(DEFAULT_AUTHORITIES))
    base_address: str = "127.0.0.11"
    client_port: int = 8008
    federation_port: int = 8448
    officers_per_authority: int = OFFICERS_PER_AUTHORITY
    # Servers holding a valid network certificate that the members do not federate with:
    # the integration tests use one to prove the allowlist refuses them.
    outsiders: list[str] = field(default_factory=list)
    name: str = "coopnet-local"
    # Server names of members run elsewhere that the members also federate with (the
    # admin tests join a PostgreSQL-backed production homeserver this way).
    external_members: list[str] = field(default_factory=list)


def validate_options(options: NetworkOptions) -> None:
    ids = options.authorities + options.outsiders
    if not options.authorities:
        raise NetworkError("a network needs at least one authority")
    if len(set(ids)) != len(ids):
        raise NetworkError(f"authority ids must be unique, got {','.join(ids)}")
    for authority_id in ids:
        if not authority_id.isalnum() or not authority_id.islower():
            raise NetworkError(
                f"authority id {authority_id!r} must be short lower-case letters/digits, e.g. ch"
            )
    try:
        base = ipaddress.IPv4Address(options.base_address)
    except ValueError:
        raise NetworkError(
            f"--base-address {options.base_address!r} is not an IPv4 address"
        ) from None
    last = base + len(ids) - 1
    if not (base.is_loopback and last.is_loopback):
        raise NetworkError(
            f"the local network needs loopback addresses; {base}..{last} is not inside 127.0.0.0/8"
        )


def _new_authority(
    directory: Path, authority_id: str, address: str, options: NetworkOptions, member: bool
) -> Authority:
    known = describe(authority_id)
    authority = Authority(
        id=authority_id,
        name=known.name,
        state=known.state,
        language=known.language,
        server_name=address,
        address=address,
        client_port=options.client_port,
        federation_port=options.federation_port,
        data_dir=str(directory / authority_id),
        registration_shared_secret=new_secret(),
        macaroon_secret_key=new_secret(),
        form_secret=new_secret(),
        member=member,
    )
    roles = [("officer", f"officer{i}") for i in range(1, options.officers_per_authority + 1)]
    roles.append(("bot", "bot"))
    for role, localpart in roles:
        label = "consultation bot" if role == "bot" else f"officer {localpart[-1]}"
        authority.accounts.append(
            Account(
                user_id=f"@{localpart}:{address}",
                localpart=localpart,
                password=secrets.token_urlsafe(18),
                role=role,
                display_name=f"{known.state} {label}",
                store_dir=str(directory / authority_id / "clients" / localpart),
            )
        )
    return authority


def lay_out(authority: Authority, ca_dir: Path) -> None:
    """An authority's data directory: its certificate from the network CA, its signing key."""
    data = ensure_private_dir(authority.path)
    tls = ensure_private_dir(data / "tls")
    issue_server_certificate(
        authority.address,
        ca_dir / "ca.crt",
        ca_dir / "ca.key",
        tls / "server.crt",
        tls / "server.key",
    )
    write_private(data / "signing.key", signing_key_line().encode())
    (data / "media_store").mkdir(exist_ok=True)


def new_member(network: Network, authority_id: str, address: str) -> Authority:
    """A new member authority of an existing network, laid out (not started, not saved)."""
    first = network.authorities[0]
    options = NetworkOptions(
        authorities=[authority_id],
        base_address=address,
        client_port=first.client_port,
        federation_port=first.federation_port,
        officers_per_authority=len(first.officers()) or OFFICERS_PER_AUTHORITY,
    )
    validate_options(options)
    authority = _new_authority(network.directory, authority_id, address, options, member=True)
    lay_out(authority, Path(network.ca_cert).parent)
    return authority


def create_network(directory: Path, options: NetworkOptions, report: Report = _quiet) -> Network:
    """Lay out a new network in ``directory``: CA, certificates, keys and ``network.json``."""
    validate_options(options)
    ensure_private_dir(directory)
    ca_dir = ensure_private_dir(directory / "ca")
    create_ca(ca_dir / "ca.crt", ca_dir / "ca.key", options.name)
    report(f"network CA created in {ca_dir}")
    base = ipaddress.IPv4Address(options.base_address)
    authorities = []
    for index, authority_id in enumerate(options.authorities + options.outsiders):
        address = str(base + index)
        member = authority_id in options.authorities
        authority = _new_authority(directory, authority_id, address, options, member)
        lay_out(authority, ca_dir)
        authorities.append(authority)
        report(f"{authority_id}: certificate and signing key for {address}")
    network = Network(
        directory,
        options.name,
        str(ca_dir / "ca.crt"),
        authorities,
        external_members=list(options.external_members),
    )
    network.save()
    return network


def write_configs(network: Network, directory: Directory | None = None) -> None:
    """(Re)write every homeserver's config from ``network.json``, so code updates apply.

    Once the signed directory exists, the federation allowlist comes from it. Members
    load the federation gate from the start (the steward key is made first if need be):
    it lets nobody but the server itself in until the signed directory is written.
    """
    if directory is None and network.directory_file is not None:
        directory = network_trust.load_directory(network)
    members = network_trust.federation_allowlist(network, directory)
    gate = network_trust.gate_config(network)
    for authority in network.authorities:
        member = authority.member
        config = local_homeserver_config(
            authority,
            members if member else None,
            Path(network.ca_cert),
            network.max_document_bytes,
            gate if member else None,
        )
        write_private(authority.path / "homeserver.yaml", yaml.safe_dump(config).encode())
        (authority.path / "log.config").write_text(yaml.safe_dump(log_config(authority)))


async def start_missing(network: Network, report: Report) -> list[Authority]:
    """Start every homeserver that is not running; return the ones this call started."""
    to_start = []
    for authority in network.authorities:
        if process.read_pid(authority) is not None:
            report(f"{authority.id}: homeserver already running")
            continue
        process.check_port_free(authority.address, authority.client_port, "client listener")
        process.check_port_free(authority.address, authority.federation_port, "federation listener")
        to_start.append(authority)
    started: list[Authority] = []
    try:
        procs = []
        for authority in to_start:
            procs.append(process.start_synapse(authority))
            started.append(authority)
        t0 = time.monotonic()

        async def wait(authority: Authority, proc: object) -> None:
            await process.wait_healthy(authority, proc, START_TIMEOUT)  # type: ignore[arg-type]
            report(
                f"{authority.id}: homeserver {authority.server_name} answers "
                f"({time.monotonic() - t0:.1f} s)"
            )

        await asyncio.gather(*(wait(a, p) for a, p in zip(to_start, procs, strict=True)))
        # A homeserver that was already running must answer too.
        for authority in network.authorities:
            if authority not in to_start:
                await process.wait_healthy(authority, None, START_TIMEOUT)
    except BaseException:
        stop_homeservers(started)
        raise
    return started


async def register_account(authority: Authority, account: Account) -> None:
    """Create the account on its homeserver (an existing one is fine)."""
    await register_user(
        authority.client_url,
        authority.server_name,
        authority.registration_shared_secret,
        account.localpart,
        account.password,
        account.display_name,
    )


async def register_accounts(
    network: Network, report: Report, only: list[Authority] | None = None
) -> None:
    for authority in network.authorities if only is None else only:
        await asyncio.gather(*(register_account(authority, a) for a in authority.accounts))
        report(f"{authority.id}: {len(authority.accounts)} accounts ready")


async def enroll_devices(network: Network, report: Report) -> list[tuple[Authority, Account]]:
    """Log every account in once and record its device, fingerprint key and cross-signing
    master key (the login publishes the account's cross-signing keys and signs the
    device), and give each account secret storage and a key backup (its recovery key kept
    in ``network.json``); an account enrolled before cross-signing or key backup existed
    gets them now. Return the accounts with a new device or a new master key."""

    async def enroll(authority: Authority, account: Account) -> None:
        client = await CoopNetClient.open(
            authority.client_url,
            account.user_id,
            account.store_dir or str(authority.path / "clients" / account.localpart),
            policy=EnrolledDevices({}),
            password=account.password,
            device_name=f"CoopNet {account.role} ({authority.id})",
        )
        try:
            if not client.cross_signing_status.device_signed:
                await client.ensure_cross_signing(account.password)
            status = client.cross_signing_status
            account.device_id = client.device_id
            account.ed25519 = client.ed25519_key
            if status.device_signed:
                account.master_key = status.master_key
            else:  # its directory-listed device still works; no master key is listed
                report(f"{authority.id}: {account.user_id} is not cross-signed: {status.problem}")
            if account.recovery_key is None:
                account.recovery_key = await client.recovery.enrol()
        finally:
            await client.close()

    accounts = [(a, acc) for a in network.authorities for acc in a.accounts]
    changed = [(a, acc) for a, acc in accounts if not acc.device_id or not acc.master_key]
    pending = [(a, acc) for a, acc in accounts if (a, acc) in changed or acc.recovery_key is None]
    new = sum(1 for _, acc in changed if not acc.device_id)
    unbacked = sum(1 for _, acc in pending if acc.recovery_key is None)
    await asyncio.gather(*(enroll(a, acc) for a, acc in pending))
    if new:
        report(f"{new} devices logged in once, cross-signed and enrolled")
    if len(changed) > new:
        report(f"{len(changed) - new} accounts enrolled before cross-signing cross-signed now")
    if unbacked:
        report(f"{unbacked} accounts given secret storage and a key backup")
    return changed


async def check_federation(
    network: Network,
    report: Report,
    timeout: float = FEDERATION_TIMEOUT,
    members: list[Authority] | None = None,
) -> None:
    """Each member homeserver fetches a profile from every other member over federation."""
    members = network.members() if members is None else members
    pairs = [(a, b) for a in members for b in members if a is not b]
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:

        async def check(a: Authority, b: Authority) -> None:
            target = b.accounts[0].user_id
            url = f"{a.client_url}/_matrix/client/v3/profile/{target}"
            last = ""
            while time.monotonic() < deadline:
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                        if resp.status == 200:
                            return
                        last = f"HTTP {resp.status}: {(await resp.text())[:200]}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    last = str(exc) or type(exc).__name__
                await asyncio.sleep(0.5)
            raise NetworkError(
                f"federation {a.id} -> {b.id} does not work after {timeout:.0f} s "
                f"({a.server_name} could not fetch {target}: {last}); see {a.path}/homeserver.log"
            )

        await asyncio.gather(*(check(a, b) for a, b in pairs))
    report(f"federation works between every pair of {len(members)} members ({len(pairs)} checks)")


async def up(
    directory: str | Path,
    options: NetworkOptions | None = None,
    report: Report = _quiet,
    with_bots: bool = True,
    bot_tick_seconds: float = 30.0,
    seed_demo: bool = False,
) -> Network:
    """Bring the network in ``directory`` up, creating it first if it does not exist.

    ``with_bots`` also starts each member authority's consultation bot in the
    background (the tests run their bots in-process instead); ``seed_demo`` then plays
    the illustrative demo consultation (see :mod:`coopnet.network.demo`).
    """
    process.require_synapse()
    directory = Path(directory).resolve()
    if (directory / NETWORK_FILE).exists():
        network = load_network(directory)
        report(f"restarting the existing network in {directory}")
    else:
        if directory.exists() and any(directory.iterdir()):
            raise NetworkError(
                f"{directory} is not empty and holds no {NETWORK_FILE}; choose an empty directory"
            )
        network = create_network(directory, options or NetworkOptions(), report)
    write_configs(network)
    started = await start_missing(network, report)
    # Only what this call started is stopped when it fails: a bot that was running
    # (another authority's, healthy) is never touched.
    started_bots: list[Authority] = []
    try:
        await register_accounts(network, report)
        enrolled = await enroll_devices(network, report)
        network.save()
        for authority in network.members():  # the directory lists each bot's receipt key
            if authority.bot() is not None:
                botproc.prepare(authority)
        listed = network_trust.ensure_directory(network, enrolled, report)
        await check_federation(
            network, report, members=network_trust.listed_members(network, listed)
        )
        if with_bots:
            await start_bots(network, report, bot_tick_seconds, started_bots)
        if seed_demo:
            await demo.seed(network, report)
            # (imported here: it registers accounts through this module)
            from coopnet.network.demo_internal import seed_internal_room

            await seed_internal_room(network, report)
    except BotsNotReady:
        raise  # what runs is healthy; only the bots that failed were stopped
    except BaseException:
        _stop_bots(started_bots)
        stop_homeservers(started)
        raise
    return network


async def start_bots(
    network: Network,
    report: Report,
    tick_seconds: float,
    started: list[Authority],
    only: list[Authority] | None = None,
) -> None:
    """Start every member's consultation bot that is down (or those of ``only``); wait
    until each synced.

    A bot that is running (its process alive, whether synced yet or restarting after a
    failure under its supervisor) is left alone. Each bot started is appended to
    ``started``; one that fails to start is stopped alone (:class:`BotsNotReady`).
    """
    pending = []
    for authority in network.members() if only is None else only:
        if authority.bot() is None:
            continue
        botproc.prepare(authority)
        if botproc.read_pid(authority) is not None:
            ready = "running" if botproc.is_ready(authority) else "running, not synced yet"
            report(f"{authority.id}: consultation bot already {ready}")
            continue
        pending.append((authority, botproc.start(network, authority, tick_seconds)))
        started.append(authority)
    t0 = time.monotonic()

    async def wait(authority: Authority, proc: subprocess.Popen[bytes]) -> None:
        await botproc.wait_ready(authority, proc, BOT_START_TIMEOUT)
        report(f"{authority.id}: consultation bot ready ({time.monotonic() - t0:.1f} s)")

    results = await asyncio.gather(*(wait(a, p) for a, p in pending), return_exceptions=True)
    failed = [
        (authority, result)
        for (authority, _), result in zip(pending, results, strict=True)
        if isinstance(result, BaseException)
    ]
    for authority, _ in failed:
        botproc.stop(authority)
    if failed:
        raise BotsNotReady("\n".join(str(error) for _, error in failed))


class BotsNotReady(NetworkError):
    """Some bots did not start (they were stopped); the homeservers and other bots run on."""


def _stop_bots(authorities: list[Authority]) -> None:
    for authority in authorities:
        botproc.signal_stop(authority)
    for authority in authorities:
        botproc.stop(authority)


def stop_homeservers(authorities: list[Authority]) -> None:
    # Signal all first, then wait: servers stopping one by one would mark each other as down.
    for authority in authorities:
        process.signal_stop(authority)
    for authority in authorities:
        process.stop_synapse(authority)


def down(directory: str | Path) -> list[tuple[Authority, bool]]:
    """Stop every bot, then every homeserver; return (authority, homeserver was running)."""
    network = load_network(directory)
    _stop_bots(network.authorities)
    running = [(a, process.read_pid(a) is not None) for a in network.authorities]
    stop_homeservers([a for a, is_running in running if is_running])
    return running


@dataclass(frozen=True)
class AuthorityStatus:
    authority: Authority
    pid: int | None
    healthy: bool
    bot_pid: int | None = None
    bot_ready: bool = False
    probe: probes.Probe | None = None  # None: not probed (the homeserver does not answer)


async def status(directory: str | Path) -> tuple[Network, list[AuthorityStatus]]:
    network = load_network(directory)
    ca = x509.load_pem_x509_certificate(Path(network.ca_cert).read_bytes())
    async with aiohttp.ClientSession() as session:
        healthy = await asyncio.gather(
            *(process.is_healthy(session, a) for a in network.authorities)
        )

        async def probe(authority: Authority, ok: bool) -> probes.Probe | None:
            return await probes.probe(session, authority, ca) if ok else None

        probed = await asyncio.gather(
            *(probe(a, ok) for a, ok in zip(network.authorities, healthy, strict=True))
        )
    return network, [
        AuthorityStatus(a, process.read_pid(a), ok, botproc.read_pid(a), botproc.is_ready(a), found)
        for a, ok, found in zip(network.authorities, healthy, probed, strict=True)
    ]


def network_summary(network: Network) -> str:
    """A JSON-free, readable list of who can log in where (passwords are in network.json)."""
    lines = []
    for authority in network.authorities:
        tag = "" if authority.member else "  (not a member)"
        lines.append(f"{authority.id}  {authority.state} — {authority.name}{tag}")
        lines.append(f"    homeserver {authority.server_name}  client {authority.client_url}")
        for account in authority.accounts:
            lines.append(f"    {account.role:8} {account.user_id}")
    return "\n".join(lines)
