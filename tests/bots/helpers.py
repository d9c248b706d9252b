"""Helpers for driving a consultation from officers' clients."""

from __future__ import annotations

from typing import Any

from coopnet.matrix import CoopNetClient, ReceivedEvent
from coopnet.protocol import PAYLOAD_KEY, Event, encode, parse_content
from tests.harness import Inbox, wait_for


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
