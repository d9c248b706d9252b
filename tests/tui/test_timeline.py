"""The lazy timeline on seeded data (no network): window, older entries, selection, reply."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.model import entry_from
from tui.screens.consultation import ConsultationScreen
from tui.seed import seeded_service
from tui.widgets.timeline import PAGE, Timeline

BIG = "!room1:127.0.0.11"


async def opened(events: int = 2_000) -> tuple[CoopNetApp, object]:
    service = seeded_service(rooms=2, events_per_room=9, big_room_events=events, invite=False)
    return CoopNetApp(service), service


async def big_timeline(pilot: Any, app: CoopNetApp) -> Timeline:
    """Open the big consultation from the list and wait until its timeline shows."""
    await until(pilot, lambda: app.list_screen.is_mounted, "the list")
    app.open_consultation(BIG)
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ConsultationScreen)
            and any(t.shown for t in app.screen.query(Timeline))
        ),
        "the timeline",
    )
    return app.screen.query_one(Timeline)


async def test_big_consultation_loads_a_window_and_grows_on_demand() -> None:
    app, service = await opened()
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = await big_timeline(pilot, app)
        entries = timeline.consultation.entries
        assert PAGE <= timeline.shown < 100  # lazily: a window, not 2,000 entries
        assert timeline.has_entry(entries[-1].event_id)
        assert timeline.is_vertical_scroll_end
        before = timeline.shown
        timeline.focus()
        await pilot.press("home")
        assert timeline.shown == before + PAGE
        # Selecting with ↑ starts at the newest entry; r asks the screen to reply to it.
        await pilot.press("end", "up", "up", "r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConsultationScreen)
        assert screen.reply_to == entries[-2]
        assert screen.query_one("#reply", Static).display
        assert screen.focused is screen.query_one("#composer", Input)
        # Jumping to an old entry (from search) loads back to it and selects it.
        old = entries[100]
        assert timeline.scroll_to_entry(old.event_id)
        await pilot.pause()
        assert timeline.has_entry(old.event_id) and timeline.selected == old
        assert timeline.shown < len(entries)


async def test_new_entries_appear_at_the_end() -> None:
    app, service = await opened(events=50)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = await big_timeline(pilot, app)
        lines = timeline.virtual_size.height
        await pilot.press(*"hello", "enter")
        await until(pilot, lambda: timeline.virtual_size.height > lines, "the sent message")
        assert timeline.consultation.entries[-1].body == "hello"
        assert timeline.has_entry(timeline.consultation.entries[-1].event_id)


async def test_an_undecryptable_entry_is_redrawn_once_decrypted() -> None:
    app, service = await opened(events=50)
    late = entry_from(
        "$late", "@officer1:127.0.0.13", 10**13, "m.room.message", {}, decrypted=False
    )
    service.add_entry(BIG, late)
    async with app.run_test(size=(120, 40)) as pilot:
        timeline = await big_timeline(pilot, app)
        shown = timeline.shown
        body = "the room key arrived after the message"
        service.add_entry(
            BIG,
            entry_from(
                "$late", late.sender, late.ts, "m.room.message", {"msgtype": "m.text", "body": body}
            ),
        )
        await until(
            pilot,
            lambda: any(body in line.text for line in timeline._lines),
            "the decrypted text in the timeline",
        )
        assert timeline.shown == shown  # in place, not a second entry
