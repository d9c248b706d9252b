"""Waiting for a room's server ACL to become what the signed directory says."""

from __future__ import annotations

from typing import Any

from coopnet.matrix import CoopNetClient
from tests.harness import wait_async


async def acl_becomes(
    client: CoopNetClient, room_id: str, allow: list[str], timeout: float
) -> dict[str, Any]:
    """The room's ``m.room.server_acl`` content, once it allows exactly ``allow``."""
    seen: list[dict[str, Any] | None] = [None]

    async def allows() -> bool:
        seen[0] = await client.server_acl(room_id)
        return seen[0] is not None and seen[0].get("allow") == allow

    await wait_async(
        allows,
        f"the ACL of {room_id} to allow {allow}",
        timeout,
        explain=lambda: f"the ACL is {seen[0]}",
        interval=0.2,
    )
    assert seen[0] is not None
    return seen[0]
