"""The directory the client browses: authorities, contact points, legal-requirement profiles.

Until the signed network directory exists, it is read from the local ``network.json``
(and says so); nothing here talks to a homeserver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coopnet.network import Network


@dataclass(frozen=True)
class Contact:
    user_id: str
    display_name: str


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
    profile: str | None = None  # a published legal-requirement profile, when there is one


@dataclass(frozen=True)
class Directory:
    authorities: tuple[AuthorityInfo, ...] = ()
    source: str = "none"
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
                officers=tuple(
                    Contact(a.user_id, a.display_name) for a in authority.officers()
                ),
                bot=bot.user_id if bot else None,
                member=authority.member,
            )
        )
    return Directory(tuple(authorities), source=f"{network.file} (unsigned, local)")
