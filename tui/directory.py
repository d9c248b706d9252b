"""The directory the client browses: the network's roster, with each authority's
legal-requirement profile.

Who is who comes from :class:`coopnet.consultation.Roster`, the one model of the network
that the bots read too: built from the **signed network directory** (verified against the
steward's key by the device policy, :func:`from_signed`), with the bots' receipt keys it
lists; only a network without a signed directory yet falls back to the local
``network.json`` (:func:`from_network`, which says so). Legal-requirement profiles come
from :mod:`coopnet.profiles`. Nothing here talks to a homeserver.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from coopnet import trust
from coopnet.consultation import ConsultationSettings, Party, Roster
from coopnet.errors import CoopNetError
from coopnet.network import Network, network_roster
from coopnet.profiles import load_profile
from coopnet.protocol import RequirementsAnswer
from coopnet.receipts import Keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Directory:
    roster: Roster = field(default_factory=Roster)
    profiles: Mapping[str, RequirementsAnswer] = field(default_factory=dict)
    """Legal-requirements profiles by authority id (the authorities that have one)."""

    @property
    def source(self) -> str:
        return self.roster.source

    @property
    def settings(self) -> ConsultationSettings:
        """What the network sets for every consultation (its signed directory's rules)."""
        return self.roster.settings

    @property
    def receipt_keys(self) -> Keys:
        """The member bots' receipt-signing public keys (key id → key)."""
        return self.roster.receipt_keys

    @property
    def authorities(self) -> tuple[Party, ...]:
        return self.roster.parties

    def authority_of(self, user_id: str) -> str | None:
        """The authority of a Matrix user, by its homeserver (None if not in the directory)."""
        return self.roster.authority_of(user_id)

    def is_authority(self, authority_id: str) -> bool:
        return self.roster.is_authority(authority_id)

    def is_officer(self, user_id: str) -> bool:
        return self.roster.is_officer(user_id)

    def get(self, authority_id: str) -> Party | None:
        return self.roster.party(authority_id)

    def members(self) -> list[Party]:
        return self.roster.members()

    def profile(self, authority_id: str) -> RequirementsAnswer | None:
        return self.profiles.get(authority_id)


def profile_of(authority_id: str) -> RequirementsAnswer | None:
    try:
        found = load_profile(authority_id)
    except CoopNetError as exc:
        log.warning("profile of %s refused: %s", authority_id, exc)
        return None
    return found.answer if found is not None else None


def with_profiles(network_roster: Roster) -> Directory:
    """The roster with the packaged profile of each member authority that has one."""
    profiles = {p.authority_id: profile_of(p.authority_id) for p in network_roster.members()}
    return Directory(network_roster, {k: v for k, v in profiles.items() if v is not None})


def from_signed(directory: trust.Directory, source: str) -> Directory:
    """The browsable directory from the verified, signed network directory, with the bots'
    receipt keys it lists (retired and revoked ones included, to judge old receipts)."""
    return with_profiles(Roster.from_directory(directory, source=source))


def from_network(network: Network) -> Directory:
    """The local network's directory (its signed directory when it has one)."""
    return with_profiles(network_roster(network))
