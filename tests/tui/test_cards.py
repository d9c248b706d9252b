"""The timeline reads like a conversation: names from the directory, receipts as marks on
the cards they certify, bots' notices compact, details (raw ids) on demand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from coopnet.protocol import AccessEnded, AccessGranted, Receipt, StageTransition, encode
from coopnet.protocol.records import GrantedDevice
from coopnet.protocol.vocab import AccessEndReason, ExpertRole, Stage
from coopnet.receipts import sign_receipt
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.model import Entry, entry_from
from tui.screens.consultation import ConsultationScreen
from tui.screens.details import DetailsScreen
from tui.seed import BASE_DAY, CN, DEMO_BOT_KEY, receipt_entry, seeded_service, structured
from tui.widgets.cards import render_entry
from tui.widgets.timeline import Timeline

ROOM = "!room1:127.0.0.11"  # a consultation with China


def drawn_in(timeline: Timeline) -> str:
    return "\n".join(strip.text for strip in timeline._lines)


def text_of(renderable: Any, width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def open_room(pilot: Any, app: CoopNetApp, room: str = ROOM) -> Timeline:
    """Open the consultation and wait until its timeline is laid out."""
    app.open_consultation(room)
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ConsultationScreen)
            and any(t.shown for t in app.screen.query(Timeline))
        ),
        "the consultation",
    )
    return app.screen.query_one(Timeline)


def step(event_id: str, ts: int) -> Entry:
    move = StageTransition(
        from_stage=Stage.PROVISIONAL_ARREST_EXECUTED,
        to_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
        date=BASE_DAY,
    )
    return structured(event_id, CN, ts, move)


def test_a_step_is_awaited_then_marked_received_and_its_receipt_has_no_card() -> None:
    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    room = service.consultation(ROOM)
    new = step("$new", room.last_ts() + 1000)
    room.add(new)
    card = text_of(render_entry(new, room, service.names, "en"))
    assert "Stage change" in card and "Officer 1 · China" in card
    assert "receipt of bot · Switzerland awaited" in card
    assert "@officer1" not in card and "127.0.0.12" not in card  # no raw ids
    receipt = receipt_entry("$rnew", new, "@bot:127.0.0.11", new.ts + 1000)
    room.add(receipt)
    assert render_entry(receipt, room, service.names, "en") is None
    card = text_of(render_entry(new, room, service.names, "es"))
    assert "✓ recibido por bot · Switzerland" in card


def test_a_receipt_whose_hash_differs_marks_the_card_red() -> None:
    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    room = service.consultation(ROOM)
    new = step("$new", room.last_ts() + 1000)
    room.add(new)
    # What the counterpart's bot received is not what this device holds: another hash.
    receipt = Receipt(
        event_id="$new",
        content_hash="0" * 64,
        receiver="@bot:127.0.0.11",
        received_at=dt.datetime.fromtimestamp(new.ts / 1000, dt.UTC),
    )
    content = sign_receipt(encode(receipt), DEMO_BOT_KEY)
    receipt_msg = entry_from("$rbad", "@bot:127.0.0.11", new.ts + 1000, "m.room.message", content)
    room.add(receipt_msg)
    card = text_of(render_entry(new, room, service.names, "en"))
    assert "does not match what was sent" in card


def test_a_bots_answer_marks_the_rejected_card_and_is_a_compact_notice() -> None:
    service = seeded_service(rooms=1, events_per_room=20, invite=False)
    room = service.consultation(ROOM)
    rejected = room.entry("$x1")
    answer = room.entry("$xa1")
    assert rejected is not None and answer is not None
    card = text_of(render_entry(rejected, room, service.names, "en"))
    assert "Rejected structured event" in card and "Date of birth" in card
    assert "refused by bot · Switzerland" in card
    notice = text_of(render_entry(answer, room, service.names, "en"))
    assert notice.startswith("◆ bot · Switzerland") and "answer" in notice.splitlines()[0]
    # The same text from an officer is an officer's message, not a bot's notice.
    forged = entry_from("$f", CN, answer.ts, "m.room.message", {"msgtype": "m.notice", "body": "x"})
    assert not text_of(render_entry(forged, room, service.names, "en")).startswith("◆")


async def test_a_receipt_that_arrives_live_marks_its_card_and_details_show_the_ids() -> None:
    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=(140, 40)) as pilot:
        timeline = await open_room(pilot, app)
        room = service.consultation(ROOM)

        new = step("$live", room.last_ts() + 1000)
        service.add_entry(ROOM, new)
        await until(
            pilot, lambda: "receipt of bot · Switzerland awaited" in drawn_in(timeline), "awaited"
        )
        service.add_entry(ROOM, receipt_entry("$rlive", new, "@bot:127.0.0.11", new.ts + 1000))

        def new_card() -> str:
            return drawn_in(timeline).split("Stage change")[-1]

        await until(pilot, lambda: "✓ received by bot · Switzerland" in new_card(), "the mark")
        assert "awaited" not in new_card()

        # ↑ from the end passes over the receipt to the step; i opens its details.
        timeline.focus()
        await pilot.press("up")
        await until(pilot, lambda: timeline.selected is new, "the step selected")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "the details")
        shown = text_of(app.screen.query_one("#details").content, 140)
        assert "$live" in shown and CN in shown and "$rlive" in shown
        assert "signature valid" in shown
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "back")


async def test_enter_shows_a_card_whole() -> None:
    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    app = CoopNetApp(service)
    async with app.run_test(size=(140, 60)) as pilot:
        timeline = await open_room(pilot, app)
        room = service.consultation(ROOM)
        opened = room.entry("$o1")
        assert opened is not None
        timeline.focus()
        timeline.select(room.entries.index(opened))

        assert "+2 fields" in drawn_in(timeline) and "Legal basis" not in drawn_in(timeline)
        await pilot.press("enter")
        await until(pilot, lambda: "Legal basis" in drawn_in(timeline), "the whole card")


def test_a_card_shows_no_raw_event_id_and_the_details_do() -> None:
    from coopnet.protocol import AssuranceReliance
    from tui.widgets.cards import details

    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    room = service.consultation(ROOM)
    library_entry = "$libraryentry:127.0.0.11"
    link = AssuranceReliance(assurance_id="A1", entry=library_entry, citation="Othman v. UK")
    entry = structured("$reliance", CN, 1_780_000_200_000, link)
    assert room.add(entry)
    card = text_of(render_entry(entry, room, service.names, "en"))
    assert "Othman v. UK" in card and library_entry not in card
    assert library_entry in text_of(details(entry, room, service.names, "en"))


def test_a_grant_of_access_shows_whether_it_is_in_force_then_ended() -> None:
    service = seeded_service(rooms=1, events_per_room=12, invite=False)
    room = service.consultation(ROOM)
    expert = "@interpreter:127.0.0.12"
    grant = AccessGranted(
        expert=expert,
        until=BASE_DAY + dt.timedelta(days=3650),
        role=ExpertRole.INTERPRETER,
        devices=(GrantedDevice(device_id="INTERP1", ed25519="A" * 43),),
    )
    granted = structured("$grant", CN, room.last_ts() + 1000, grant)
    room.add(granted)
    card = text_of(render_entry(granted, room, service.names, "fr"))
    assert "Accès temporaire accordé à un expert" in card and "Accès en vigueur" in card
    end = AccessEnded(expert=expert, grant="$grant", end_reason=AccessEndReason.REVOKED)
    room.add(structured("$end", CN, granted.ts + 1000, end))
    card = text_of(render_entry(granted, room, service.names, "en"))
    assert "Access ended" in card and "in force" not in card
