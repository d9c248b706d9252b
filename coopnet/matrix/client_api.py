"""Client-server endpoints nio has no helper for (account data, key backup), sent
through the device's own nio client: same homeserver, token and bounded decoding."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import ClientError
from nio import AsyncClient

from coopnet.errors import MatrixError

log = logging.getLogger(__name__)

V3 = "/_matrix/client/v3"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errcode(self) -> str:
        return str(self.body.get("errcode", ""))

    def describe(self) -> str:
        error = str(self.body.get("error", ""))[:200]
        return f"HTTP {self.status} {self.errcode} {error}".strip()


def path(*parts: str, **query: str) -> str:
    """A v3 client path, each part URL-quoted, with a query string if given."""
    text = V3 + "".join("/" + quote(p, safe="") for p in parts)
    return text + ("?" + urlencode(query) if query else "")


async def call(
    nio: AsyncClient, method: str, url_path: str, body: dict[str, Any] | None = None
) -> Answer:
    """One authenticated request; the answer's status and (bounded) JSON body."""
    headers = {"Authorization": f"Bearer {nio.access_token}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body, separators=(",", ":"))
    try:
        resp = await nio.send(method, url_path, data, headers)
    except (ClientError, TimeoutError) as exc:
        raise MatrixError(f"{method} {url_path.split('?')[0]} failed: {exc!r}") from None
    async with resp:
        parsed = await nio.parse_body(resp)
        return Answer(resp.status, parsed if isinstance(parsed, dict) else {})


async def get_account_data(nio: AsyncClient, event_type: str) -> dict[str, Any] | None:
    """The user's global account data of ``event_type``; None when there is none."""
    answer = await call(nio, "GET", path("user", str(nio.user_id), "account_data", event_type))
    if answer.status == 404:
        return None
    if not answer.ok:
        raise MatrixError(f"reading account data {event_type} failed: {answer.describe()}")
    return answer.body


async def put_account_data(nio: AsyncClient, event_type: str, content: dict[str, Any]) -> None:
    answer = await call(
        nio, "PUT", path("user", str(nio.user_id), "account_data", event_type), content
    )
    if not answer.ok:
        raise MatrixError(f"writing account data {event_type} failed: {answer.describe()}")
