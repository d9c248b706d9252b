"""The client-server API called directly, with an enrolled device's stored access token,
so a test can read the homeserver's own answer (HTTP status, ``errcode``, ``error``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from coopnet.matrix.session import StoredSession
from coopnet.network import Network


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def errcode(self) -> str | None:
        return self.body.get("errcode")

    @property
    def error(self) -> str:
        return str(self.body.get("error", ""))


def federation_denied(answer: Answer, server: str) -> bool:
    """Synapse's answer when a federation allowlist refuses ``server``."""
    return (
        answer.status == 403
        and answer.errcode == "M_FORBIDDEN"
        and answer.error == f"Federation denied with {server}."
    )


def gate_denied(answer: Answer, server: str) -> bool:
    """The federation gate's answer to an invite of a server the directory does not list
    (it answers before Synapse's allowlist does)."""
    return (
        answer.status == 403
        and answer.errcode == "M_FORBIDDEN"
        and answer.error.startswith(f"{server} is not a member of the network: ")
    )


async def call(
    network: Network, user_id: str, method: str, path: str, body: dict[str, Any] | None = None
) -> Answer:
    """``method`` ``/_matrix/client/v3`` + ``path`` as ``user_id``'s enrolled device."""
    authority, account = network.account(user_id)
    session = StoredSession.load(Path(account.store_dir or ""))
    assert session is not None, f"{user_id} has no stored session"
    async with aiohttp.ClientSession() as http:
        async with http.request(
            method,
            f"{authority.client_url}/_matrix/client/v3{path}",
            json=body if body is not None else ({} if method != "GET" else None),
            headers={"Authorization": f"Bearer {session.access_token}"},
            timeout=aiohttp.ClientTimeout(total=120),
        ) as resp:
            data = await resp.json(content_type=None)
            return Answer(resp.status, data if isinstance(data, dict) else {})


async def invite(network: Network, inviter: str, room_id: str, user_id: str) -> Answer:
    return await call(
        network, inviter, "POST", f"/rooms/{quote(room_id)}/invite", {"user_id": user_id}
    )


async def join(network: Network, user_id: str, room_id: str, via: list[str]) -> Answer:
    servers = "&".join(f"server_name={quote(s)}" for s in via)
    return await call(network, user_id, "POST", f"/join/{quote(room_id)}?{servers}")


async def joined_members(network: Network, user_id: str, room_id: str) -> set[str]:
    answer = await call(network, user_id, "GET", f"/rooms/{quote(room_id)}/joined_members")
    assert answer.status == 200, answer
    return set(answer.body.get("joined", {}))
