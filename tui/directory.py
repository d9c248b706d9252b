"""The directory the client browses: authorities, contact points, legal-requirement profiles.

It is read from the **signed network directory** (:mod:`coopnet.trust`), already verified
against the steward's key by the device policy (:func:`from_signed`); the bots' receipt
keys come from it too. Only a network that has no signed directory yet falls back to the
local ``network.json`` and the bots' key files, and says so (:func:`from_network`).
Legal-requirement profiles come from :mod:`coopnet.profiles`.
Nothing here talks to a homeserver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet import trust
from coopnet.errors import CoopNetError
from coopnet.network import Network
from coopnet.network.botproc import signing_key_file
from coopnet.profiles import load_profile
from coopnet.protocol import RequirementsAnswer
from coopnet.receipts import Keys, keys_from_directory
from coopnet.records import key_id, load_signing_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contact:
    user_id: str
    display_name: str


@dataclass(frozen=True)
class ContactPoint:
    role: str
    hours: str
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AuthorityInfo:
    id: str
    name: str
    state: str
    language: str
    server_name: str
    officers: tuple[Contact, ...] = ()
    bot: str | None = None
    member: bool = True
    profile: RequirementsAnswer | None = None  # its legal-requirements profile, if any
    areas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    contacts: tuple[ContactPoint, ...] = ()


@dataclass(frozen=True)
class Directory:
    authorities: tuple[AuthorityInfo, ...] = ()
    source: str = "none"
    receipt_keys: Keys = field(default_factory=dict, compare=False)
    """The member bots' receipt-signing public keys (key id → key)."""
    _by_server: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for authority in self.authorities:
            self._by_server[authority.server_name] = authority.id

    def authority_of(self, user_id: str) -> str | None:
        """The authority of a Matrix user, by its homeserver (None if not in the directory)."""
        server = user_id.split(":", 1)[1] if ":" in user_id else ""
        return self._by_server.get(server)

    def get(self, authority_id: str) -> AuthorityInfo | None:
        return next((a for a in self.authorities if a.id == authority_id), None)

    def members(self) -> list[AuthorityInfo]:
        return [a for a in self.authorities if a.member]

    def member_servers(self) -> list[str]:
        return [a.server_name for a in self.members()]


def profile_of(authority_id: str) -> RequirementsAnswer | None:
    try:
        found = load_profile(authority_id)
    except CoopNetError as exc:
        log.warning("profile of %s refused: %s", authority_id, exc)
        return None
    return found.answer if found is not None else None


def from_signed(directory: trust.Directory, source: str) -> Directory:
    """The browsable directory from the verified, signed network directory, with the bots'
    receipt keys it lists (retired and revoked ones included, to judge old receipts)."""
    authorities = []
    for a in directory.authorities:
        authorities.append(
            AuthorityInfo(
                id=a.id,
                name=a.name,
                state=a.state,
                language=a.languages[0] if a.languages else "en",
                server_name=a.server_name,
                officers=tuple(Contact(m.user_id, m.name or m.user_id) for m in a.officers),
                bot=a.bot.user_id if a.bot else None,
                profile=profile_of(a.id),
                areas=a.areas,
                languages=a.languages,
                contacts=tuple(
                    ContactPoint(c.role, c.hours, c.user_id, c.email, c.phone) for c in a.contacts
                ),
            )
        )
    return Directory(
        tuple(authorities),
        source=f"{source} (signed, version {directory.version}, {directory.issued_at})",
        receipt_keys=keys_from_directory(directory),
    )


def from_network(network: Network) -> Directory:
    authorities = []
    for authority in network.authorities:
        bot = authority.bot()
        authorities.append(
            AuthorityInfo(
                id=authority.id,
                name=authority.name,
                state=authority.state,
                language=authority.language,
                server_name=authority.server_name,
                officers=tuple(Contact(a.user_id, a.display_name) for a in authority.officers()),
                bot=bot.user_id if bot else None,
                member=authority.member,
                profile=profile_of(authority.id) if authority.member else None,
                languages=(authority.language,),
            )
        )
    return Directory(
        tuple(authorities),
        source=f"{network.file} (unsigned, local)",
        receipt_keys=bot_receipt_keys(network),
    )


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
