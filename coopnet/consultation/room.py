"""The plan of a consultation room (pure): what DESIGN.md's security model asks for.

The bot's ``!consult open`` and the client's new consultation both create the room from
:func:`plan_room`: encrypted (megolm) from its first state, invite-only, no guests,
history visible from the invitation on, power to act for the two authorities' officers
and bots only, and a server ACL listing exactly the two authorities' servers.
Everything here is visible to the homeservers (state events are not encrypted), so it
carries no case data: the name is the neutral case reference and there is no topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from coopnet.consultation.roster import Roster
from coopnet.errors import ConsultationError
from coopnet.ids import server_of

MEGOLM = "m.megolm.v1.aes-sha2"

# Room version 12: the creator has unlimited power implicitly and must not be listed.
ROOM_VERSION = "12"

# Members act at 50; the creator administers; everyone else (nobody else can join:
# invite-only) is at 0 and cannot send.
MEMBER_LEVEL = 50
ADMIN_LEVEL = 100


def acl_host(server: str) -> str:
    """The host an ACL matches for a server name (ACLs ignore ports)."""
    return server.rsplit(":", 1)[0] if server.count(":") == 1 else server


def server_acl(servers: Iterable[str]) -> dict[str, Any]:
    """``m.room.server_acl`` content allowing exactly ``servers``.

    ACLs match host names without ports, and our local servers are IP literals, so
    IP literals must be allowed explicitly.
    """
    hosts = sorted({acl_host(s) for s in servers})
    return {"allow": hosts, "deny": [], "allow_ip_literals": True}


def followed_server_acl(
    current: Mapping[str, Any] | None,
    room_servers: Iterable[str],
    listed_servers: Iterable[str],
    own_server: str,
) -> dict[str, Any] | None:
    """The server ACL a room should have under the directory, or None when it has it.

    The room's servers — those its current ACL allows and those of its members — that the
    directory still lists, and always the administering server itself (an ACL that shut
    out its own author would lock the room). Only server names: never case data.
    """
    listed = {acl_host(s) for s in listed_servers}
    allowed = current.get("allow") if current else None
    candidates = {h for h in allowed if isinstance(h, str)} if isinstance(allowed, list) else set()
    candidates |= {acl_host(s) for s in room_servers}
    wanted = server_acl((candidates & listed) | {acl_host(own_server)})
    if current is not None and {k: current.get(k) for k in wanted} == wanted:
        return None
    return wanted


def consultation_initial_state(servers: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}},
        {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "invite"}},
        {"type": "m.room.guest_access", "state_key": "", "content": {"guest_access": "forbidden"}},
        {
            "type": "m.room.history_visibility",
            "state_key": "",
            "content": {"history_visibility": "invited"},
        },
        {"type": "m.room.server_acl", "state_key": "", "content": server_acl(servers)},
    ]


def consultation_power_levels(members: Iterable[str]) -> dict[str, Any]:
    return {
        "users": {user: MEMBER_LEVEL for user in members},
        "users_default": 0,
        "events_default": MEMBER_LEVEL,
        "state_default": ADMIN_LEVEL,
        "invite": MEMBER_LEVEL,
        "redact": MEMBER_LEVEL,
        # Members remove only who is below them: an expert given temporary access (at 0,
        # never listed) — the granting bot does at expiry; never one another.
        "kick": MEMBER_LEVEL,
        "ban": ADMIN_LEVEL,
        "events": {
            "m.room.name": ADMIN_LEVEL,
            "m.room.power_levels": ADMIN_LEVEL,
            "m.room.server_acl": ADMIN_LEVEL,
            "m.room.encryption": ADMIN_LEVEL,
            "m.room.history_visibility": ADMIN_LEVEL,
        },
        "notifications": {"room": ADMIN_LEVEL},
    }


def consultation_room_name(case_ref: str) -> str:
    return case_ref


@dataclass(frozen=True)
class RoomPlan:
    """Everything a homeserver is asked for when a consultation room is created."""

    name: str
    room_version: str
    invite: tuple[str, ...]
    servers: tuple[str, ...]  # the servers the room's ACL allows
    initial_state: tuple[dict[str, Any], ...]
    power_levels: dict[str, Any]
    room_type: str | None = None  # creation content ``type``: None for a consultation
    federate: bool = True  # False: ``m.federate: false``, the room never leaves its server


def room_plan(case_ref: str, invite: Iterable[str], servers: Iterable[str]) -> RoomPlan:
    """The room for ``case_ref`` with exactly these invitees (who may act) and these
    servers in its ACL (the invitees' servers are always added)."""
    invitees = tuple(sorted(set(invite)))
    allowed = tuple(sorted(set(servers) | {server_of(u) for u in invitees}))
    return RoomPlan(
        name=consultation_room_name(case_ref),
        room_version=ROOM_VERSION,
        invite=invitees,
        servers=allowed,
        initial_state=tuple(consultation_initial_state(allowed)),
        power_levels=consultation_power_levels(invitees),
    )


def plan_room(roster: Roster, case_ref: str, creator: str, counterpart: str) -> RoomPlan:
    """The room in which ``creator`` (an officer or the bot of an authority) consults the
    authority ``counterpart``: every officer and the bot of both authorities are invited
    and may act; only the two authorities' servers may take part."""
    own = roster.party_of(creator)
    other = roster.party(counterpart)
    if own is None:
        raise ConsultationError(f"{creator} belongs to no authority of the network")
    if other is None or other.authority_id == own.authority_id:
        known = ", ".join(a for a in roster.ids() if a != own.authority_id)
        raise ConsultationError(f"{counterpart!r} is not another authority (choose: {known})")
    invite = (set(own.users()) | set(other.users())) - {creator}
    return room_plan(case_ref, invite, {own.server_name, other.server_name})


def coordination_room_name(case_ref: str) -> str:
    """The internal room's name: the neutral case reference, marked internal."""
    return f"{case_ref} (internal)"


def plan_coordination_room(
    roster: Roster, case_ref: str, creator: str, agencies: Iterable[str]
) -> RoomPlan:
    """The internal coordination room of ``creator``'s authority for ``case_ref``: not
    federated (``m.federate: false``), its ACL only its own server, encrypted like a
    consultation room; invited: the authority's officers and bot and the given accounts
    of its domestic agencies, which must be accounts of its own homeserver."""
    own = roster.party_of(creator)
    if own is None:
        raise ConsultationError(f"{creator} belongs to no authority of the network")
    foreign = sorted(a for a in agencies if ":" not in a or server_of(a) != own.server_name)
    if foreign:
        raise ConsultationError(
            f"members: {', '.join(foreign)} not accounts of {own.server_name}; an internal "
            "room holds only the authority's own accounts"
        )
    invite = (set(own.users()) | set(agencies)) - {creator}
    plan = room_plan(case_ref, invite, {own.server_name})
    return replace(plan, name=coordination_room_name(case_ref), federate=False)


LIBRARY_ROOM_NAME = "CoopNet practice library"
"""The name of a library room: neutral, like a consultation room's (state is not
encrypted, so it names no case, State or topic)."""


def is_library_room(name: str | None) -> bool:
    """Whether a room is a practice-library room: its name says so (the bot, the client
    and the CLI all ask here). A library room is no consultation: it is listed apart and
    holds library entries only (:func:`~coopnet.consultation.library.misplaced_in_library`)."""
    return name == LIBRARY_ROOM_NAME


def plan_library_room(roster: Roster, creator: str) -> RoomPlan:
    """A practice-library room: encrypted like a consultation, every authority of the
    network invited (officers and bots, who may post entries) and every server in its ACL."""
    if roster.party_of(creator) is None:
        raise ConsultationError(f"{creator} belongs to no authority of the network")
    invite = {user for party in roster.members() for user in party.users()}
    return room_plan(LIBRARY_ROOM_NAME, invite - {creator}, roster.servers())
