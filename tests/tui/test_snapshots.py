"""Snapshots of the main screens on seeded data (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from tui.app import CoopNetApp
from tui.seed import seeded_service

SIZE = (130, 40)


def app(lang: str = "en") -> CoopNetApp:
    return CoopNetApp(seeded_service(rooms=6, events_per_room=9), lang=lang)


def test_consultation_list(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app(), terminal_size=SIZE)


def test_consultation_view(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app(), terminal_size=SIZE, press=["down", "enter"])


def test_form_with_field_errors(snap_compare: Any, utc: None) -> None:
    async def fill(pilot: Any) -> None:
        await pilot.press("ctrl+n")
        await pilot.pause()
        pilot.app.screen.set_value("case_ref", "bad ref!")
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=fill)


def test_directory(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app(), terminal_size=SIZE, press=["ctrl+d"])


def test_list_in_arabic(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app("ar"), terminal_size=SIZE)


def test_small_terminal_hides_the_side_panel(snap_compare: Any, utc: None) -> None:
    assert snap_compare(app(), terminal_size=(80, 24), press=["down", "enter"])


def test_list_on_a_small_terminal(snap_compare: Any, utc: None) -> None:
    """80×24: case reference, stage and deadline whole; counterpart and kind give way."""
    assert snap_compare(app(), terminal_size=(80, 24))
