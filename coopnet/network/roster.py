"""The roster of a local network: from its signed directory, verified; before the network
has one, from ``network.json`` itself (said so in the roster's source)."""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.consultation import Party, Person, Roster
from coopnet.errors import CoopNetError
from coopnet.keys import key_id, load_signing_key
from coopnet.network.botproc import signing_key_file
from coopnet.network.model import Network
from coopnet.network.rules import network_settings
from coopnet.network.trust import load_directory

log = logging.getLogger(__name__)


def network_roster(network: Network) -> Roster:
    """Who is in the network, from its verified signed directory (refused: raises)."""
    if network.directory_file is not None and network.steward_key is not None:
        return Roster.from_directory(load_directory(network), source=network.directory_file)
    parties = [
        Party(
            authority_id=a.id,
            state=a.state,
            name=a.name,
            server_name=a.server_name,
            languages=(a.language,),
            officers=tuple(Person(o.user_id, o.display_name) for o in a.officers()),
            bot=bot.user_id if (bot := a.bot()) else None,
            member=a.member,
        )
        for a in network.authorities
    ]
    source = f"{network.file} (unsigned, local)"
    return Roster(tuple(parties), bot_receipt_keys(network), source, network_settings(network))


def bot_receipt_keys(network: Network) -> dict[str, Ed25519PublicKey]:
    """The public keys of the member bots of a local network, read from their key files:
    only for a network without a signed directory yet (which lists them otherwise)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for authority in network.members():
        path = signing_key_file(authority)
        if not path.exists():
            continue
        try:
            public = load_signing_key(path).public_key()
        except (CoopNetError, OSError) as exc:
            log.warning("bot key of %s unreadable: %s", authority.id, exc)
            continue
        keys[key_id(public)] = public
    return keys
