"""Consultation text never reaches a homeserver's files in clear: not a plain message, not
the fields of structured events, not what the bots post (receipts, reminders, answers,
refusals).

Scanned: every file under an authority's directory except ``clients/`` (the officers' own
device stores) and ``bot/`` (the bot's own record and keys, which hold plaintext by
design and serve as the positive control that the canaries really travelled).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from coopnet.matrix import ReceivedEvent
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY, ConsultationOpened, LegalBasis, encode
from coopnet.protocol.vocab import Kind, LegalBasisType
from tests.bots.conftest import StartBot
from tests.bots.conftest import start_bot as start_bot  # noqa: F401 - the bots' fixture
from tests.bots.helpers import receipt_for, send_event
from tests.harness import Inbox, OpenClient, wait_async, wait_for
from tests.integration import client_api

pytestmark = pytest.mark.integration

NOT_THE_HOMESERVERS = {"clients", "bot"}
BOT_MARKER = "org.coopnet.bot"  # where a bot's notice says what it is (answer, reminder)


def files_containing(root: Path, needles: Iterable[str], skip: set[str]) -> dict[str, list[Path]]:
    """For each needle, the files under ``root`` holding it (each file read once)."""
    wanted = {needle: needle.encode() for needle in needles}
    hits: dict[str, list[Path]] = {needle: [] for needle in wanted}
    for path in root.rglob("*"):
        if not path.is_file() or skip & set(path.relative_to(root).parts):
            continue
        data = path.read_bytes()
        for needle, raw in wanted.items():
            if raw in data:
                hits[needle].append(path)
    return hits


def homeserver_files_containing(network: Network, authority_id: str, needles: Iterable[str]):
    root = network.authority(authority_id).path
    found = files_containing(root, needles, NOT_THE_HOMESERVERS)
    return {needle: paths for needle, paths in found.items() if paths}


def canary() -> str:
    return f"CNRY{uuid.uuid4().hex[:16]}"


def stored_forms(body: str) -> list[str]:
    """The longest line of a notice, as it would be stored if it leaked: raw UTF-8 and
    JSON-escaped (the whole body may not be stored byte for byte)."""
    line = max(body.splitlines(), key=len)
    assert len(line) >= 16, body
    return [line, json.dumps(line)[1:-1]]


async def test_canary_is_in_no_homeserver_file(network: Network, open_client: OpenClient):
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    invited: list[str] = []

    async def on_invite(invitation):
        invited.append(invitation.room_id)

    mx.on_invite(on_invite)
    case_ref = f"CH-MX-{uuid.uuid4().hex[:8]}"
    room_id = await ch.create_consultation_room(
        case_ref, invite=[mx_user], servers=network.member_server_names()
    )
    await wait_for(lambda: room_id in invited, "mx to be invited")
    await mx.join(room_id)
    await wait_async(
        lambda: joined(network, ch_user, room_id, {mx_user}), "mx's join", interval=0.2
    )

    secret = canary()
    await ch.send_text(room_id, f"Person sought: {secret}, born 1980-01-01")
    await wait_for(
        lambda: mx_inbox.find(lambda e: secret in e.content.get("body", "")),
        "mx to decrypt the canary message",
    )

    for authority_id in ("ch", "mx"):
        assert homeserver_files_containing(network, authority_id, [secret]) == {}, authority_id
    # Positive control: the scan does find what the server legitimately holds in clear.
    assert homeserver_files_containing(network, "ch", [case_ref]) != {}


async def joined(network: Network, user_id: str, room_id: str, users: set[str]) -> bool:
    return users <= await client_api.joined_members(network, user_id, room_id)


def bot_notices(inbox: Inbox, bot_user: str, kind: str) -> list[ReceivedEvent]:
    return [
        e
        for e in inbox.events
        if e.sender == bot_user
        and e.decrypted
        and isinstance(e.content.get(BOT_MARKER), dict)
        and e.content[BOT_MARKER].get("kind") == kind
    ]


def seen_from(inbox: Inbox, room_id: str) -> str:
    """What an officer received in the room (for a failure message)."""
    return "\n".join(
        f"{e.sender} decrypted={e.decrypted} {e.content.get(BOT_MARKER)} "
        f"{str(e.content.get('body', ''))[:60]!r}"
        for e in inbox.events
        if e.room_id == room_id
    )


def payload(type_name: str, **content: Any) -> dict[str, Any]:
    return {"type": f"org.coopnet.consultation.{type_name}", "version": 1, "content": content}


async def test_structured_fields_and_bot_posts_are_in_no_homeserver_file(
    network: Network, open_client: OpenClient, start_bot: StartBot
):
    """Both sides' bots in the room: receipts, a reminder, an answer and a refusal are
    produced from events whose fields carry canaries; none of it is on a homeserver."""
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    invited: list[str] = []

    async def on_invite(invitation):
        invited.append(invitation.room_id)

    mx.on_invite(on_invite)
    case_ref = f"CH-MX-{uuid.uuid4().hex[:8]}"
    everyone = {mx_user, ch_bot.user_id, mx_bot.user_id}
    room = await ch.create_consultation_room(
        case_ref,
        invite=sorted(everyone),
        servers=[network.authority("ch").server_name, network.authority("mx").server_name],
    )
    await wait_for(lambda: room in invited, "mx to be invited")
    await mx.join(room)
    await wait_async(
        lambda: joined(network, ch_user, room, everyone), "everyone to join", interval=0.2
    )
    canaries = {
        name: canary()
        for name in (
            "summary",
            "family",
            "given",
            "alias",
            "place",
            "facts",
            "question",
            "note",
            "assurance",
            "bad",
        )
    }

    async def certified(client, inbox: Inbox, event: dict[str, Any] | ConsultationOpened) -> str:
        """Send ``event``; wait for the other side's bot's receipt; its hash is a canary."""
        if isinstance(event, ConsultationOpened):
            event_id = await client.send(room, encode(event))
        else:
            event_id = await send_event(client, room, event)
        await wait_for(lambda: receipt_for(inbox, event_id) is not None, f"receipt of {event_id}")
        receipt = receipt_for(inbox, event_id)
        assert receipt is not None
        canaries[f"receipt {event_id}"] = receipt.content[PAYLOAD_KEY]["content"]["content_hash"]
        return event_id

    today = dt.datetime.now(dt.UTC).date()
    await certified(
        ch,
        ch_inbox,
        ConsultationOpened(
            case_ref=case_ref,
            kind=Kind.EXTRADITION,
            requesting_authority="ch",
            requested_authority="mx",
            legal_basis=LegalBasis(basis=LegalBasisType.UNTOC),
            summary=canaries["summary"],
        ),
    )
    await certified(
        ch,
        ch_inbox,
        payload(
            "identity",
            names=[{"family": canaries["family"], "given": canaries["given"]}],
            aliases=[canaries["alias"]],
            place_of_birth=canaries["place"],
            offence_facts=canaries["facts"],
            nationalities=["CH"],
        ),
    )
    await certified(
        mx,
        mx_inbox,
        payload("requirements.query", topics=["dual_criminality"], question=canaries["question"]),
    )
    # An answer: the Swiss bot answers with its requirements profile.
    await ch.send_text(room, "!consult requirements ch")
    # A reminder: a time limit due today makes both bots remind their officers today.
    await certified(
        ch,
        ch_inbox,
        payload(
            "stage",
            from_stage="pre_request_consultation",
            to_stage="provisional_arrest_requested",
            date=(today - dt.timedelta(days=2)).isoformat(),
            note=canaries["note"],
        ),
    )
    await certified(
        mx,
        mx_inbox,
        payload(
            "stage",
            from_stage="provisional_arrest_requested",
            to_stage="provisional_arrest_executed",
            date=(today - dt.timedelta(days=1)).isoformat(),
            due_date=today.isoformat(),
        ),
    )
    await certified(
        mx,
        mx_inbox,
        payload(
            "assurance",
            assurance_id="a1",
            assurance_type="death_penalty",
            giver="ch",
            receiver="mx",
            text=canaries["assurance"],
            assurance_status="requested",
        ),
    )
    # A refusal: a malformed identity, whose bad value the bot's answer quotes back.
    rejected = await ch.send(
        room,
        {
            "msgtype": "m.text",
            "body": "identity",
            PAYLOAD_KEY: payload(
                "identity", names=[{"family": "X"}], date_of_birth=canaries["bad"]
            ),
        },
    )

    await wait_for(
        lambda: bot_notices(ch_inbox, ch_bot.user_id, "reminder"),
        "the Swiss bot's reminder",
        explain=lambda: seen_from(ch_inbox, room),
    )
    await wait_for(
        lambda: bot_notices(mx_inbox, mx_bot.user_id, "reminder"),
        "the Mexican bot's reminder",
        explain=lambda: seen_from(mx_inbox, room),
    )
    bots = (ch_bot.user_id, mx_bot.user_id)

    def refusals() -> list[ReceivedEvent]:
        answers = [e for bot in bots for e in bot_notices(ch_inbox, bot, "answer")]
        return [e for e in answers if e.content[BOT_MARKER].get("to") == rejected]

    await wait_for(refusals, "the refusal of the malformed identity")
    answer = "org.coopnet.consultation.requirements.answer"
    await wait_for(
        lambda: mx_inbox.find(
            lambda e: (
                e.sender == ch_bot.user_id
                and isinstance(e.content.get(PAYLOAD_KEY), dict)
                and e.content[PAYLOAD_KEY].get("type") == answer
            )
        ),
        "the Swiss bot's requirements answer",
    )
    posted = [
        *bot_notices(ch_inbox, ch_bot.user_id, "reminder"),
        *bot_notices(mx_inbox, mx_bot.user_id, "reminder"),
        *refusals(),
        *[
            e
            for e in mx_inbox.events
            if e.sender == ch_bot.user_id
            and PAYLOAD_KEY in e.content
            and e.content[PAYLOAD_KEY].get("type") == answer
        ],
    ]
    for event in posted:
        for n, form in enumerate(stored_forms(event.content["body"])):
            canaries[f"bot post {event.event_id} {n}"] = form
    assert any(canaries["bad"] in e.content["body"] for e in refusals())  # quoted back

    needles = list(canaries.values())
    for authority_id in ("ch", "mx"):
        leaked = homeserver_files_containing(network, authority_id, needles)
        assert leaked == {}, (authority_id, leaked)
    # Positive controls: the bots' own records hold the canaries (so they did travel), and
    # the scan finds what a homeserver holds in clear (the room name).
    for authority_id in ("ch", "mx"):
        root = network.authority(authority_id).path
        in_bot = files_containing(root / "bot", [canaries["family"]], set())
        assert in_bot[canaries["family"]], authority_id
    assert homeserver_files_containing(network, "mx", [case_ref]) != {}
