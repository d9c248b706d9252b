"""A bot stopped between recording a rejection and answering it answers after restarting.

The stop is reproduced exactly: the event arrives while the bot is down, and its record
gets the rejection entry the bot would have written just before dying. The restarted bot
then sees the event as already handled, and must still tell the officer why it was
refused, once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bots.consultation.runner import build_bot
from bots.consultation.texts import text
from bots.consultation.view import BOT_MARKER, recorded_content
from coopnet.network import Network, load_network
from coopnet.protocol import PAYLOAD_KEY, ParseError, parse_content
from coopnet.records import NewEntry
from tests.bots.conftest import StartBot
from tests.harness import wait_async, wait_for

pytestmark = pytest.mark.integration


async def test_an_answer_lost_in_a_crash_is_posted_after_the_restart(
    network: Network, open_client: Any, start_bot: StartBot
):
    net = load_network(network.directory)
    officer = net.authority("ch").officers()[0].user_id
    client, inbox = await open_client(officer)
    bot = await start_bot("ch")
    case_ref = f"CH-CN-ANSWER-{uuid.uuid4().hex[:6].upper()}"
    room = await client.create_consultation_room(
        case_ref, invite=[bot.user_id], servers=network.member_server_names()
    )
    await wait_for(lambda: bot.user_id in client.joined(room), "the bot to join")
    await bot.stop()

    content = {
        "msgtype": "m.text",
        "body": "malformed",
        PAYLOAD_KEY: {
            "type": "org.coopnet.consultation.identity",
            "version": 1,
            "content": {"names": []},
        },
    }
    parsed = parse_content(content)
    assert isinstance(parsed, ParseError)
    problems = [str(p) for p in parsed.problems]
    event_id = await client.send(room, content)

    # What the bot had written when it died: the rejection, not yet the answer.
    crashed = build_bot(net, "ch")
    await crashed.setup()
    try:
        await crashed.records.append(
            NewEntry(
                case_ref=case_ref,
                room_id=room,
                kind="rejection",
                sender=officer,
                content=recorded_content(
                    "m.room.message", content, problems=problems, answer_title="rejected.title"
                ),
                event_id=event_id,
                origin_ts=None,
            )
        )
    finally:
        await crashed.teardown()

    def answers() -> list[Any]:
        return [
            e
            for e in inbox.events
            if e.room_id == room
            and e.sender == bot.user_id
            and (e.content.get(BOT_MARKER) or {}).get("to") == event_id
        ]

    restarted = await start_bot("ch")
    await wait_for(lambda: bool(answers()), "the restarted bot to answer the rejected event")
    lang = restarted.roster.language_of(officer)
    body = answers()[0].content["body"]
    assert body.startswith(text("rejected.title", lang)), body
    assert all(f"• {p}" in body for p in problems), body

    async def answered_in_view() -> bool:
        return event_id in (await restarted.view(room)).answered

    await wait_async(answered_in_view, "the answer to be recorded in the bot's view")
    assert len(answers()) == 1, "answered once"
    entry = await restarted.records.get_by_event_id(event_id)
    assert entry is not None and entry.kind == "rejection"
