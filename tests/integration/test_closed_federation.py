"""A homeserver outside the member list can neither invite members nor join their rooms.

The outsider holds a certificate from the network CA (say, a former member), so TLS
would succeed: it is the members' federation allowlist that refuses it. The refusal is
read from the homeserver's own answer (HTTP 403, ``M_FORBIDDEN``, "Federation denied
with <server>"), never from "some request failed": a member inviting another member
over the same path succeeds, and a server that is merely down gives another answer.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from coopnet.network import Network
from tests.harness import BASE_ADDRESS, OUTSIDER, OpenClient
from tests.integration import client_api
from tests.integration.client_api import federation_denied, gate_denied

pytestmark = pytest.mark.integration

# Nothing listens there (the session network is +0..3, the failure tests +10 and up).
DOWN_SERVER = str(ipaddress.IPv4Address(BASE_ADDRESS) + 9)


async def test_outsider_cannot_invite_or_join(network: Network, open_client: OpenClient):
    member_user = network.authority("ch").officers()[0].user_id
    other_member = network.authority("cn").officers()[0].user_id
    outsider_user = network.authority(OUTSIDER).officers()[0].user_id
    outsider_server = network.authority(OUTSIDER).server_name
    member, _ = await open_client(member_user)
    outsider, _ = await open_client(outsider_user)

    # The outsider's own room, inviting a member: the outsider's server (which has no
    # allowlist) asks the member's server, and that one refuses the outsider by name.
    rogue_room = await outsider.create_consultation_room(
        f"ZZ-{uuid.uuid4().hex[:6]}", invite=[], servers=[]
    )
    refused = await client_api.invite(network, outsider_user, rogue_room, member_user)
    assert federation_denied(refused, outsider_server), refused
    # The control: a server that is down is not a refusal, and must not pass for one.
    unreachable = await client_api.invite(
        network, outsider_user, rogue_room, f"@nobody:{DOWN_SERVER}"
    )
    assert unreachable.status != 200 and not federation_denied(unreachable, outsider_server)
    assert unreachable.errcode != "M_FORBIDDEN", unreachable

    # A member's room: the member's server will not invite the outsider (its federation
    # gate, which follows the signed directory, answers before the allowlist would) ...
    room_id = await member.create_consultation_room(
        f"CH-{uuid.uuid4().hex[:6]}", invite=[], servers=network.member_server_names()
    )
    refused = await client_api.invite(network, member_user, room_id, outsider_user)
    assert gate_denied(refused, outsider_server), refused
    # ... and the outsider cannot join it either: the member's server refuses it by name.
    ch_server = network.authority("ch").server_name
    refused = await client_api.join(network, outsider_user, room_id, [ch_server])
    assert federation_denied(refused, outsider_server), refused
    assert outsider_user not in await client_api.joined_members(network, member_user, room_id)

    # The positive control: over the same path a member invites another member.
    invited = await client_api.invite(network, member_user, room_id, other_member)
    assert invited.status == 200, invited
