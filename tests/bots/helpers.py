"""Helpers for driving a consultation from officers' clients."""

from __future__ import annotations

import uuid
from typing import Any

from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent
from coopnet.network import Network
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


async def open_ch_mx_consultation(
    network: Network, ch: CoopNetClient, mx: CoopNetClient, bot_user: str, prefix: str
) -> tuple[str, str]:
    """A consultation room made by a Swiss officer with a Mexican officer and the Swiss
    bot in it, opened (extradition, UNTOC); returns (room id, case reference)."""
    invitations: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invitations.append(invitation)

    mx.on_invite(on_invite)
    case_ref = f"{prefix}-{uuid.uuid4().hex[:6]}"
    mx_user = mx.user_id
    room = await ch.create_consultation_room(
        case_ref,
        invite=[mx_user, bot_user],
        servers=[network.authority("ch").server_name, network.authority("mx").server_name],
    )
    await wait_for(lambda: any(i.room_id == room for i in invitations), "mx's invitation")
    await mx.join(room)
    await wait_for(lambda: {mx_user, bot_user} <= ch.joined(room), "everyone to join")
    await ch.send(room, encode(opened(case_ref, "ch", "mx")))
    return room, case_ref
