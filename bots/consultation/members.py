"""Who is in the network, as the bot needs it: server -> authority, languages, accounts.

Built from ``network.json`` for the local network (the signed directory replaces it
where it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.matrix.rooms import server_of
from coopnet.network import Network


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

    def authority_of(self, user_id: str) -> str | None:
        member = self.by_server.get(server_of(user_id)) if ":" in user_id else None
        return member.authority_id if member else None

    def language_of(self, user_id: str) -> str:
        member = self.by_server.get(server_of(user_id)) if ":" in user_id else None
        return member.language if member else "en"

    def servers(self) -> frozenset[str]:
        return frozenset(self.by_server)
