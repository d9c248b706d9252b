"""A stolen password does not speak for the officer.

A device logged in with a Mexican officer's password, which the signed directory does not
list, sends text and a structured event into a consultation: the Swiss bot records both
as from an untrusted device (with its device id), receipts and counts neither, warns the
room once in the sender's language; the Swiss officer's client flags them in red. The
officer's enrolled device, sending the same way, is trusted (the positive control).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bots.consultation.texts import text
from bots.consultation.view import BOT_MARKER
from coopnet.consultation import UNTRUSTED_DEVICE
from coopnet.network import Network
from tests.bots.helpers import open_ch_mx_consultation, receipt_for, send_event
from tests.bots.record_reader import room_entries
from tests.harness import Inbox, wait_async, wait_for
from tests.integration.test_trust import new_device  # noqa: F401 - the fixture
from tui.model import Consultation as ClientConsultation
from tui.model import EntryKind, entry_from

pytestmark = pytest.mark.integration

IDENTITY = {
    "type": "org.coopnet.consultation.identity",
    "version": 1,
    "content": {"names": [{"family": "Doe", "given": "John"}], "nationalities": ["MX"]},
}


async def _recorded(db: Path, room: str, event_id: str) -> bool:
    return any(e.event_id == event_id for e in room_entries(db, room))


def _event(inbox: Inbox, event_id: str):
    return inbox.find(lambda e: e.event_id == event_id)


async def test_a_device_not_in_the_directory_is_recorded_flagged_and_never_receipted(
    network: Network,
    open_client,
    start_bot,
    new_device,  # noqa: F811 - the fixture
):
    ch_bot = await start_bot("ch")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    room, _case_ref = await open_ch_mx_consultation(ch, mx, ch_bot.user_id, "UNTRUSTED")
    # Devices logged in with the officers' passwords, which the directory does not list.
    stolen, _ = await new_device(mx_user, "stolen mx")
    stolen_ch, _ = await new_device(ch_user, "stolen ch")
    for client in (stolen, stolen_ch):
        await client.wait_until(lambda c=client: room in c.room_ids(), 60, "the room to sync")

    # The stolen device speaks first, then the officer's enrolled device.
    forged_text = f"send the file to this address {uuid.uuid4().hex[:8]}"
    forged_text_id = await stolen.send_text(room, forged_text)
    forged_step_id = await send_event(stolen, room, IDENTITY)
    real_text_id = await mx.send_text(room, f"the officer's own words {uuid.uuid4().hex[:8]}")
    real_step_id = await send_event(mx, room, IDENTITY)
    # A command to the Swiss bot from a stolen Swiss password is ignored; the same
    # command from the officer's enrolled device is answered.
    forged_command_id = await stolen_ch.send_text(room, "!consult status")
    real_command_id = await ch.send_text(room, "!consult status")

    # Positive control: the enrolled device's step is receipted. The bot handles a room
    # in order, so the forged events before it have been handled too.
    await wait_for(lambda: receipt_for(ch_inbox, real_step_id) is not None, "the real receipt")
    db = ch_bot.records_path

    async def recorded() -> bool:
        ids = {e.event_id for e in room_entries(db, room)}
        return {forged_text_id, forged_step_id, real_text_id, real_step_id} <= ids

    await wait_async(recorded, "all four events in the record")
    entries = {e.event_id: e for e in room_entries(db, room)}
    for event_id in (forged_text_id, forged_step_id):
        entry = entries[event_id]
        assert entry.kind == "untrusted" and entry.sender == mx_user
        content = json.loads(entry.content)
        assert content["device_id"] == stolen.device_id
        assert content["device_key"] == stolen.ed25519_key
    assert entries[real_text_id].kind == "message" and entries[real_step_id].kind == "event"
    # Not receipted, not counted.
    assert receipt_for(ch_inbox, forged_step_id) is None
    assert not any(e.kind == "receipt" and forged_step_id in e.content for e in entries.values())
    consultation = (await ch_bot.view(room)).consultation
    refusal = consultation.refusal(forged_step_id)
    assert refusal is not None and refusal.code == UNTRUSTED_DEVICE
    accepted = [s.event_id for s in consultation.accepted()]
    assert real_step_id in accepted and forged_step_id not in accepted
    assert forged_text_id in consultation.untrusted()

    # One warning to the room, in the language of the sender's authority.
    language_of = ch_bot.roster.language_of
    warning = text("untrusted.warning", language_of(mx_user), user=mx_user, device=stolen.device_id)
    ch_warning = text(
        "untrusted.warning", language_of(ch_user), user=ch_user, device=stolen_ch.device_id
    )

    def warnings() -> list:
        return [
            e
            for e in ch_inbox.events
            if e.sender == ch_bot.user_id and e.content.get("body") in (warning, ch_warning)
        ]

    await wait_for(lambda: len(warnings()) >= 1, "the bot's warning about the device")

    def replies() -> list:
        return [
            e
            for e in ch_inbox.events
            if e.sender == ch_bot.user_id
            and e.content.get("msgtype") == "m.notice"
            and e.content.get(BOT_MARKER, {}).get("kind") == "reply"
        ]

    await wait_for(lambda: replies(), "the answer to the enrolled device's command")
    await wait_async(lambda: _recorded(db, room, real_command_id), "the real command in the record")
    assert len(replies()) == 1
    assert {e.event_id: e.kind for e in room_entries(db, room)}[forged_command_id] == "untrusted"
    await wait_for(lambda: len(warnings()) == 2, "a warning about the stolen Swiss device too")
    # One per device, however many events it sent.
    assert sorted(e.content["body"] for e in warnings()) == sorted([warning, ch_warning])

    # The officers' clients: the device and the decision come with each event ...
    for event_id in (forged_text_id, forged_step_id):
        await wait_for(lambda e=event_id: _event(ch_inbox, e) is not None, "ch to receive it")
        received = _event(ch_inbox, event_id)
        assert not received.trusted
        assert received.sender_device.device_id == stolen.device_id
    for event_id in (real_text_id, real_step_id):
        received = _event(ch_inbox, event_id)
        assert received is not None and received.trusted
        assert received.sender_device.device_id == mx.device_id
    # ... and the client's model flags the forged ones and never applies them.
    shown = ClientConsultation(room, "UNTRUSTED", ch_bot.roster, "ch", ch_bot.roster.receipt_keys)
    for event in list(ch_inbox.events):
        if event.room_id == room and event.type == "m.room.message":
            shown.add(
                entry_from(
                    event.event_id,
                    event.sender,
                    event.origin_server_ts,
                    event.type,
                    event.content,
                    event.decrypted,
                    trusted=event.trusted,
                    device_id=event.sender_device.device_id,
                )
            )
    by_id = {e.event_id: e for e in shown.entries}
    assert not by_id[forged_text_id].trusted and by_id[forged_text_id].kind is EntryKind.TEXT
    assert not by_id[forged_step_id].trusted
    assert by_id[forged_step_id].device_id == stolen.device_id
    assert by_id[real_step_id].trusted
    assert shown.refusal(by_id[forged_step_id]).code == UNTRUSTED_DEVICE
    assert shown.core.summary() == consultation.summary()
