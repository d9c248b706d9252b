"""Room server ACLs follow the signed directory.

At each tick the bot re-reads the signed directory (a newer verified version is
accepted, an older or forged one refused). When the version changed — and once after
start — it narrows the ``m.room.server_acl`` of every room it is in to the room's
servers that the directory still lists. The homeserver enforces who may do so: the bot
can change the ACL only of rooms it administers (those it created with
``!consult open``: in room version 12 the creator has all power); rooms an officer
created report ``forbidden`` and are left to that officer. Network rooms are left to
:mod:`bots.consultation.network_rooms` (their ACL spans every listed server, by the same
rule). The ACL carries server names only, never case data.
"""

from __future__ import annotations

import logging

from coopnet.consultation import network_room
from coopnet.errors import CoopNetError
from coopnet.matrix import CoopNetClient, DevicePolicy, DirectoryDevices

log = logging.getLogger(__name__)


class AclFollower:
    def __init__(self, policy: DevicePolicy) -> None:
        self.policy = policy
        self.applied: int | None = None  # the directory version every room follows
        self._forbidden: set[str] = set()  # rooms this bot does not administer

    async def follow(self, client: CoopNetClient) -> None:
        if not isinstance(self.policy, DirectoryDevices):
            return  # no signed directory: nothing to follow
        try:
            directory = self.policy.reload()
        except CoopNetError as exc:
            log.error("the signed directory was refused; keeping the one in force: %s", exc)
            return
        if directory.version == self.applied:
            return
        listed = directory.server_names()
        done = True
        for room_id in sorted(client.room_ids()):
            room = client.room(room_id)
            if room is not None and network_room.topic_of(room.room_type) is not None:
                continue  # a network room spans every listed server: NetworkRoomKeeper's
            try:
                outcome = await client.follow_server_acl(room_id, listed)
            except CoopNetError as exc:
                log.warning("server ACL of %s not updated yet (retrying): %s", room_id, exc)
                done = False
                continue
            if outcome == "forbidden" and room_id not in self._forbidden:
                self._forbidden.add(room_id)
                log.warning(
                    "cannot update the server ACL of %s: this bot does not administer it "
                    "(an officer created it); its creator must",
                    room_id,
                )
        if done:
            self.applied = directory.version
            log.info("server ACLs follow directory v%d", directory.version)
