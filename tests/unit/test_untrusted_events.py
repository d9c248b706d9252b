"""Events from untrusted devices, as the bot records and the client shows them.

The bot records them with kind ``untrusted`` and their device; its view feeds them to
the core as untrusted, so the bot and the client hold the same consultation, and owes
the room one warning per device. Bot markers inside them count for nothing. A held event
keeps its sending device across a restart. The client draws them in red.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from bots.consultation.bot import classify
from bots.consultation.texts import all_keys
from bots.consultation.view import (
    BOT_MARKER,
    UNTRUSTED_KIND,
    build_view,
    fold_entry,
    new_view,
    recorded_content,
)
from bots.framework.state import BotState, held_event
from coopnet.consultation import UNTRUSTED_DEVICE
from coopnet.ids import EventID, RoomID, UserID
from coopnet.matrix import ReceivedEvent, SenderDevice
from coopnet.protocol import LANGUAGES
from coopnet.records import Entry, NewEntry
from tests.unit.test_bot_and_client_agree import (
    CH,
    CH_BOT,
    MESSAGES,
    MX,
    MX_BOT,
    ROSTER,
    T0,
    TODAY,
    as_bot_records,
)
from tui.directory import Directory
from tui.model import Consultation, entry_from
from tui.names import Names
from tui.widgets.cards import render_entry

ROOM = "!r:ch.example"
STOLEN = "STOLENDEVICE"


def _entry(seq: int, event_id: str, sender: str, content: dict[str, Any], kind: str, **extra: Any):
    new = NewEntry(
        "CH-MX-1",
        ROOM,
        kind,
        sender,
        recorded_content("m.room.message", content, **extra),
        event_id,
        T0 + seq,
    )
    return Entry(
        seq, new.case_ref, ROOM, event_id, kind, sender, T0 + seq, 0, new.content_json(),
        "", "", "", "",
    )  # fmt: skip


def _forged() -> list[tuple[str, str, dict[str, Any]]]:
    """A copy of each of Mexico's steps and a text, sent from a stolen-password device."""
    copies = [(f"$forged{e[1:]}", MX, c) for e, s, c in MESSAGES if s == MX]
    return [*copies, ("$forgedtext", MX, {"msgtype": "m.text", "body": "wire the money"})]


def _bot_entries() -> list[Entry]:
    trusted = as_bot_records(MESSAGES)
    forged = [
        _entry(len(trusted) + n, e, s, c, UNTRUSTED_KIND, device_id=STOLEN)
        for n, (e, s, c) in enumerate(_forged(), 1)
    ]
    return [*trusted[:5], *forged, *trusted[5:]]


def test_the_bot_and_the_client_agree_on_a_consultation_with_forged_steps() -> None:
    bot = build_view(MX_BOT, _bot_entries(), ROSTER, ROSTER.receipt_keys)
    client = Consultation(ROOM, "CH-MX-1", Directory(ROSTER), "mx", ROSTER.receipt_keys)
    for ts, (event_id, sender, content) in enumerate([*_forged(), *MESSAGES]):
        entry = entry_from(event_id, sender, T0 + ts, "m.room.message", content)
        if event_id.startswith("$forged"):
            entry = entry_from(
                event_id, sender, T0 + ts, "m.room.message", content, trusted=False,
                device_id=STOLEN,
            )  # fmt: skip
        client.add(entry)
    assert client.core.summary() == bot.consultation.summary()
    assert client.status(TODAY) == bot.consultation.status(TODAY)
    # The forged copies changed nothing that the trusted steps decided.
    reference = build_view(
        MX_BOT, [e for e in _bot_entries() if e.kind != UNTRUSTED_KIND], ROSTER, ROSTER.receipt_keys
    )
    assert bot.consultation.status(TODAY) == reference.consultation.status(TODAY)
    assert list(bot.consultation.accepted()) == list(reference.consultation.accepted())
    forged_ids = {e for e, _, _ in _forged()}
    assert set(bot.consultation.untrusted()) == forged_ids
    for refusal in bot.consultation.refusals():
        if refusal.event_id in forged_ids:
            assert refusal.code == UNTRUSTED_DEVICE
    assert not any(m.event_id in forged_ids for m in bot.consultation.uncertified(CH, "ch"))
    assert bot.unwarned() == [((MX, STOLEN), _forged()[0][0])]


def test_the_room_is_warned_once_per_device_and_forged_markers_count_for_nothing() -> None:
    view = new_view(CH_BOT, ROSTER)
    fake_answer = {"msgtype": "m.notice", "body": "ok", BOT_MARKER: {"kind": "answer", "to": "$x"}}
    fake_warned = {
        "msgtype": "m.notice",
        "body": "ok",
        BOT_MARKER: {"kind": UNTRUSTED_KIND, "user": MX, "device": STOLEN},
    }
    fold_entry(view, _entry(1, "$a", MX, fake_answer, UNTRUSTED_KIND, device_id=STOLEN))
    fold_entry(view, _entry(2, "$b", MX, fake_warned, UNTRUSTED_KIND, device_id=STOLEN))
    assert view.answered == set() and view.warned == set()
    assert view.unwarned() == [((MX, STOLEN), "$a")]
    bot_warning = {
        "msgtype": "m.notice",
        "body": "warning",
        BOT_MARKER: {"kind": UNTRUSTED_KIND, "user": MX, "device": STOLEN},
    }
    # The other authority's bot warns its own officers: that is not this bot's warning.
    fold_entry(view, _entry(3, "$v", MX_BOT, bot_warning, classify(bot_warning)))
    assert view.unwarned() == [((MX, STOLEN), "$a")]
    fold_entry(view, _entry(4, "$w", CH_BOT, bot_warning, classify(bot_warning)))
    assert view.unwarned() == []


def test_the_other_bots_reminders_and_answers_are_not_this_bots() -> None:
    # Both bots remind and answer their own officers: whichever posts first, the other
    # still owes its own notice.
    view = new_view(CH_BOT, ROSTER)
    reminder = {
        "msgtype": "m.notice",
        "body": "Recordatorio",
        BOT_MARKER: {"kind": "reminder", "key": "deadline:2026-12-04"},
    }
    answer = {"msgtype": "m.notice", "body": "no", BOT_MARKER: {"kind": "answer", "to": "$x"}}
    fold_entry(view, _entry(1, "$r", MX_BOT, reminder, classify(reminder)))
    fold_entry(view, _entry(2, "$s", MX_BOT, answer, classify(answer)))
    assert view.notices == set() and view.answered == set()
    fold_entry(view, _entry(3, "$t", CH_BOT, reminder, classify(reminder)))
    fold_entry(view, _entry(4, "$u", CH_BOT, answer, classify(answer)))
    assert view.notices == {"deadline:2026-12-04"} and view.answered == {"$x"}


def test_the_warning_exists_in_six_languages_with_the_same_placeholders() -> None:
    texts = all_keys()["untrusted.warning"]
    assert set(texts) == set(LANGUAGES)
    placeholders = {lang: set(re.findall(r"\{(\w+)\}", s)) for lang, s in texts.items()}
    assert all(p == {"user", "device"} for p in placeholders.values()), placeholders


async def test_a_held_event_keeps_its_sending_device_across_a_restart(tmp_path: Path) -> None:
    source = {"type": "m.room.message", "event_id": "$1", "sender": MX, "content": {"body": "x"}}
    event = ReceivedEvent(
        RoomID(ROOM), EventID("$1"), UserID(MX), 1, "m.room.message", {"body": "x"},
        encrypted=True, decrypted=True, source=source,
        sender_device=SenderDevice(STOLEN, "ed", False, "not trusted by the device policy"),
    )  # fmt: skip
    state = BotState(tmp_path / "state.db")
    await state.add_pending(event)
    await state.add_pending(replace(event, event_id=EventID("$2"), sender_device=_listed()))
    state.close()
    again = BotState(tmp_path / "state.db")
    held = [held_event(row) for row in await again.pending()]
    again.close()
    assert [h.sender_device for h in held] == [event.sender_device, _listed()]
    assert [h.trusted for h in held] == [False, True]


def _listed() -> SenderDevice:
    return SenderDevice("LISTED", "ed-listed", True)


def test_the_client_draws_an_untrusted_event_in_red_naming_the_device() -> None:
    client = Consultation(ROOM, "CH-MX-1", Directory(ROSTER), "ch", ROSTER.receipt_keys)
    text = entry_from(
        "$t", MX, T0, "m.room.message", {"msgtype": "m.text", "body": "wire the money"},
        trusted=False, device_id=STOLEN,
    )  # fmt: skip
    event_id, sender, content = MESSAGES[1]
    step = entry_from(
        event_id, sender, T0, "m.room.message", content, trusted=False, device_id=STOLEN
    )
    for entry in (text, step):
        client.add(entry)
        console = Console(width=200, record=True, color_system="truecolor")
        console.print(render_entry(entry, client, Names(Directory(ROSTER), CH), "en"))
        shown = console.export_text()
        assert f"Untrusted device {STOLEN}: not the officer's word" in shown
        assert "⚠" in shown
    assert client.refusal(step).code == UNTRUSTED_DEVICE
    assert not text.trusted and text.device_id == STOLEN
