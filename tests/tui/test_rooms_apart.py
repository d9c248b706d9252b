"""Rooms that are no consultation are listed apart from the consultations: a practice
library's rooms in their own section, where Enter opens the library (posting goes to that
room), never a consultation view; an invitation to one is marked and accepted there; an
invitation to a network room is named in the officer's language before it is accepted."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from coopnet.consultation import LIBRARY_ROOM_NAME, network_room
from coopnet.protocol import CaseLawReference
from coopnet.protocol.vocab import NetworkRoomTopic
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.i18n import value_label
from tui.screens.consultation import ConsultationScreen
from tui.screens.event_form import EventFormScreen
from tui.screens.library import LibraryScreen
from tui.seed import CN, LIBRARY_ROOM, MX, seeded_service

SIZE = (140, 50)
INVITED_LIBRARY = "!library-invite:127.0.0.12"


def service_with_library() -> Any:
    return seeded_service(rooms=2, events_per_room=9, invite=False, library=True)


def test_a_library_room_is_no_consultation() -> None:
    service = service_with_library()
    listed = [c.room_id for c in service.consultations()]
    assert LIBRARY_ROOM not in listed
    assert [c.room_id for c in service.library_rooms()] == [LIBRARY_ROOM]
    library = service.consultation(LIBRARY_ROOM)
    assert library.library and library.counterpart() is None
    assert not any(c.library for c in service.consultations())


async def test_the_library_section_opens_the_library_not_a_consultation() -> None:
    app = CoopNetApp(service_with_library())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.list_screen
        consultations = screen.query_one("#consultations", DataTable)
        rooms = screen.query_one("#library-rooms", DataTable)
        await until(pilot, lambda: consultations.row_count == 2, "the consultations")
        assert rooms.display and screen.query_one("#library-title").display
        assert LIBRARY_ROOM not in [row.value for row in consultations.rows]
        assert [row.value for row in rooms.rows] == [LIBRARY_ROOM]
        assert str(rooms.get_cell(LIBRARY_ROOM, "col.library_room")) == "Case law and practice"
        assert "2/2" in str(screen.query_one("#status").content)  # the library not counted

        rooms.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        library = app.screen
        assert isinstance(library, LibraryScreen)
        assert library.post_to == LIBRARY_ROOM and library.room_id is None
        assert not any(isinstance(s, ConsultationScreen) for s in app.screen_stack)
        assert "ctrl+s" in str(library.query_one("#hint").content)

        await pilot.press("ctrl+s")  # a new entry, posted in this room
        await until(pilot, lambda: isinstance(app.screen, EventFormScreen), "the entry form")
        assert app.screen.cls is CaseLawReference  # type: ignore[attr-defined]


async def test_the_library_from_the_palette_posts_nowhere() -> None:
    app = CoopNetApp(service_with_library())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.library()
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)  # no form: nowhere to post


async def test_an_invitation_to_a_library_room_is_listed_there_and_accepted() -> None:
    service = service_with_library()
    service.seed(INVITED_LIBRARY, LIBRARY_ROOM_NAME, [], invited=True, inviter=CN)
    app = CoopNetApp(service, lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        rooms = app.list_screen.query_one("#library-rooms", DataTable)
        await until(pilot, lambda: rooms.row_count == 2, "both library rooms")
        cell = str(rooms.get_cell(INVITED_LIBRARY, "col.library_room"))
        assert cell == "Jurisprudence et pratique · invitation", cell
        rooms.focus()
        rooms.move_cursor(row=[r.value for r in rooms.rows].index(INVITED_LIBRARY))
        await pilot.press("enter")
        await until(pilot, lambda: not service.consultation(INVITED_LIBRARY).invited, "joined")
        await until(
            pilot,
            lambda: "·" not in str(rooms.get_cell(INVITED_LIBRARY, "col.library_room")),
            "the invitation mark gone",
        )
        assert isinstance(app.screen, type(app.list_screen))


async def test_an_invitation_to_a_network_room_is_named_in_the_officers_language() -> None:
    """Before it is accepted, as after: its type came with the invitation (the stripped
    state's creation event, see coopnet.matrix.intake), so it is listed apart by topic."""
    service = seeded_service(rooms=2, events_per_room=9, invite=False, network_rooms=True)
    invited = "!net-invite:127.0.0.13"
    topic = NetworkRoomTopic.EXTRADITION_OF_NATIONALS
    service.seed(invited, network_room.topic_label(topic, "en"), [], invited=True, inviter=MX)
    service.consultation(invited).network_topic = topic  # what the invitation's type says
    assert invited not in [c.room_id for c in service.consultations()]
    app = CoopNetApp(service, lang="es")
    async with app.run_test(size=SIZE) as pilot:
        rooms = app.list_screen.query_one("#network-rooms", DataTable)
        await until(pilot, lambda: rooms.row_count == 3, "the network rooms")
        name = f"{value_label(topic, 'es')} · invitación"
        assert str(rooms.get_cell(invited, "col.network_room")) == name
        assert value_label(topic, "es") != network_room.topic_label(topic, "en")
        rooms.focus()
        rooms.move_cursor(row=[r.value for r in rooms.rows].index(invited))
        await pilot.press("enter")  # accepts it
        await until(pilot, lambda: not service.consultation(invited).invited, "joined")
        await until(
            pilot,
            lambda: str(rooms.get_cell(invited, "col.network_room")) == value_label(topic, "es"),
            "the invitation mark gone",
        )
