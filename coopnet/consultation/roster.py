"""Who is in the network (pure): the one model the bot and the client read.

Built from the verified signed network directory (:func:`Roster.from_directory`): each
authority's State and name, server, working languages, officers with their display names,
its bot, and the bots' receipt keys. ``network.json`` is the local map of processes, not a
second directory: a local network without a signed directory yet builds its roster through
:func:`coopnet.network.roster`, from the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from coopnet.consultation.settings import ConsultationSettings
from coopnet.ids import server_of
from coopnet.receipts import Keys, keys_from_directory
from coopnet.trust.directory import ContactPoint, Directory


@dataclass(frozen=True)
class Person:
    """An officer or a bot, with the name the directory gives it."""

    user_id: str
    name: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.user_id


@dataclass(frozen=True)
class Party:
    """One authority of the network."""

    authority_id: str
    state: str
    name: str
    server_name: str
    languages: tuple[str, ...] = ("en",)
    officers: tuple[Person, ...] = ()
    bot: str | None = None
    areas: tuple[str, ...] = ()
    contacts: tuple[ContactPoint, ...] = ()
    member: bool = True

    @property
    def language(self) -> str:
        """The authority's working language (the first it lists)."""
        return self.languages[0] if self.languages else "en"

    def users(self) -> tuple[str, ...]:
        """Every account of the authority: officers, then the bot."""
        return tuple(o.user_id for o in self.officers) + ((self.bot,) if self.bot else ())


@dataclass(frozen=True)
class Roster:
    parties: tuple[Party, ...] = ()
    receipt_keys: Keys = field(default_factory=dict, compare=False)
    """The member bots' receipt-signing public keys (key id → key), as the directory lists
    them (retired and revoked ones included, to judge old receipts)."""
    source: str = "none"
    settings: ConsultationSettings = field(default_factory=ConsultationSettings, compare=False)
    """What the network sets for every consultation (the signed directory's rules)."""
    _by_id: dict[str, Party] = field(default_factory=dict, repr=False, compare=False)
    _by_server: dict[str, Party] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for party in self.parties:
            self._by_id[party.authority_id] = party
            self._by_server[party.server_name] = party

    @classmethod
    def from_directory(
        cls,
        directory: Directory,
        languages: Mapping[str, str] | None = None,
        source: str = "signed directory",
    ) -> Roster:
        """The roster of a verified directory; ``languages`` puts a working language first
        for some authorities (a bot's configuration names its own)."""
        languages = languages or {}
        parties = []
        for a in directory.authorities:
            langs = a.languages or ("en",)
            if a.id in languages:
                first = languages[a.id]
                langs = (first, *(lang for lang in langs if lang != first))
            parties.append(
                Party(
                    authority_id=a.id,
                    state=a.state,
                    name=a.name,
                    server_name=a.server_name,
                    languages=tuple(langs),
                    officers=tuple(Person(m.user_id, m.name) for m in a.officers),
                    bot=a.bot.user_id if a.bot else None,
                    areas=a.areas,
                    contacts=a.contacts,
                )
            )
        described = f"{source} (signed, version {directory.version}, {directory.issued_at})"
        settings = ConsultationSettings.from_rules(directory.rules)
        return cls(tuple(parties), keys_from_directory(directory), described, settings)

    # ------------------------------------------------------------ queries
    def party(self, authority_id: str) -> Party | None:
        return self._by_id.get(authority_id)

    def party_of(self, user_id: str) -> Party | None:
        """The authority of a Matrix user, by its homeserver."""
        return self._by_server.get(server_of(user_id)) if ":" in user_id else None

    def authority_of(self, user_id: str) -> str | None:
        party = self.party_of(user_id)
        return party.authority_id if party else None

    def is_authority(self, authority_id: str) -> bool:
        return authority_id in self._by_id

    def is_officer(self, user_id: str) -> bool:
        """Whether the directory lists ``user_id`` as an officer (not a bot, not an
        internal account, which it never lists)."""
        party = self.party_of(user_id)
        return party is not None and any(o.user_id == user_id for o in party.officers)

    def language_of(self, user_id: str) -> str:
        party = self.party_of(user_id)
        return party.language if party else "en"

    def members(self) -> list[Party]:
        return [p for p in self.parties if p.member]

    def ids(self) -> list[str]:
        return [p.authority_id for p in self.parties]

    def servers(self) -> frozenset[str]:
        return frozenset(p.server_name for p in self.members())

    def display_name(self, user_id: str) -> str:
        party = self.party_of(user_id)
        if party is not None:
            for person in party.officers:
                if person.user_id == user_id:
                    return person.display_name
        return user_id
