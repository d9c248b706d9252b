"""Who is in the network, as the bot needs it: server -> authority, languages, accounts.

Built from ``network.json`` for the local network (the signed directory replaces it
where it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.ids import server_of
from coopnet.network import Network
from coopnet.trust.directory import Directory


@dataclass(frozen=True)
class Member:
    authority_id: str
    state: str
    server_name: str
    language: str
    officers: tuple[str, ...]
    bot: str | None


class Members:
    def __init__(self, members: list[Member]) -> None:
        self.by_id = {m.authority_id: m for m in members}
        self.by_server = {m.server_name: m for m in members}

    @classmethod
    def from_network(cls, network: Network) -> Members:
        return cls(
            [
                Member(
                    a.id,
                    a.state,
                    a.server_name,
                    a.language,
                    tuple(o.user_id for o in a.officers()),
                    bot.user_id if (bot := a.bot()) else None,
                )
                for a in network.members()
            ]
        )

    @classmethod
    def from_directory(
        cls, directory: Directory, languages: dict[str, str] | None = None
    ) -> Members:
        """The authorities the signed directory lists; ``languages`` overrides the first
        listed language of some (e.g. the bot's own authority, from its configuration)."""
        languages = languages or {}
        return cls(
            [
                Member(
                    a.id,
                    a.state,
                    a.server_name,
                    languages.get(a.id) or (a.languages[0] if a.languages else "en"),
                    tuple(o.user_id for o in a.officers),
                    a.bot.user_id if a.bot else None,
                )
                for a in directory.authorities
            ]
        )

    def authority_of(self, user_id: str) -> str | None:
        member = self.by_server.get(server_of(user_id)) if ":" in user_id else None
        return member.authority_id if member else None

    def language_of(self, user_id: str) -> str:
        member = self.by_server.get(server_of(user_id)) if ":" in user_id else None
        return member.language if member else "en"

    def servers(self) -> frozenset[str]:
        return frozenset(self.by_server)
