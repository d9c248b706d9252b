"""Network rooms follow the signed directory (the host authority's bot keeps them).

The steward lists each network room in the signed directory with the authority that
hosts it (:mod:`coopnet.consultation.network_room` says why the host's bot acts). At each
tick, after :class:`~bots.consultation.acl.AclFollower` has re-read the directory, the
host's bot creates the rooms it hosts that do not exist yet and, when the directory's
version changed (and once after start), reconciles each of them: removes whom the
directory no longer lists, sets the server ACL to the listed servers, invites the listed
officers who are not in it. A step that fails is retried at the next tick.

The bot remembers the rooms it created (its state database): only those it administers;
a room of the same type that someone else made and invited it to is never touched.
"""

from __future__ import annotations

import logging

from bots.framework.state import BotState
from coopnet.consultation import network_room
from coopnet.errors import CoopNetError
from coopnet.matrix import CoopNetClient, DevicePolicy, DirectoryDevices
from coopnet.trust.directory import Directory

log = logging.getLogger(__name__)


class NetworkRoomKeeper:
    def __init__(self, policy: DevicePolicy, authority_id: str, state: BotState) -> None:
        self.policy = policy
        self.authority_id = authority_id
        self.state = state
        self.applied: int | None = None  # the directory version every hosted room follows
        self._created: dict[str, str] | None = None  # topic → room id, read once

    def created(self) -> dict[str, str]:
        """Topic → room id of the network rooms this bot created."""
        if self._created is None:
            self._created = self.state.network_rooms()
        return self._created

    def hosts(self, room_id: str) -> bool:
        """Whether ``room_id`` is a network room this bot keeps (not a consultation: its
        events are neither recorded, nor steps, nor commands)."""
        return room_id in self.created().values()

    async def follow(self, client: CoopNetClient) -> None:
        if not isinstance(self.policy, DirectoryDevices):
            return  # no signed directory: no network rooms
        directory = self.policy.directory  # AclFollower re-read it this tick
        if directory.version == self.applied:
            return
        created = self.created()
        done = True
        for wanted in directory.network_rooms:
            if wanted.host != self.authority_id:
                continue
            try:
                room_id = created.get(wanted.topic)
                if room_id is None:
                    await self._create(client, directory, wanted.topic)
                else:
                    await self._reconcile(client, directory, room_id)
            except CoopNetError as exc:
                log.warning("network room %s not in line yet (retrying): %s", wanted.topic, exc)
                done = False
        if done:
            self.applied = directory.version

    async def _create(self, client: CoopNetClient, directory: Directory, topic: str) -> None:
        plan = network_room.plan(topic, directory, client.user_id)
        room_id = await client.create_room(plan)
        await self.state.save_network_room(topic, room_id)
        self.created()[topic] = room_id
        log.info("created the network room %s (%s)", topic, room_id)
        await self._reconcile(client, directory, room_id)

    async def _reconcile(self, client: CoopNetClient, directory: Directory, room_id: str) -> None:
        room = client.room(room_id)
        if room is None:
            raise CoopNetError(f"this bot is not in its network room {room_id}")
        plan = network_room.reconcile(
            directory, room.joined, room.invited, await client.server_acl(room_id), client.user_id
        )
        reason = f"not listed in the signed network directory v{directory.version}"
        for user_id in plan.kicks:
            await client.kick(room_id, user_id, reason)
        if plan.acl is not None and await client.set_server_acl(room_id, plan.acl) == "forbidden":
            raise CoopNetError(f"this bot may not change the server ACL of {room_id}")
        for user_id in plan.invites:
            await client.invite(room_id, user_id)
        if not plan.nothing_to_do:
            log.info(
                "network room %s follows directory v%d: %d removed, %d invited%s",
                room_id,
                directory.version,
                len(plan.kicks),
                len(plan.invites),
                ", ACL set" if plan.acl is not None else "",
            )
