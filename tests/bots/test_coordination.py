"""The internal coordination room on the real network (issue 18 part 1): a police account
of Switzerland's homeserver (never in the directory) in a room that is not federated;
the Swiss bot mirrors the consultation's stage there and reminds a task (clock injected);
bad tasks and forbidden shares are refused naming the field, by the CLI and by the
client (``s`` on a timeline entry); and Mexico's homeserver database holds no event of
that room."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from bots.consultation.runner import build_bot
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent
from coopnet.network import Network, device_policy, load_network
from coopnet.network.internal import add_internal_account
from coopnet.network.trust import load_directory
from coopnet.protocol import (
    BOT_MARKER,
    PAYLOAD_KEY,
    CoordinationTask,
    Event,
    encode,
    label,
    parse_payload,
)
from tests.bots.helpers import payload_type, wait_notice
from tests.bots.test_documents_cli import coopnet
from tests.harness import opened, wait_async, wait_for
from tests.tui.conftest import service_for, until
from tests.tui.test_cards import open_room
from tui.app import CoopNetApp

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()


def marker(event: ReceivedEvent) -> dict[str, Any]:
    found = event.content.get(BOT_MARKER)
    return found if isinstance(found, dict) else {}


async def cli(*argv: str) -> tuple[int, Any, str]:
    """Run ``coopnet ...`` as a process (nio's stores are not to be shared between threads
    of one process); (exit code, its JSON output, stderr)."""
    code, out, err = await coopnet(*argv)
    return code, (json.loads(out) if code == 0 and out.strip() else None), err


def rows_of(db: Path, sql: str, *params: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


async def join_once(network: Network, user_id: str, room_id: str) -> None:
    """Accept an invitation with a device that is then closed (the CLI uses it next)."""
    net = load_network(network.directory)
    authority, account = net.account(user_id)
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, user_id, store, policy=device_policy(net, store)
    )
    try:
        await client.sync_once()
        client.start()
        await client.join(room_id)
    finally:
        await client.close()


async def test_an_internal_room_mirrors_reminds_and_never_leaves_its_homeserver(
    network: Network, open_client
) -> None:
    net = load_network(network.directory)
    police = await add_internal_account(net, "ch", "police")
    assert load_directory(load_network(network.directory)).member(police.user_id) is None
    today = [TODAY]
    bot = build_bot(load_network(network.directory), "ch", tick_seconds=0.5, clock=lambda: today[0])
    await bot.start()
    try:
        await _scenario(network, open_client, bot, police.user_id, today)
    finally:
        await bot.stop()


async def _scenario(network, open_client, bot, police_user, today) -> None:
    ch_authority, mx_authority = network.authority("ch"), network.authority("mx")
    ch1_user, ch2_user = (o.user_id for o in ch_authority.officers()[:2])
    mx_user = mx_authority.officers()[0].user_id
    ch1, _ = await open_client(ch1_user)
    mx, _ = await open_client(mx_user)
    police, police_inbox = await open_client(police_user)
    invited: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invited.append(invitation)

    mx.on_invite(on_invite)
    police.on_invite(on_invite)

    # A consultation of a Swiss officer with Mexico; the second Swiss officer runs the CLI.
    case_ref = f"COORD-{uuid.uuid4().hex[:6]}"
    room = await ch1.create_consultation_room(
        case_ref,
        invite=[mx_user, bot.user_id, ch2_user],
        servers=[ch_authority.server_name, mx_authority.server_name],
    )
    await wait_for(lambda: any(i.room_id == room for i in invited), "mx's invitation")
    await mx.join(room)
    await join_once(network, ch2_user, room)
    await wait_for(lambda: {mx_user, bot.user_id, ch2_user} <= ch1.joined(room), "all to join")
    await ch1.send(room, encode(opened(case_ref, "ch", "mx")))
    as_ch2 = ("--network", str(network.directory), "--account", ch2_user, "--json")

    # Opening the internal room: not federated, the police account invited.
    code, done, err = await cli("coordination", "open", case_ref, "--agency", police_user, *as_ch2)
    assert code == 0, err
    internal = done["room_id"]
    await wait_for(lambda: any(i.room_id == internal for i in invited), "police's invitation")
    await police.join(internal)
    await wait_for(lambda: police_user in bot.matrix.joined(internal), "the bot to see police")

    # The stage moves in the consultation: the bot mirrors it into the internal room.
    await ch1.send(
        room,
        encode_step(
            "stage",
            from_stage="pre_request_consultation",
            to_stage="formal_request_transmitted",
            date=TODAY.isoformat(),
        ),
    )

    def mirrored() -> ReceivedEvent | None:
        return police_inbox.find(
            lambda e: (
                e.room_id == internal
                and e.sender == bot.user_id
                and marker(e).get("mirror", {}).get("stage") == "formal_request_transmitted"
            )
        )

    await wait_for(lambda: mirrored() is not None, "the mirrored stage in the internal room")
    stage_label = label("stage.formal_request_transmitted", bot.own_party.language)
    assert stage_label in mirrored().content["body"]  # type: ignore[union-attr]

    # Bad input: each names its field, nothing is sent.
    code, _, err = await cli(
        "coordination", "task", case_ref, "locate-1", "--title", "Locate",
        "--assignee", mx_user, "--due", (TODAY + dt.timedelta(days=5)).isoformat(), *as_ch2,
    )  # fmt: skip
    assert code == 2 and "assignee: not_a_member" in err, err
    code, _, err = await cli(
        "coordination", "task", case_ref, "locate-1", "--title", "Locate",
        "--assignee", police_user, "--due", (TODAY - dt.timedelta(days=1)).isoformat(), *as_ch2,
    )  # fmt: skip
    assert code == 2 and "due_date: in_the_past" in err, err

    # A task for the police, due in five days: no reminder until the bot's clock says so.
    due = TODAY + dt.timedelta(days=5)
    code, done, err = await cli(
        "coordination", "task", case_ref, "locate-1", "--title",
        "Confirm the address", "--assignee", police_user, "--due", due.isoformat(), *as_ch2,
    )  # fmt: skip
    assert code == 0, err
    task_event = done["event_id"]
    key = f"task:locate-1:{due.isoformat()}:due"

    def reminded() -> bool:
        return police_inbox.find(lambda e: marker(e).get("key") == key) is not None

    await wait_for(
        lambda: any(payload_type(e) == CoordinationTask.type_name() for e in police_inbox.events),
        "the task in the internal room",
    )

    async def recorded() -> bool:
        return await bot.records.get_by_event_id(task_event) is not None

    await wait_async(recorded, "the bot to record the task")
    assert not reminded()  # the bot's clock is five days before the due date
    today[0] = due - dt.timedelta(days=1)
    await wait_for(reminded, "the task reminder (bot's clock one day before the due date)")

    # A task event sent by hand, bypassing the CLI, is refused by the bot all the same.
    bad = CoordinationTask.from_dict(
        {"task_id": "x", "title": "x", "assignee": mx_user, "due_date": due.isoformat()}
    )
    assert isinstance(bad, CoordinationTask)
    await police.send(internal, encode(bad))
    await wait_notice(police_inbox, bot.user_id, "assignee", "the bot's refusal of the task")

    # Sharing: refused for an item its sender keeps from onward use, allowed otherwise.
    kept = await mx.send(room, encode_step("requirements.query", topics=["documents"]))
    free = await mx.send(
        room, encode_step("requirements.query", topics=["channel"], handling=["domestic_agencies"])
    )
    forbidden = await mx.send(
        room, encode_step("requirements.query", topics=["languages"], handling=["no_onward"])
    )
    code, _, err = await cli("coordination", "share", case_ref, forbidden, *as_ch2)
    assert code == 2 and "may not be shared" in err, err
    code, done, err = await cli("coordination", "share", case_ref, free, *as_ch2)
    assert code == 0 and done["handling"] == ["domestic_agencies"], err
    await wait_for(
        lambda: police_inbox.find(lambda e: shared_source(e) == free) is not None,
        "the shared item in the internal room",
    )
    # The same from the client, by the same rule: `s` on a timeline entry (the second
    # officer's device, which the CLI used and has let go).
    also_free = await mx.send(
        room, encode_step("requirements.query", topics=["channel"], handling=["domestic_agencies"])
    )
    await _share_from_client(network, ch2_user, room, internal, also_free, forbidden)
    await wait_for(
        lambda: police_inbox.find(lambda e: shared_source(e) == also_free) is not None,
        "the item the client shared in the internal room",
    )
    assert kept  # shared by nobody: nothing of it reaches the internal room
    assert not police_inbox.find(lambda e: e.room_id == internal and kept in str(e.content))
    assert not police_inbox.find(lambda e: shared_source(e) == forbidden)

    # On the homeservers' own databases: Switzerland's holds the room, not federated;
    # Mexico's has not one event of it.
    ch_db = Path(ch_authority.data_dir) / "homeserver.db"
    mx_db = Path(mx_authority.data_dir) / "homeserver.db"
    created = rows_of(
        ch_db,
        "SELECT json FROM event_json WHERE room_id = ? AND event_id IN "
        "(SELECT event_id FROM events WHERE room_id = ? AND type = 'm.room.create')",
        internal,
        internal,
    )
    assert json.loads(created[0][0])["content"]["m.federate"] is False
    assert rows_of(ch_db, "SELECT count(*) FROM events WHERE room_id = ?", internal)[0][0] > 5
    assert rows_of(mx_db, "SELECT count(*) FROM events WHERE room_id = ?", internal) == [(0,)]
    assert rows_of(mx_db, "SELECT count(*) FROM rooms WHERE room_id = ?", internal) == [(0,)]
    assert rows_of(mx_db, "SELECT count(*) FROM events WHERE room_id = ?", room)[0][0] > 0


def shared_source(event: ReceivedEvent) -> Any:
    """The consultation event a ``coordination.shared`` item names, if it is one."""
    return event.content.get(PAYLOAD_KEY, {}).get("content", {}).get("source_event")


async def _share_from_client(
    network: Network, user_id: str, room: str, internal: str, free: str, forbidden: str
) -> None:
    """In ``user_id``'s client, select each entry of the consultation and press ``s``:
    the forbidden one is refused in place, the free one shared."""
    service = service_for(str(network.directory), user_id)
    app = CoopNetApp(service)
    async with app.run_test(size=(140, 45)) as pilot:

        def ready() -> bool:
            held = service.rooms.get(room)
            return (
                held is not None
                and held.has(free)
                and held.has(forbidden)
                and service.internal_room(room) == internal
            )

        await until(pilot, ready, "the consultation and its internal room in the client", 120)
        timeline = await open_room(pilot, app, room)
        timeline.focus()

        def said(text: str) -> bool:
            return any(text in str(n.message) for n in app._notifications)

        for event_id, outcome in ((forbidden, "Not shared"), (free, "Shared in the internal")):
            entries = timeline.consultation.entries
            timeline.select(next(i for i, e in enumerate(entries) if e.event_id == event_id))
            await pilot.press("s")
            await until(pilot, lambda outcome=outcome: said(outcome), outcome, 120)


def encode_step(type_: str, **content: Any) -> dict[str, Any]:
    event = parse_payload(
        {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}
    )
    assert isinstance(event, Event), event
    return encode(event)
