"""A local network of central authorities: CA, certificates, Synapse configs and processes.

``coopnet net up`` and the integration-test fixture both go through :mod:`.lifecycle`.
The terminal client and the bots use this facade only, never the submodules: the
network's map (:class:`Network`), where a bot keeps its files, and the device policy
that follows from the network's signed directory.
"""

from coopnet.network.botproc import (
    evidence_dir,
    evidence_key_file,
    ready_file,
    records_db,
    signing_key_file,
    state_db,
)
from coopnet.network.model import Account, Authority, Network, load_network
from coopnet.network.roster import network_roster
from coopnet.network.trust import device_policy

__all__ = [
    "Account",
    "Authority",
    "Network",
    "device_policy",
    "load_network",
    "network_roster",
    "ready_file",
    "evidence_dir",
    "evidence_key_file",
    "records_db",
    "signing_key_file",
    "state_db",
]
