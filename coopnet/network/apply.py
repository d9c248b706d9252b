"""Apply a new signed directory to a running local network (``coopnet net apply-directory``).

Each homeserver's ``federation_domain_whitelist`` is re-derived from the verified
directory; Synapse reads it only at start, so every running homeserver whose
configuration changed is restarted — one at a time, each answering again before the
next one stops, so the network never loses more than one member at once. Meanwhile
the federation gate (:mod:`coopnet.federation_gate`) already enforces the new
directory on every member: a removed authority is refused from the moment the
steward publishes, not from its homeserver's restart. Federation is then checked
between the listed members that run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from coopnet.network import lifecycle, process
from coopnet.network import trust as network_trust
from coopnet.network.model import Authority, load_network

log = logging.getLogger(__name__)

CONFIG_FILE = "homeserver.yaml"


@dataclass(frozen=True)
class ApplyResult:
    version: int
    servers: list[str]  # the allowlist now in force
    changed: list[Authority]  # configuration rewritten
    restarted: list[Authority]  # running, changed, restarted


def _config(authority: Authority) -> bytes | None:
    try:
        return (authority.path / CONFIG_FILE).read_bytes()
    except FileNotFoundError:
        return None


async def restart(authority: Authority) -> None:
    """Stop one homeserver and start it again; return once it answers."""
    process.signal_stop(authority)
    await asyncio.to_thread(process.stop_synapse, authority)
    proc = process.start_synapse(authority)
    await process.wait_healthy(authority, proc, lifecycle.START_TIMEOUT)


async def apply_directory(
    directory: str | Path, report: lifecycle.Report = lifecycle._quiet
) -> ApplyResult:
    network = load_network(directory)
    listed = network_trust.load_directory(network)
    before = {a.id: _config(a) for a in network.authorities}
    lifecycle.write_configs(network, listed)
    changed = [a for a in network.authorities if _config(a) != before[a.id]]
    running = [a for a in changed if process.read_pid(a) is not None]
    servers = network_trust.federation_allowlist(network, listed)
    report(f"directory v{listed.version}: members federate with {', '.join(servers)}")
    for authority in running:
        await restart(authority)
        report(f"{authority.id}: homeserver restarted with the new allowlist")
    live = [
        a for a in network_trust.listed_members(network, listed) if process.read_pid(a) is not None
    ]
    await lifecycle.check_federation(network, report, members=live)
    return ApplyResult(listed.version, servers, changed, running)
