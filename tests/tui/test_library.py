"""The practice library in the client: the palette opens it over every room this device
reads; topic, jurisdiction and words filter it; opened from a consultation (ctrl+y), an
entry is linked to one of its assurances, and the assurance's card and the side panel
say what it relies on."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList, Select, Static

from coopnet.consultation import LIBRARY_ROOM_NAME, relied_on
from coopnet.protocol import AssuranceReliance
from coopnet.protocol.vocab import LibraryTopic
from tests.tui.conftest import palette_command, until
from tests.tui.test_cards import drawn_in, open_room, text_of
from tui.app import CoopNetApp
from tui.i18n import label, show, value_label
from tui.screens.library import LibraryScreen
from tui.seed import LIBRARY_ROOM, seeded_service
from tui.widgets.side_panel import SidePanel, render_panel

ROOM = "!room2:127.0.0.11"  # a consultation with Mexico; Mexico offered assurance A2
SIZE = (140, 50)
EVERYTHING = [
    "Othman (Abu Qatada) v. the United Kingdom",
    "Agiza v. Sweden",
    "Soering v. the United Kingdom",
]


def app_with_library() -> CoopNetApp:
    return CoopNetApp(seeded_service(rooms=2, events_per_room=12, invite=False, library=True))


def results(screen: LibraryScreen) -> list[str]:
    return [item.entry.citation.split(",")[0] for item in screen.found]


async def settle(pilot: Any, screen: LibraryScreen, expected: list[str]) -> None:
    await until(pilot, lambda: results(screen) == expected, f"the results {expected}")


async def test_the_palette_opens_the_library_and_filters_it() -> None:
    app = app_with_library()
    async with app.run_test(size=SIZE) as pilot:
        await palette_command(pilot, app, "Library")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        await settle(pilot, screen, EVERYTHING)  # newest first
        assert "3 entries" in str(screen.query_one("#count", Static).content)
        assert all(item.room_id == LIBRARY_ROOM for item in screen.found)

        screen.query_one("#words", Input).focus()
        await pilot.press(*"diplomatic assurances")
        await settle(
            pilot, screen, ["Othman (Abu Qatada) v. the United Kingdom", "Agiza v. Sweden"]
        )
        screen.query_one("#jurisdiction", Select).value = "UN CAT"
        await settle(pilot, screen, ["Agiza v. Sweden"])
        details = str(screen.query_one("#entry", Static).content)
        assert "UN Committee against Torture" in details and "Torture or ill-treatment" in details

        screen.query_one("#words", Input).value = ""
        screen.query_one("#jurisdiction", Select).clear()
        screen.query_one("#topic", Select).value = "death_penalty"
        await settle(pilot, screen, ["Soering v. the United Kingdom"])
        screen.query_one("#words", Input).value = "agiza"
        await settle(pilot, screen, [])  # words and topic both apply

        # No consultation behind it: nothing to link to, and it says how to.
        await pilot.press("ctrl+n")
        assert "Open the library from a consultation" in str(
            screen.query_one("#hint", Static).content
        )


async def test_an_entry_linked_from_a_consultation_shows_on_the_assurance() -> None:
    app = app_with_library()
    async with app.run_test(size=SIZE) as pilot:
        timeline = await open_room(pilot, app, ROOM)
        consultation_screen = app.screen
        await pilot.press("ctrl+y")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        assert screen.query_one("#assurance", Select).value == "A2"
        screen.query_one("#topic", Select).value = "monitoring"
        await settle(
            pilot, screen, ["Othman (Abu Qatada) v. the United Kingdom", "Agiza v. Sweden"]
        )
        screen.query_one("#results", OptionList).highlighted = 1
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.screen is consultation_screen, "the library to close")

        consultation = app.service.consultation(ROOM)
        links = relied_on(consultation.core, "A2")
        assert [link.citation for link in links] == ["Agiza v. Sweden, CAT/C/34/D/233/2003"]
        sent = consultation.entries[-1]
        assert isinstance(sent.event, AssuranceReliance) and sent.event.entry == "$lib2"
        assert consultation.refusal(sent) is None  # the core (and so the bots) accept it

        await until(
            pilot,
            lambda: "Relied on: Agiza v. Sweden" in drawn_in(timeline),
            "the assurance's card to say what it relies on",
        )
        panel = text_of(render_panel(consultation, app.service.today(), "en"))
        assert "Relied on: Agiza v. Sweden" in panel
        assert consultation_screen.query_one(SidePanel) is not None


async def test_the_library_in_arabic_names_fields_and_topics_in_arabic() -> None:
    app = app_with_library()
    async with app.run_test(size=SIZE) as pilot:
        app.set_language("ar")
        app.push_screen(LibraryScreen(app.service, "ar"))
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        await settle(pilot, screen, EVERYTHING)
        details = str(screen.query_one("#entry", Static).content)
        # Shaped and reordered for the terminal (tui.i18n.show), as every Arabic label.
        assert show(f"{label('field.jurisdiction', 'ar')}: ECtHR") in details
        assert show(value_label(LibraryTopic.TORTURE, "ar")) in details


async def test_the_palette_creates_a_library_room_and_opens_the_library_on_it() -> None:
    app = app_with_library()
    async with app.run_test(size=SIZE) as pilot:
        before = set(app.service.rooms)
        await palette_command(pilot, app, "New library room")
        # A library room is no consultation: the library opens, to post in the new room.
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        (created,) = set(app.service.rooms) - before
        assert app.service.consultation(created).case_ref == LIBRARY_ROOM_NAME
        assert app.screen.post_to == created  # type: ignore[attr-defined]
