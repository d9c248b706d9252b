"""Snapshots of the main screens on seeded data (pytest-textual-snapshot).

The list and a consultation in English, Spanish, Chinese and Arabic at 80 and 140
columns: names from the directory, receipts as marks on their cards, a rejected event
marked at its card with the bot's answer below, dates in the reader's locale, and the
case reference whole at 80 columns. Update after an intended change, once the new
pictures are checked, with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from coopnet.protocol import PersonIdentity
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.screens.event_form import EventFormScreen
from tui.seed import seeded_service

SIZE = (130, 40)


def app(lang: str = "en", events: int = 9) -> CoopNetApp:
    return CoopNetApp(seeded_service(rooms=6, events_per_room=events), lang=lang)


LANGUAGES = ("en", "es", "zh", "ar")
WIDTHS = (80, 140)


async def open_second(pilot: Any) -> None:
    """Open the second consultation of the list, once the list has its rows and the focus."""
    table = pilot.app.list_screen.query_one(DataTable)
    await until(pilot, lambda: table.row_count > 1 and pilot.app.focused is table, "the list")
    await pilot.press("down", "enter")
    await composer_focused(pilot)


async def composer_focused(pilot: Any) -> None:
    """Wait for the consultation with its composer focused, its cursor steady."""
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ConsultationScreen)
            and getattr(pilot.app.focused, "id", None) == "composer"
        ),
        "the consultation, its composer focused",
    )
    pilot.app.focused.cursor_blink = False  # the picture must not depend on the blink
    await pilot.pause()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_consultation_list(snap_compare: Any, utc: None, lang: str, width: int) -> None:
    assert snap_compare(app(lang), terminal_size=(width, 40))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_consultation_view(snap_compare: Any, utc: None, lang: str, width: int) -> None:
    # Two chat messages after the exchanges: the view ends on the conversation.
    assert snap_compare(app(lang, 16), terminal_size=(width, 40), run_before=open_second)


def test_form_with_field_errors(snap_compare: Any, utc: None) -> None:
    async def fill(pilot: Any) -> None:
        await pilot.press("ctrl+n")
        await pilot.pause()
        pilot.app.screen.set_value("case_ref", "bad ref!")
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=fill)


def test_form_with_two_list_entries(snap_compare: Any, utc: None) -> None:
    """The identity form with a second name and two aliases added from the keyboard."""

    async def fill(pilot: Any) -> None:
        await open_second(pilot)
        pilot.app.structured_form(pilot.app.screen, PersonIdentity)
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, EventFormScreen)
                and bool(pilot.app.screen.query("#f-names-0--family"))
            ),
            "the form",
        )
        form = pilot.app.screen
        form.set_value("names[0].family", "DOE")
        form.set_value("names[0].given", "Jane")
        form.query_one("#f-names-0--script").focus()

        def focused(widget_id: str) -> bool:
            # Keys typed before the new entry has the focus would land elsewhere.
            return getattr(pilot.app.focused, "id", None) == widget_id

        await pilot.press("ctrl+o")  # a second name
        await until(pilot, lambda: focused("f-names-1--family"), "the second name")
        await pilot.press(*"DOE", "tab", *"Jane", "tab", *"Latn")
        form.query_one("#f-aliases > .add-entry").focus()
        await pilot.press("enter")  # the button
        await until(pilot, lambda: focused("f-aliases-0-"), "the first alias")
        await pilot.press(*"J. DOE", "ctrl+o")  # then Ctrl+O
        await until(pilot, lambda: focused("f-aliases-1-"), "the second alias")
        await pilot.press(*"JANE D.")
        # The cursor shown steadily: a blinking one made the picture depend on timing.
        pilot.app.focused.cursor_blink = False
        fields = form.query_one("#fields")
        entry = form.query_one("#f-names-1--entry")

        def scrolled() -> bool:
            fields.scroll_to_widget(entry, animate=False, top=True)
            return entry.region.area > 0 and 0 <= entry.region.y - fields.region.y <= 1

        await until(pilot, scrolled, "the second name at the top")
        pilot.app.focused.cursor_blink = False  # the picture must not depend on the blink
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(130, 50), run_before=fill)


def test_directory(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app(), terminal_size=SIZE, press=["ctrl+d"])


def test_help_in_arabic(snap_compare: Any, utc: None) -> None:
    """Right-to-left paragraphs wrapped before reordering, key bar and help in Arabic."""
    assert snap_compare(app("ar"), terminal_size=SIZE, press=["f1"])


def test_list_on_a_small_terminal(snap_compare: Any, utc: None) -> None:
    """80×24: case reference, stage and deadline whole; counterpart and kind give way."""
    assert snap_compare(app(), terminal_size=(80, 24))


@pytest.mark.parametrize("lang", ("en", "ar"))
def test_documents_panel(snap_compare: Any, utc: None, lang: str) -> None:
    """The documents panel at 80 columns: a warrant certified with its translation under
    it, a second version awaiting its receipt, photographs rejected with the bot's reason."""
    from tui.screens.documents import DocumentsScreen
    from tui.seed import DOCUMENTS_ROOM

    async def open_panel(pilot: Any) -> None:
        await until(pilot, lambda: pilot.app.list_screen.is_mounted, "the list")
        pilot.app.open_consultation(DOCUMENTS_ROOM)
        await composer_focused(pilot)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(pilot.app.screen, DocumentsScreen), "the panel")
        await pilot.pause()

    service = seeded_service(rooms=2, events_per_room=9, documents=True, invite=False)
    assert snap_compare(
        CoopNetApp(service, lang=lang), terminal_size=(80, 40), run_before=open_panel
    )


@pytest.mark.parametrize("lang", ("en", "ar"))
def test_library_of_a_library_room(snap_compare: Any, utc: None, lang: str) -> None:
    """The library opened from the list's library section: every entry newest first, the
    first in full, and the hint that ctrl+s posts a new entry in that room."""
    from textual.widgets import Input

    from tui.screens.library import LibraryScreen
    from tui.seed import LIBRARY_ROOM

    async def open_library(pilot: Any) -> None:
        await until(pilot, lambda: pilot.app.list_screen.is_mounted, "the list")
        pilot.app.open_consultation(LIBRARY_ROOM)  # a library room opens the library
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, LibraryScreen)
                and isinstance(pilot.app.focused, Input)
                and len(pilot.app.screen.found) == 3
            ),
            "the library, its words field focused",
        )
        pilot.app.focused.cursor_blink = False  # the picture must not depend on the blink
        await pilot.pause()

    service = seeded_service(rooms=2, events_per_room=9, library=True, invite=False)
    assert snap_compare(CoopNetApp(service, lang=lang), terminal_size=SIZE, run_before=open_library)
