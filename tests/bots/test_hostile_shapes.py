"""Hostile shapes from a member officer, through the real client and a real Megolm session:
nesting thousands deep, huge arrays, long strings, wrong types at several levels. Both
bots and both officers' clients stay up, each event is recorded as rejected and answered
once by each bot, and the next structured event gets its receipt as usual."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.texts import text as bot_text
from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY
from tests.bots.helpers import receipt_for, send_event
from tests.harness import Inbox, wait_async, wait_for

pytestmark = pytest.mark.integration

IDENTITY = "org.coopnet.consultation.identity"
DEPTH = 3_000  # about 18 kB of JSON: far inside Matrix's 64 KiB event limit


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_list(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def identity(content: Any) -> dict[str, Any]:
    return {"type": IDENTITY, "version": 1, "content": content}


def text(body: Any = "hostile", **extra: Any) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, **extra}


# name -> (content, what the rejection says)
SHAPES: dict[str, tuple[dict[str, Any], str]] = {
    "deep content": (text(x=nested(DEPTH)), "levels deep"),
    "deep payload": (text(**{PAYLOAD_KEY: identity(nested(DEPTH))}), "levels deep"),
    # Deeper than an event's content may be, not deep enough to be cut while decoding.
    "deep array": (text(x=nested_list(40)), "nested more than 32 levels deep"),
    "huge array": (text(x=[0] * 15_000), "items in one value"),
    "many members": (text(x={str(i): i for i in range(2_500)}), "members in one value"),
    "long string": (text("y" * 42_000), "42000 characters"),
    "body not a string": (text({"nested": ["body"]}), "body: expected a string"),
    "msgtype not a string": ({"msgtype": 7, "body": "x"}, "msgtype: expected a string"),
    "no msgtype": ({"body": "x"}, "msgtype: required field"),
    "payload of wrong types": (
        text(**{PAYLOAD_KEY: identity({"names": [{"family": {"x": [True]}}], "nationalities": 3})}),
        "org.coopnet.consultation.content.names[0].family",
    ),
}


@contextmanager
def deep_json_allowed() -> Iterator[None]:
    """The sender's JSON encoder recurses too: let it encode what the test sends."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * DEPTH))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def answers(inbox: Inbox, bot: ConsultationBot, event_id: str) -> int:
    return sum(
        1
        for e in inbox.events
        if e.sender == bot.user_id
        and isinstance(e.content.get("org.coopnet.bot"), dict)
        and e.content["org.coopnet.bot"].get("to") == event_id
    )


async def test_hostile_shapes_are_rejected_and_nothing_stops(
    network: Network, open_client, start_bot
) -> None:
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    room = await both_bots_room(network, ch, mx, (ch_bot, mx_bot))

    sent: dict[str, str] = {}
    for name, (content, _) in SHAPES.items():
        with deep_json_allowed():
            sent[name] = await ch.send(room, content)

    bots = (ch_bot, mx_bot)
    for name, event_id in sent.items():
        reason = SHAPES[name][1]
        for bot in bots:

            async def recorded(bot: ConsultationBot = bot, event_id: str = event_id) -> bool:
                return await bot.records.get_by_event_id(event_id) is not None

            await wait_async(recorded, f"{bot.user_id} to record the {name} event", 60)
            entry = await bot.records.get_by_event_id(event_id)
            assert entry is not None and entry.kind == "rejection", (name, entry)
            problems = entry.content_value()["problems"]
            assert any(reason in p for p in problems), (name, problems)
        for client_inbox, who in ((mx_inbox, "mx"), (ch_inbox, "ch")):
            await wait_for(
                lambda inbox=client_inbox, eid=event_id: any(
                    e.event_id == eid for e in inbox.events
                ),
                f"the {who} officer's client to receive the {name} event",
            )
            shown = [e for e in client_inbox.events if e.event_id == event_id]
            if name != "payload of wrong types":  # a protocol rejection, shown by the model
                assert shown[-1].rejected is not None and reason in shown[-1].rejected, shown

    # Each bot answers each event once, in the sender's language.
    for bot in bots:
        for name, event_id in sent.items():
            await wait_for(
                lambda bot=bot, eid=event_id: answers(ch_inbox, bot, eid) >= 1,
                f"{bot.user_id}'s answer to the {name} event",
            )
    # The next normal structured event gets its receipt as usual.
    normal = await send_event(
        ch,
        room,
        identity({"names": [{"family": "Doe", "given": "John"}], "nationalities": ["CH"]}),
    )
    await wait_for(lambda: receipt_for(ch_inbox, normal) is not None, "the receipt after them")
    await wait_for(lambda: receipt_for(mx_inbox, normal) is not None, "mx's client to see it")
    entry = await ch_bot.records.get_by_event_id(normal)
    assert entry is not None and entry.kind == "event"
    for bot in bots:
        assert all(answers(ch_inbox, bot, eid) == 1 for eid in sent.values())
    for client in (ch, mx, ch_bot.matrix, mx_bot.matrix):
        assert_syncing(client)


async def both_bots_room(
    network: Network, ch: CoopNetClient, mx: CoopNetClient, bots: tuple[ConsultationBot, ...]
) -> str:
    """A consultation room of a Swiss and a Mexican officer with both bots, opened."""
    invited: list[str] = []

    async def on_invite(invitation: Invitation) -> None:
        invited.append(invitation.room_id)

    mx.on_invite(on_invite)
    servers = [network.authority(a).server_name for a in ("ch", "mx")]
    room = await ch.create_consultation_room(
        f"HOSTILE-{uuid.uuid4().hex[:6]}",
        invite=[mx.user_id, *(bot.user_id for bot in bots)],
        servers=servers,
    )
    await wait_for(lambda: room in invited, "mx's invitation")
    await mx.join(room)
    members = {mx.user_id, *(bot.user_id for bot in bots)}
    await wait_for(lambda: members <= ch.joined(room), "everyone to join")
    await send_event(
        ch,
        room,
        {
            "type": "org.coopnet.consultation.opened",
            "version": 1,
            "content": {
                "case_ref": "HOSTILE-1",
                "kind": "extradition",
                "requesting_authority": "ch",
                "requested_authority": "mx",
                "legal_basis": {"basis": "untoc"},
            },
        },
    )
    return room


def assert_syncing(client: CoopNetClient) -> None:
    task = client._sync_task  # noqa: SLF001 - the test checks the loop itself still runs
    assert task is not None and not task.done(), f"the sync of {client.user_id} ended"


async def test_every_kind_of_event_has_an_outcome(network: Network, open_client, start_bot) -> None:
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    room = await both_bots_room(network, ch, mx, (mx_bot,))
    names = {"names": [{"family": "Doe", "given": "John"}], "nationalities": ["CH"]}
    step = await send_event(ch, room, identity(names))
    await wait_for(lambda: receipt_for(ch_inbox, step) is not None, "the identity receipt")

    reaction = await ch.send(
        room,
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": step, "key": "👍"}},
        "m.reaction",
    )
    edit = await ch.send(
        room,
        text(
            "* edited",
            **{
                "m.new_content": text("edited"),
                "m.relates_to": {"rel_type": "m.replace", "event_id": step},
            },
        ),
    )
    custom = await ch.send(room, {"msgtype": "org.example.custom", "body": "hello"})
    redaction = await ch.redact(room, step, "withdrawn")
    after = await send_event(ch, room, identity({**names, "nationalities": ["MX"]}))
    await wait_for(lambda: receipt_for(ch_inbox, after) is not None, "the receipt after them")

    async def kind(event_id: str) -> str | None:
        entry = await mx_bot.records.get_by_event_id(event_id)
        return entry.kind if entry is not None else None

    assert await kind(reaction) == "message"
    assert await kind(edit) == "rejection"
    assert await kind(custom) == "message"
    assert await kind(redaction) == "note"
    assert await kind(step) == "event"  # the record keeps what was redacted
    await wait_for(lambda: answers(ch_inbox, mx_bot, edit) == 1, "the answer to the edit")
    kept = bot_text("redaction.kept", mx_bot.roster.language_of(ch_user), event_id=step)
    await wait_for(
        lambda: any(
            e.sender == mx_bot.user_id and e.content.get("body") == kept for e in ch_inbox.events
        ),
        "the notice that the record keeps the redacted exchange",
    )
