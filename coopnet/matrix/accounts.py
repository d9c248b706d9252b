"""Account administration with Synapse's admin API (log in, look up, deactivate).

Like :mod:`coopnet.matrix.admin`, these calls need no encryption and use aiohttp.
Every failure is a :class:`MatrixError` that says what to check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp

from coopnet.errors import MatrixError

TIMEOUT = aiohttp.ClientTimeout(total=30)


def unreachable(client_url: str, exc: BaseException) -> MatrixError:
    return MatrixError(
        f"cannot reach the homeserver at {client_url} ({exc or type(exc).__name__}): is "
        "Synapse running? ('systemctl status coopnet-synapse' or 'docker compose ps'; its "
        "log says why it stopped, e.g. PostgreSQL not reachable)"
    )


async def _body(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@asynccontextmanager
async def admin_session(
    client_url: str, user_id: str, password: str
) -> AsyncIterator[AdminSession]:
    """Log an admin account in for the duration of the block, then log the device out."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
            "initial_device_display_name": "coopnet admin (temporary)",
        }
        try:
            async with http.post(f"{client_url}/_matrix/client/v3/login", json=body) as resp:
                data = await _body(resp)
                if resp.status != 200:
                    raise MatrixError(
                        f"the admin account {user_id} cannot log in at {client_url} "
                        f"(HTTP {resp.status}: {data.get('error', '')})"
                    )
        except aiohttp.ClientError as exc:
            raise unreachable(client_url, exc) from None
        session = AdminSession(http, client_url, str(data["access_token"]))
        try:
            yield session
        finally:
            try:
                await session.request("POST", "/_matrix/client/v3/logout", {})
            except MatrixError:
                pass


class AdminSession:
    def __init__(self, http: aiohttp.ClientSession, client_url: str, token: str) -> None:
        self.http = http
        self.client_url = client_url
        self.token = token

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self.http.request(
                method, self.client_url + path, json=body, headers=headers
            ) as resp:
                return resp.status, await _body(resp)
        except aiohttp.ClientError as exc:
            raise unreachable(self.client_url, exc) from None

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The admin API's view of an account, or None when it does not exist."""
        status, data = await self.request("GET", f"/_synapse/admin/v2/users/{quote(user_id)}")
        if status == 404:
            return None
        if status != 200:
            raise MatrixError(f"looking up {user_id} failed (HTTP {status}: {data.get('error')})")
        return data

    async def deactivate(self, user_id: str, erase: bool) -> None:
        status, data = await self.request(
            "POST", f"/_synapse/admin/v1/deactivate/{quote(user_id)}", {"erase": erase}
        )
        if status != 200:
            raise MatrixError(f"deactivating {user_id} failed (HTTP {status}: {data.get('error')})")

    async def exempt_from_rate_limits(self, user_id: str) -> None:
        """The bot sends in bursts: lift its message rate limit (admin API override)."""
        path = f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit"
        status, data = await self.request("POST", path, {"messages_per_second": 0})
        if status != 200:
            raise MatrixError(
                f"lifting the rate limit of {user_id} failed (HTTP {status}: {data.get('error')})"
            )
