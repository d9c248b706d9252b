"""A local network of central authorities: CA, certificates, Synapse configs and processes.

``coopnet net up`` and the integration-test fixture both go through :mod:`.lifecycle`.
"""

from coopnet.network.model import Account, Authority, Network, load_network
from coopnet.network.roster import roster

__all__ = ["Account", "Authority", "Network", "load_network", "roster"]
