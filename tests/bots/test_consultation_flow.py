"""A whole consultation between Switzerland and Mexico, driven by officers' clients,
with both authorities' bots recording, checking, receipting and reminding."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from bots.consultation.runner import records_path, signing_key_path
from coopnet.keys import key_id, load_signing_key
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.receipts import keys_from_directory, verify_receipt
from coopnet.records import verify_export
from coopnet.records.database import export_case, verify_db
from tests.bots.helpers import payload_type, receipt_for, send_event, wait_notice
from tests.harness import wait_async, wait_for

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()


def stage(from_stage: str, to_stage: str, days_ago: int, **extra: str) -> dict:
    date = (TODAY - dt.timedelta(days=days_ago)).isoformat()
    return {
        "type": "org.coopnet.consultation.stage",
        "version": 1,
        "content": {"from_stage": from_stage, "to_stage": to_stage, "date": date, **extra},
    }


def assurance(assurance_id: str, status: str) -> dict:
    return {
        "type": "org.coopnet.consultation.assurance",
        "version": 1,
        "content": {
            "assurance_id": assurance_id,
            "assurance_type": "death_penalty",
            "giver": "ch",
            "receiver": "mx",
            "text": "The death penalty will not be imposed or carried out.",
            "assurance_status": status,
        },
    }


async def test_full_consultation(network: Network, open_client, start_bot):
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    invited: dict[str, list[str]] = {ch_user: [], mx_user: []}

    async def on_invite_ch(invitation):
        invited[ch_user].append(invitation.room_id)

    async def on_invite_mx(invitation):
        invited[mx_user].append(invitation.room_id)

    ch.on_invite(on_invite_ch)
    mx.on_invite(on_invite_mx)

    # The officer asks their own bot, in a desk room, to open the consultation.
    tag = uuid.uuid4().hex[:6]
    desk = await ch.create_consultation_room(
        f"DESK-{tag}", invite=[ch_bot.user_id], servers=[network.authority("ch").server_name]
    )
    await wait_for(lambda: desk in ch_bot.matrix.room_ids(), "the ch bot to join the desk room")
    case_ref = f"CH-MX-{tag}"
    await ch.send_text(desk, f"!consult open mx {case_ref} extradition untoc")
    await wait_notice(ch_inbox, ch_bot.user_id, case_ref, "the bot to report the new room")
    await wait_for(lambda: invited[ch_user] and invited[mx_user], "both officers to be invited")
    room = invited[mx_user][0]
    await ch.join(room)
    await mx.join(room)
    members = {ch_user, mx_user, mx_bot.user_id}
    await wait_for(lambda: members <= ch_bot.matrix.joined(room), "everyone to join")
    opened = await _wait_payload(mx_inbox, room, "org.coopnet.consultation.opened")
    await wait_for(lambda: receipt_for(ch_inbox, opened) is not None, "mx's receipt of opening")

    # Identity of the person sought: Mexico's bot posts a signed receipt.
    identity = await send_event(
        ch,
        room,
        {
            "type": "org.coopnet.consultation.identity",
            "version": 1,
            "content": {
                "names": [{"family": "Doe", "given": "John"}],
                "date_of_birth": "1980-02-29",
                "nationalities": ["CH"],
            },
        },
    )
    await wait_for(lambda: receipt_for(ch_inbox, identity) is not None, "the identity receipt")
    receipt = receipt_for(ch_inbox, identity)
    assert receipt is not None and receipt.sender == mx_bot.user_id
    mx_key = load_signing_key(signing_key_path(network.authority("mx"))).public_key()
    identity_event = next(e for e in mx_inbox.events if e.event_id == identity)
    check = verify_receipt(receipt.content, {key_id(mx_key): mx_key}, identity_event.content)
    assert check.ok, check.reason
    # The key the bot signs with is the one the signed directory lists for it.
    listed = keys_from_directory(network_trust.load_directory(load_network(network.directory)))
    check = verify_receipt(receipt.content, listed, identity_event.content)
    assert check.ok and "current key" in check.reason, check.reason

    # Requirements: Mexico asks, Switzerland's bot answers with its (illustrative) profile.
    query = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.requirements.query",
            "version": 1,
            "content": {"topics": ["dual_criminality", "nationals"]},
        },
    )
    await wait_for(lambda: receipt_for(mx_inbox, query) is not None, "the query receipt")
    await ch.send_text(room, "!consult requirements ch")
    await _wait_payload(mx_inbox, room, "org.coopnet.consultation.requirements.answer")

    # Stages: provisional arrest requested by Switzerland, executed by Mexico with a
    # time limit due today, so both bots remind their officers today. Each side acts
    # once it holds the other side's receipt, as officers do: servers order concurrent
    # events differently.
    async def exchange(client, inbox, event) -> str:
        event_id = await send_event(client, room, event)
        await wait_for(lambda: receipt_for(inbox, event_id) is not None, f"receipt of {event}")
        return event_id

    await exchange(
        ch, ch_inbox, stage("pre_request_consultation", "provisional_arrest_requested", 2)
    )
    await exchange(
        mx,
        mx_inbox,
        stage(
            "provisional_arrest_requested",
            "provisional_arrest_executed",
            1,
            due_date=TODAY.isoformat(),
        ),
    )
    reminders: list = []

    async def reminder_recorded() -> bool:
        entries = await ch_bot.records.entries(case_ref)
        reminders[:] = [e for e in entries if e.kind == "reminder"]
        return bool(reminders)

    await wait_async(reminder_recorded, "the ch bot to post and record a reminder")
    assert TODAY.isoformat() in str(reminders[0].content_value())
    reminder_id = reminders[0].event_id
    try:
        await wait_for(
            lambda: ch_inbox.find(
                lambda e: e.event_id == reminder_id and e.decrypted and e.content.get("body")
            ),
            "the ch officer to read the reminder",
        )
    except AssertionError as exc:
        seen = [
            (e.event_id, e.decrypted, e.sender)
            for e in ch_inbox.events
            if e.sender == ch_bot.user_id
        ]
        raise AssertionError(f"{exc}; reminder {reminder_id}; from the bot: {seen}") from None
    # An illegal jump is refused with the reason, in the sender's language (Spanish).
    await send_event(mx, room, stage("provisional_arrest_executed", "granted", 0))
    await wait_notice(mx_inbox, mx_bot.user_id, "rechazado", "the refusal of an illegal stage")
    await exchange(
        ch, ch_inbox, stage("provisional_arrest_executed", "formal_request_transmitted", 0)
    )

    # Assurances: requested by Mexico, offered by Switzerland, accepted by Mexico.
    await exchange(mx, mx_inbox, assurance("a1", "requested"))
    await exchange(ch, ch_inbox, assurance("a1", "offered"))
    await exchange(mx, mx_inbox, assurance("a1", "accepted"))
    await send_event(mx, room, assurance("a2", "breached"))
    await wait_notice(mx_inbox, mx_bot.user_id, "'a2'", "the refusal of a new breached assurance")

    # Mexico's judicial and executive phases, then surrender; the assurance is monitored.
    steps = [
        "formal_request_transmitted",
        "judicial_phase",
        "executive_decision",
        "granted",
        "surrender_scheduled",
        "surrendered",
    ]
    for before, after in zip(steps[:3], steps[1:3], strict=False):
        await exchange(mx, mx_inbox, stage(before, after, 0))
    # A refusal that names no grounds and gives no reasons is refused by the bot
    # (UNTOC art. 18(23), ECE art. 18(2)); the consultation stays where it was.
    await send_event(mx, room, stage("executive_decision", "refused", 0))
    await wait_notice(mx_inbox, mx_bot.user_id, "motivos", "the refusal of a bare refusal")
    await exchange(mx, mx_inbox, stage("executive_decision", "granted", 0))
    # The appointed date of surrender is part of the step (ECE art. 18(4)).
    await exchange(
        mx, mx_inbox, stage("granted", "surrender_scheduled", 0, due_date=TODAY.isoformat())
    )
    await exchange(mx, mx_inbox, stage("surrender_scheduled", "surrendered", 0))
    await exchange(mx, mx_inbox, assurance("a1", "monitored"))

    await mx.send_text(room, "!consult status")
    status = await wait_notice(mx_inbox, mx_bot.user_id, case_ref, "the status reply")
    body = status.content["body"]
    # (Assurance ids as listed: the random case reference may contain "a2" too.)
    assert "a1:" in body and "a2:" not in body
    current = next(line for line in body.splitlines() if line.startswith("Etapa actual"))
    assert "entregad" in current.lower(), current  # surrendered, in Spanish
    assert "En seguimiento" in body  # the assurance is monitored

    # Both records verify and export the consultation for a third party.
    for authority_id in ("ch", "mx"):
        db = records_path(network.authority(authority_id))
        report = verify_db(db)
        assert report.ok, report.problem
        exported = export_case(db, case_ref, "json")
        assert verify_export(exported).ok
        assert identity in exported


async def _wait_payload(inbox, room: str, type_name: str) -> str:
    await wait_for(
        lambda: any(e.room_id == room and payload_type(e) == type_name for e in inbox.events),
        f"a {type_name} event in {room}",
    )
    return next(
        e.event_id for e in inbox.events if e.room_id == room and payload_type(e) == type_name
    )
