"""A new room key after a member leaves (coopnet.matrix.rotation), on a real nio client
with its Olm machine loaded from a store (no homeserver needed): nio keeps an outbound
session it did not mark shared even when it was shared with someone who left; CoopNet
drops it, except while nio is sharing it (then before the next send)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, SyncResponse
from nio.crypto import OutboundGroupSession

from coopnet.matrix import rotation

ROOM = "!room:127.0.0.11"
ME, EXPERT = "@officer:127.0.0.11", "@expert:127.0.0.11"


def client(tmp_path: Path) -> AsyncClient:
    nio = AsyncClient(
        "http://127.0.0.1:1",
        ME,
        device_id="OFFICER1",
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    nio.restore_login(ME, "OFFICER1", "no-token")  # loads the store and its Olm machine
    return nio


def test_nio_keeps_an_unmarked_session_shared_with_a_departed_member_coopnet_drops_it(
    tmp_path: Path,
) -> None:
    nio = client(tmp_path)
    session = OutboundGroupSession()
    session.users_shared_with.add((EXPERT, "EXPERTDEV"))  # the expert got this key...
    nio.olm.outbound_group_sessions[ROOM] = session  # ...but not every device did: unmarked
    nio.invalidate_outbound_session(ROOM)
    assert nio.olm.outbound_group_sessions.get(ROOM) is session  # nio put it back
    assert rotation.discard(nio, ROOM)
    assert ROOM not in nio.olm.outbound_group_sessions


async def test_a_session_being_shared_is_left_to_the_send_in_flight(tmp_path: Path) -> None:
    nio = client(tmp_path)
    nio.olm.outbound_group_sessions[ROOM] = OutboundGroupSession()
    nio.sharing_session[ROOM] = asyncio.Event()
    assert not rotation.discard(nio, ROOM)  # dropping it now would break nio's send
    assert ROOM in nio.olm.outbound_group_sessions
    del nio.sharing_session[ROOM]
    assert rotation.discard(nio, ROOM)


def member(user: str, membership: str, prev: str | None, n: int) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "m.room.member",
        "state_key": user,
        "sender": ME,
        "event_id": f"$m{n}",
        "origin_server_ts": 1_764_000_000_000 + n,
        "content": {"membership": membership},
    }
    if prev is not None:
        event["unsigned"] = {"prev_content": {"membership": prev}}
    return event


def sync(*timeline: dict[str, Any], room: str = ROOM) -> SyncResponse:
    response = SyncResponse.from_dict(
        {
            "next_batch": "s1",
            "rooms": {
                "join": {
                    room: {
                        "timeline": {"events": list(timeline), "limited": False},
                        "state": {"events": []},
                    }
                }
            },
        }
    )
    assert isinstance(response, SyncResponse), response
    return response


def test_departures_are_rooms_where_another_member_left_or_was_removed() -> None:
    assert rotation.departures(sync(member(EXPERT, "leave", "join", 1)), ME) == {ROOM}
    assert rotation.departures(sync(member(EXPERT, "ban", "join", 1)), ME) == {ROOM}
    assert rotation.departures(sync(member(EXPERT, "leave", "invite", 1)), ME) == {ROOM}
    assert rotation.departures(sync(member(EXPERT, "join", "invite", 1)), ME) == set()
    assert rotation.departures(sync(member(ME, "leave", "join", 1)), ME) == set()
    # A leave repeated (already gone): no one new departed.
    assert rotation.departures(sync(member(EXPERT, "leave", "leave", 1)), ME) == set()
