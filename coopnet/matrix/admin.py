"""Homeserver administration over HTTP: shared-secret registration and health.

These calls need no end-to-end encryption, so they use aiohttp directly rather than nio.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import aiohttp

from coopnet.errors import MatrixError
from coopnet.ids import UserID

REGISTER_PATH = "/_synapse/admin/v1/register"


def registration_mac(
    shared_secret: str, nonce: str, localpart: str, password: str, admin: bool
) -> str:
    """HMAC-SHA1 that Synapse's shared-secret registration expects (NUL-separated fields)."""
    fields = (nonce, localpart, password, "admin" if admin else "notadmin")
    message = b"\x00".join(field.encode() for field in fields)
    return hmac.new(shared_secret.encode(), message, hashlib.sha1).hexdigest()


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


async def register_user(
    client_url: str,
    server_name: str,
    shared_secret: str,
    localpart: str,
    password: str,
    displayname: str,
    admin: bool = False,
    exist_ok: bool = True,
) -> UserID:
    """Create an account with Synapse's shared-secret admin API and drop the device it makes.

    An account that already exists is not an error: its user id is returned (with
    ``exist_ok=False`` it is a :class:`MatrixError`).
    """
    url = client_url + REGISTER_PATH
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            data = await _json(resp)
            if resp.status != 200 or "nonce" not in data:
                raise MatrixError(
                    f"{url}: cannot get a registration nonce (HTTP {resp.status}: "
                    f"{data.get('error', 'no error text')})"
                )
            nonce = data["nonce"]
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "displayname": displayname,
            "admin": admin,
            "mac": registration_mac(shared_secret, nonce, localpart, password, admin),
        }
        async with session.post(url, json=body) as resp:
            data = await _json(resp)
            if resp.status == 400 and data.get("errcode") == "M_USER_IN_USE":
                if not exist_ok:
                    raise MatrixError(f"@{localpart}:{server_name} already exists")
                return UserID(f"@{localpart}:{server_name}")
            if resp.status != 200:
                raise MatrixError(
                    f"registering {localpart!r} at {client_url} failed (HTTP {resp.status}: "
                    f"{data.get('errcode')}: {data.get('error')})"
                )
        # Registration logs the account in; that device would be one nobody uses.
        token = data.get("access_token")
        if token:
            async with session.post(
                f"{client_url}/_matrix/client/v3/logout",
                headers={"Authorization": f"Bearer {token}"},
                json={},
            ):
                pass
        return UserID(data["user_id"])
