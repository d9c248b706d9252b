"""Whether a homeserver answers at all, asked without a Matrix client.

nio retries a refused connection by itself, so through nio a homeserver that is away
shows up as silence; and while a device is being opened there is no nio session yet.
"""

from __future__ import annotations

import asyncio

import aiohttp


async def homeserver_answers(homeserver: str, timeout: float) -> bool:
    """True if ``homeserver`` gives any HTTP answer (even an error) within ``timeout``."""
    url = homeserver.rstrip("/") + "/_matrix/client/versions"
    try:
        async with asyncio.timeout(timeout):
            async with aiohttp.ClientSession() as session, session.get(url):
                return True
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False
