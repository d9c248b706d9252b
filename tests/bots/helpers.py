"""Helpers for driving a consultation from officers' clients."""

from __future__ import annotations

import uuid
from typing import Any

from coopnet.ids import server_of
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent
from coopnet.protocol import (
    PAYLOAD_KEY,
    Event,
    encode,
    parse_content,
)
from tests.harness import Inbox, opened, wait_for


def payload_type(event: ReceivedEvent) -> str | None:
    payload = event.content.get(PAYLOAD_KEY)
    return payload.get("type") if isinstance(payload, dict) else None


def receipt_for(inbox: Inbox, event_id: str) -> ReceivedEvent | None:
    def is_receipt(e: ReceivedEvent) -> bool:
        payload = e.content.get(PAYLOAD_KEY)
        return (
            isinstance(payload, dict)
            and payload.get("type") == "org.coopnet.consultation.receipt"
            and payload.get("content", {}).get("event_id") == event_id
        )

    return inbox.find(is_receipt)


def notice_after(inbox: Inbox, sender: str, contains: str) -> ReceivedEvent | None:
    return inbox.find(
        lambda e: (
            e.sender == sender
            and e.content.get("msgtype") == "m.notice"
            and contains in e.content.get("body", "")
        )
    )


async def send_event(client: CoopNetClient, room_id: str, event: Event | dict[str, Any]) -> str:
    if isinstance(event, dict):
        parsed = parse_content({PAYLOAD_KEY: event})
        assert isinstance(parsed, Event), parsed
        event = parsed
    return await client.send(room_id, encode(event))


async def wait_notice(inbox: Inbox, sender: str, contains: str, what: str) -> ReceivedEvent:
    await wait_for(lambda: notice_after(inbox, sender, contains) is not None, what)
    found = notice_after(inbox, sender, contains)
    assert found is not None
    return found


async def shared_room(
    creator: CoopNetClient,
    invitee: CoopNetClient,
    bot_users: list[str],
    case_ref: str,
) -> str:
    """A consultation room that ``creator`` makes with ``invitee`` (an officer of another
    authority) and the given bots, once all of them joined; returns its id."""
    invitations: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invitations.append(invitation)

    invitee.on_invite(on_invite)
    servers = [server_of(creator.user_id), server_of(invitee.user_id)]
    room = await creator.create_consultation_room(
        case_ref, invite=[invitee.user_id, *bot_users], servers=servers
    )
    await wait_for(lambda: any(i.room_id == room for i in invitations), "the invitation")
    await invitee.join(room)
    members = {invitee.user_id, *bot_users}
    await wait_for(lambda: members <= creator.joined(room), "everyone to join")
    return room


async def open_ch_mx_consultation(
    ch: CoopNetClient, mx: CoopNetClient, bot_user: str, prefix: str
) -> tuple[str, str]:
    """A consultation room made by a Swiss officer with a Mexican officer and the Swiss
    bot in it, opened (extradition, UNTOC); returns (room id, case reference)."""
    case_ref = f"{prefix}-{uuid.uuid4().hex[:6]}"
    room = await shared_room(ch, mx, [bot_user], case_ref)
    await ch.send(room, encode(opened(case_ref, "ch", "mx")))
    return room, case_ref
