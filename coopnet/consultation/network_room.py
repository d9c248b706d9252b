"""The plan of a network room (pure): regular contact between the central authorities.

The steward lists the network rooms in the signed directory (``coopnet directory
add-network-room TOPIC --host ID``): a lobby of the central authorities, topic rooms such
as assurances practice or extradition of nationals. The **host authority's bot** creates
each room and, whenever it accepts a new directory, brings the room to what the directory
says (:func:`reconcile`): every listed officer invited, anyone else removed, the server
ACL allowing exactly the listed servers.

Why the host's bot acts, not the steward's CLI: the steward holds a signing key, not a
Matrix account, and need not be online; the bot already re-reads the signed directory at
every tick and makes consultation rooms' ACLs follow it (``bots.consultation.acl``), and
it administers the rooms it creates (room version 12: the creator has all power). One
host per room, named in the signed directory, so two bots never contend for a room.

What the homeservers see: a network room's name is its topic's label (a fixed
vocabulary, never case data), its creation content's ``type`` says which topic it is
(:func:`room_type`), and it has no topic text. Messages in it are encrypted as in a
consultation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coopnet.consultation.room import (
    ADMIN_LEVEL,
    MEMBER_LEVEL,
    ROOM_VERSION,
    RoomPlan,
    consultation_initial_state,
    followed_server_acl,
)
from coopnet.ids import server_of
from coopnet.protocol.labels import label
from coopnet.protocol.vocab import NetworkRoomTopic, enum_key
from coopnet.trust.directory import Directory

ROOM_TYPE_PREFIX = "org.coopnet.network."


def room_type(topic: NetworkRoomTopic | str) -> str:
    """The creation content ``type`` of the network room on ``topic``."""
    return ROOM_TYPE_PREFIX + NetworkRoomTopic(topic).value


def topic_of(room_type_: str | None) -> NetworkRoomTopic | None:
    """The topic of a network room from its room type; None for any other room."""
    if not room_type_ or not room_type_.startswith(ROOM_TYPE_PREFIX):
        return None
    try:
        return NetworkRoomTopic(room_type_.removeprefix(ROOM_TYPE_PREFIX))
    except ValueError:
        return None


def topic_label(topic: NetworkRoomTopic | str, lang: str) -> str:
    """The room's name in ``lang`` (one of the six UN languages)."""
    return label(f"{enum_key(NetworkRoomTopic)}.{NetworkRoomTopic(topic).value}", lang)


def listed_officers(directory: Directory) -> frozenset[str]:
    """Who belongs in every network room: the officers of the listed authorities."""
    return frozenset(o.user_id for a in directory.authorities for o in a.officers)


def network_power_levels() -> dict[str, Any]:
    """Whoever is in the room may talk; only its creator (the host's bot) invites,
    removes and changes state, so membership and ACL follow the directory alone."""
    return {
        "users": {},
        "users_default": MEMBER_LEVEL,
        "events_default": MEMBER_LEVEL,
        "state_default": ADMIN_LEVEL,
        "invite": ADMIN_LEVEL,
        "redact": MEMBER_LEVEL,
        "kick": ADMIN_LEVEL,
        "ban": ADMIN_LEVEL,
        "events": {},
        "notifications": {"room": ADMIN_LEVEL},
    }


def plan(topic: NetworkRoomTopic | str, directory: Directory, creator: str) -> RoomPlan:
    """The network room on ``topic`` as ``creator`` (the host's bot) creates it, the ACL
    allowing the listed servers. Nobody is invited in the creation itself (one server
    that does not answer would fail it): :func:`reconcile` invites, one by one."""
    topic = NetworkRoomTopic(topic)
    servers = tuple(sorted({*directory.server_names(), server_of(creator)}))
    return RoomPlan(
        name=topic_label(topic, "en"),
        room_version=ROOM_VERSION,
        invite=(),
        servers=servers,
        initial_state=tuple(consultation_initial_state(servers)),
        power_levels=network_power_levels(),
        room_type=room_type(topic),
    )


@dataclass(frozen=True)
class Reconciliation:
    """What the host's bot does to a network room so that it follows the directory, in
    this order: remove (their servers then leave the ACL), set the ACL, invite (the new
    servers are allowed before their officers answer)."""

    kicks: tuple[str, ...]
    acl: dict[str, Any] | None  # the new m.room.server_acl content; None: it is right
    invites: tuple[str, ...]

    @property
    def nothing_to_do(self) -> bool:
        return not self.kicks and self.acl is None and not self.invites


def reconcile(
    directory: Directory,
    joined: Iterable[str],
    invited: Iterable[str],
    current_acl: Mapping[str, Any] | None,
    host: str,
) -> Reconciliation:
    """The changes that make a network room follow ``directory``.

    ``joined`` and ``invited`` are the room's members now, ``current_acl`` its server ACL
    content, ``host`` the bot that administers it. Every listed officer not yet in the
    room is invited; every member (joined or invited) the directory does not list as an
    officer is removed, except the host itself; the ACL allows exactly the listed servers
    and the host's own (the same rule as a consultation room's:
    :func:`~coopnet.consultation.room.followed_server_acl`, with every listed server as
    the room's).
    """
    listed = listed_officers(directory)
    members = set(joined) | set(invited)
    servers = directory.server_names()
    return Reconciliation(
        kicks=tuple(sorted(members - listed - {host})),
        acl=followed_server_acl(current_acl, servers, servers, server_of(host)),
        invites=tuple(sorted(listed - members - {host})),
    )
