"""Add an authority to a running local network (``coopnet net add-authority``).

Nothing stops: the new authority's homeserver is laid out (certificate from the
network CA), started, its accounts registered and enrolled; the steward lists it in
the next signed directory; then :func:`~coopnet.network.apply.apply_directory`
restarts, one at a time, the members whose allowlist changed (Synapse reads the
allowlist only at start), and the new authority's bot starts. Its officers can consult
as soon as that returns.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from pathlib import Path

from coopnet.errors import NetworkError
from coopnet.network import botproc, lifecycle, process
from coopnet.network import trust as network_trust
from coopnet.network.apply import apply_directory
from coopnet.network.model import Authority, Network, load_network
from coopnet.trust import directory as d
from coopnet.trust.store import load_steward_key, republish


@dataclass
class Added:
    authority: Authority
    version: int  # the signed directory that lists it
    restarted: list[Authority]
    seconds: dict[str, float] = field(default_factory=dict)  # phase → duration


def next_address(network: Network) -> str:
    """The loopback address after the highest one the network uses."""
    highest = max(ipaddress.IPv4Address(a.address) for a in network.authorities)
    address = highest + 1
    if not address.is_loopback:
        raise NetworkError(f"no loopback address left after {highest}")
    return str(address)


async def add_authority(
    directory: str | Path,
    authority_id: str,
    report: lifecycle.Report = lifecycle._quiet,
    with_bot: bool = True,
    bot_tick_seconds: float = 30.0,
) -> Added:
    network = load_network(Path(directory).resolve())
    if any(a.id == authority_id for a in network.authorities):
        raise NetworkError(f"{network.file} already has an authority {authority_id!r}")
    listed = network_trust.load_directory(network)  # a running network has one
    clock = time.monotonic()
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.monotonic()
        seconds[phase] = now - clock
        clock = now

    address = next_address(network)
    authority = lifecycle.new_member(network, authority_id, address)
    for port, what in (
        (authority.client_port, "client listener"),
        (authority.federation_port, "federation listener"),
    ):
        process.check_port_free(address, port, what)
    network.authorities.append(authority)
    network.save()
    report(f"{authority_id}: {authority.state}, homeserver {address}")
    lifecycle.write_configs(network, listed)  # the members' files stay as they are
    started = await lifecycle.start_missing(network, report)
    try:
        await lifecycle.register_accounts(network, report, only=[authority])
        await lifecycle.enroll_devices(network, report)
        network.save()
        botproc.prepare(authority)  # its receipt key goes into its directory entry
        lap("homeserver and accounts")
        key = load_steward_key(network_trust.steward_key_path(network))
        grown = republish(
            d.with_authority(listed, network_trust.directory_entry(authority)),
            key,
            network_trust.directory_path(network),
            network_trust.accepted_path(network),
        )
        report(f"signed directory v{grown.version} lists {authority_id}")
        result = await apply_directory(network.directory, report)
        lap("directory and rolling restarts")
        if with_bot and authority.bot() is not None:
            await lifecycle.start_bots(network, report, bot_tick_seconds, [], only=[authority])
            lap("bot")
    except BaseException:
        lifecycle.stop_homeservers(started)
        raise
    return Added(authority, grown.version, result.restarted, seconds)
