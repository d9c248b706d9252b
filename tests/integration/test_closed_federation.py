"""A homeserver outside the member list can neither invite members nor join their rooms.

The outsider holds a certificate from the network CA (say, a former member), so TLS
would succeed: it is the members' federation allowlist and the rooms' server ACL that
refuse it.
"""

from __future__ import annotations

import uuid

import pytest

from coopnet.errors import MatrixError
from coopnet.network import Network
from tests.harness import OUTSIDER, OpenClient

pytestmark = pytest.mark.integration


async def test_outsider_cannot_invite_or_join(network: Network, open_client: OpenClient):
    member_user = network.authority("ch").officers()[0].user_id
    outsider_user = network.authority(OUTSIDER).officers()[0].user_id
    member, _ = await open_client(member_user)
    outsider, _ = await open_client(outsider_user)

    # The outsider's own room, inviting a member: the member's server refuses the invite.
    rogue_room = await outsider.create_consultation_room(
        f"ZZ-{uuid.uuid4().hex[:6]}", invite=[], servers=[]
    )
    with pytest.raises(MatrixError, match="inviting"):
        await outsider.invite(rogue_room, member_user)

    # A member's room: the member's server will not invite the outsider ...
    room_id = await member.create_consultation_room(
        f"CH-{uuid.uuid4().hex[:6]}", invite=[], servers=network.member_server_names()
    )
    with pytest.raises(MatrixError, match="inviting"):
        await member.invite(room_id, outsider_user)
    # ... and the outsider cannot join it either.
    with pytest.raises(MatrixError, match="joining"):
        await outsider.join(room_id)
