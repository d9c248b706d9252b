"""The consultation list redraws only changed cells, and a longer value widens its column."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from textual import events
from textual.message import Message
from textual.widgets import DataTable

from coopnet.protocol import CoordinationOpened, CoordinationTask, encode
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.model import entry_from
from tui.screens.consultations import ConsultationsScreen
from tui.seed import ME, seeded_service
from tui.service import RoomsChanged


async def test_changed_cells_are_redrawn_and_columns_widen() -> None:
    service = seeded_service(rooms=3, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        longer = "CN-CH-2026-0100-WITH-A-MUCH-LONGER-REFERENCE"
        service.consultation("!invite:127.0.0.12").case_ref = longer
        service.emit(RoomsChanged())
        await until(
            pilot,
            lambda: str(table.get_cell("!invite:127.0.0.12", "col.case")) == longer,
            "the new reference",
        )
        await pilot.pause()
        assert table.columns["col.case"].content_width >= len(longer)
        assert table.row_count == 4


async def test_case_reference_stage_and_deadline_stay_whole_at_80_columns() -> None:
    service = seeded_service(rooms=6, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 7, "the rows")
        await pilot.pause()
        shown = drawn(table)
        for consultation in service.consultations():
            assert consultation.case_ref in shown
        assert "Provisional arrest executed" in shown
        assert "Jul 2, 2026" in shown
        assert "Kind" not in shown  # gave way to what matters more
        # A wide terminal gets every column back.
        await pilot.resize_terminal(150, 24)
        await until(pilot, lambda: "col.kind" in table.columns, "the wide layout")
        await pilot.pause()
        assert "Jul 2, 2026 (35 d left)" in drawn(table)


async def test_the_list_is_focused_at_start_without_passing_through_the_filter() -> None:
    # Each focus change restyles the table and repaints every visible cell.
    focused: list[str | None] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.DescendantFocus):
            focused.append(message.widget.id)

    app = CoopNetApp(seeded_service(rooms=3, events_per_room=9))
    async with app.run_test(size=(150, 40), message_hook=hook) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        await pilot.pause()
        assert app.focused is table
        assert set(focused) == {"consultations"}, focused


@pytest.mark.parametrize(("width", "kept"), [(150, "-wide"), (80, "-narrow")])
async def test_the_list_has_its_width_class_before_textual_would_restyle_it(
    width: int, kept: str
) -> None:
    # Textual sets the class on the Resize after the first paint: a restyle and a repaint.
    app = CoopNetApp(seeded_service(rooms=3, events_per_room=9))
    screen = app.list_screen
    late: list[str] = []
    update_classes = screen.update_classes

    def watched(
        classes: Mapping[str, bool], update: bool = True, animate: bool = True
    ) -> ConsultationsScreen:
        if update:  # Textual's own call (the early one does not restyle)
            late.extend(name for name, add in classes.items() if add != screen.has_class(name))
        return update_classes(classes, update=update, animate=animate)

    screen.update_classes = watched  # type: ignore[method-assign]
    async with app.run_test(size=(width, 40)) as pilot:
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        await pilot.pause()
        assert screen.has_class(kept) and late == []


def drawn(table: DataTable[object]) -> str:
    """The text the table draws in its visible region."""
    return "\n".join(strip.text for strip in table.render_lines(table.size.region))


async def test_enter_in_the_filter_opens_the_match_and_down_goes_to_the_list() -> None:
    service = seeded_service(rooms=3, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        wanted = service.consultations()[-1]
        await pilot.press("slash", "down")
        assert app.focused is table
        await pilot.press("slash", *wanted.case_ref, "enter")
        await until(
            pilot,
            lambda: getattr(app.screen, "room_id", None) == wanted.room_id,
            "the matching consultation to open",
        )


async def test_the_list_waits_while_a_consultation_covers_it() -> None:
    # Deriving every consultation's stage and deadline takes tens of milliseconds with
    # hundreds of them: not while the officer reads a consultation, at each event.
    service = seeded_service(rooms=3, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        await pilot.pause(0.2)  # the refreshes of the start are done
        asked: list[int] = []  # the app's refresh timer fired
        refreshes: list[int] = []  # the list was derived and redrawn
        screen = app.list_screen
        original_ask, original_refresh = screen.refresh_when_shown, screen.refresh_list

        def ask() -> None:
            asked.append(1)
            original_ask()

        def refresh() -> None:
            refreshes.append(1)
            original_refresh()

        screen.refresh_when_shown = ask  # type: ignore[method-assign]
        screen.refresh_list = refresh  # type: ignore[method-assign]
        app.open_consultation("!room1:127.0.0.11")
        await until(pilot, lambda: app.screen is not app.list_screen, "the consultation")
        longer = "CN-CH-2026-0100-CHANGED-WHILE-READING"
        service.consultation("!invite:127.0.0.12").case_ref = longer
        for count in (1, 2, 3):
            service.emit(RoomsChanged())
            await until(pilot, lambda: len(asked) == count, "the app's refresh timer")  # noqa: B023
        assert refreshes == []
        app.pop_screen()
        await until(
            pilot,
            lambda: str(table.get_cell("!invite:127.0.0.12", "col.case")) == longer,
            "the change, once back",
        )
        assert refreshes == [1]


async def test_network_rooms_are_listed_apart_in_the_officers_language_and_open() -> None:
    service = seeded_service(rooms=3, events_per_room=9, network_rooms=True)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = app.list_screen
        consultations = screen.query_one("#consultations", DataTable)
        network = screen.query_one("#network-rooms", DataTable)
        await until(pilot, lambda: network.row_count == 2, "the network rooms")
        assert consultations.row_count == 4  # the consultations alone
        assert "!net1:127.0.0.11" not in {k.value for k in consultations.rows}
        await pilot.pause()
        shown = drawn(network)
        assert "Lobby of the central authorities" in shown and "Assurances practice" in shown
        assert str(network.get_cell("!net1:127.0.0.11", "col.unread")) == "1"
        assert "Network rooms of the central authorities" in str(
            screen.query_one("#network-title").render()
        )
        assert "4/4" in str(screen.query_one("#status").render())  # consultations counted
        app.set_language("fr")
        await until(
            pilot,
            lambda: (
                str(network.get_cell("!net2:127.0.0.11", "col.network_room"))
                == "Pratique des assurances"
            ),
            "the French names",
        )
        network.focus()
        await pilot.press("enter")
        await until(
            pilot,
            lambda: getattr(app.screen, "room_id", None) == "!net1:127.0.0.11",
            "the lobby to open",
        )
        assert app.screen.title == "Salon des autorités centrales"


async def test_no_network_rooms_no_section() -> None:
    app = CoopNetApp(seeded_service(rooms=3, events_per_room=9))
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one("#consultations", DataTable)
        await until(pilot, lambda: table.row_count == 4, "the rows")
        assert not app.list_screen.query_one("#network-rooms", DataTable).display
        assert not app.list_screen.query_one("#network-title").display


async def test_an_internal_room_is_listed_under_its_consultation() -> None:
    service = seeded_service(rooms=3, events_per_room=9)
    consultation = next(c for c in service.consultations() if c.opened is not None)
    opened = CoordinationOpened.from_dict(
        {"consultation_room": consultation.room_id, "case_ref": consultation.case_ref}
    )
    assert isinstance(opened, CoordinationOpened)
    internal = "!internal:127.0.0.11"
    entry = entry_from("$coord", ME, 1_900_000_000_000, "m.room.message", encode(opened))
    service.add_entry(internal, entry, f"{consultation.case_ref} (internal)")
    order = [c.room_id for c in service.consultations()]
    assert order[order.index(consultation.room_id) + 1] == internal
    assert service.consultation(internal).counterpart() is None
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.list_screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 5, "the rows")
        await pilot.pause()
        assert "internal coordination room" in str(table.get_cell(internal, "col.stage"))
        assert str(table.get_cell(internal, "col.case")).startswith("  ↳ ")


@pytest.mark.parametrize("received", ["in server order", "newest first"])
async def test_an_internal_room_is_known_by_its_board_not_its_first_step(received: str) -> None:
    """Steps sent without a causal link (the CLI's) hang on the one received before them,
    so history read newest first puts the task before the opening: the internal room is
    read from its board, in server order, as the bot reads it."""
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    consultation = next(c for c in service.consultations() if c.opened is not None)
    opened = CoordinationOpened.from_dict(
        {"consultation_room": consultation.room_id, "case_ref": consultation.case_ref}
    )
    task = CoordinationTask.from_dict(
        {"task_id": "t1", "title": "Locate", "assignee": ME, "due_date": "2031-01-01"}
    )
    assert isinstance(opened, CoordinationOpened) and isinstance(task, CoordinationTask)
    internal = "!internal:127.0.0.11"
    case_ref = f"{consultation.case_ref} (internal)"
    steps = [("$opened", 1_900_000_000_000, opened), ("$task", 1_900_000_000_001, task)]
    if received == "newest first":
        steps.reverse()
    for event_id, ts, event in steps:
        entry = entry_from(event_id, ME, ts, "m.room.message", encode(event, after=False))
        service.add_entry(internal, entry, case_ref)
    assert service.consultation(internal).coordinates == consultation.room_id
    order = [c.room_id for c in service.consultations()]
    assert order[order.index(consultation.room_id) + 1] == internal
