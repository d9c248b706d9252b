"""A new room key after a member leaves: what nio does, and what it leaves undone.

nio drops a room's outbound Megolm session when a sync shows a membership change
(``_invalidate_session_for_member_event``) or a device's trust changes, but through
``invalidate_outbound_session``, which puts the session back when it is not marked
``shared``; and a session is marked shared only once every member device got it or was
ignored: a device that had no Olm session at that moment, or one blacklisted, leaves it
unmarked. Such a session may well have been shared with the member who just left (an
expert whose access ended), and nio would keep encrypting with it. :func:`discard` drops
it whatever its mark, so the next message goes in a session the departed member never
got; :func:`departures` finds, in one sync, the rooms where someone else left.
"""

from __future__ import annotations

import logging
from typing import Any

from nio import RoomMemberEvent, SyncResponse

log = logging.getLogger(__name__)

GONE = ("leave", "ban")


def discard(nio: Any, room_id: str) -> bool:
    """Drop the room's outbound session, shared or not. False when it cannot be dropped
    now: nio is sharing it (a send in flight, which marks it shared when done and fails
    if it is gone); the caller drops it before its next send instead."""
    olm = nio.olm
    if olm is None:
        return True
    if room_id in getattr(nio, "sharing_session", {}):
        return False
    session = olm.outbound_group_sessions.pop(room_id, None)
    if session is not None:
        log.info("discarded the outbound room key of %s: the next message gets a new one", room_id)
    return True


def departures(resp: SyncResponse, own_user: str) -> set[str]:
    """The joined rooms in which this sync shows another member leaving or removed."""
    found = set()
    for room_id, info in resp.rooms.join.items():
        for event in (*info.state, *info.timeline.events):
            if (
                isinstance(event, RoomMemberEvent)
                and event.membership in GONE
                and event.state_key != own_user
                and (event.prev_membership or "") not in GONE
            ):
                found.add(room_id)
    return found
