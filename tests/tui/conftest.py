"""Helpers of the terminal-client tests.

The session network (``network``, ``open_client``) is registered for every test
directory by ``tests/conftest.py``. Run with ``COOPNET_TEST_BASE_ADDRESS`` set when other
test runs share the machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot

from tests.harness import wait_for
from tui.matrix_service import MatrixService


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Message times drawn in UTC, so snapshots do not depend on the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def service_for(network_dir: str, user_id: str, cache: bool = False) -> MatrixService:
    """The service ``coopnet tui --network DIR --account USER_ID`` would run; ``--no-cache``
    unless ``cache`` (then with cheap scrypt parameters for a new cache)."""
    from coopnet.cli.tui import build_service
    from coopnet.localcache import KdfParams

    args = argparse.Namespace(
        offline_demo=False,
        network=network_dir,
        account=user_id,
        homeserver=None,
        user=None,
        store=None,
        lang="en",
        no_cache=not cache,
        cache_passphrase_file=None,
    )
    service = build_service(args)
    assert isinstance(service, MatrixService)
    if cache:
        service.cache_params = KdfParams.fresh(n=2**12)
    return service


async def until(
    pilot: Pilot[None], condition: Callable[[], bool], what: str, timeout: float = 60.0
) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after ``timeout``."""
    await wait_for(condition, what, timeout, pause=pilot.pause)


async def palette_command(pilot: Pilot[None], app: Any, title: str) -> None:
    """Run a command as an officer does: Ctrl+P, type its ``title``, Enter once the
    palette highlights it."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*title)
    commands = app.screen.query_one(CommandList)
    await until(
        pilot,
        lambda: (
            commands.option_count > 0
            and commands.highlighted_option is not None
            and title in str(getattr(commands.highlighted_option.prompt, "plain", ""))
        ),
        f"the {title} command",
    )
    await pilot.press("enter")


ScreenT = TypeVar("ScreenT")


async def palette_screen(pilot: Pilot[None], app: Any, title: str, cls: type[ScreenT]) -> ScreenT:
    """The screen of class ``cls`` that the palette's command ``title`` opens."""
    await palette_command(pilot, app, title)
    await until(pilot, lambda: isinstance(app.screen, cls), f"the {title} screen")
    screen = app.screen
    assert isinstance(screen, cls)
    return screen


async def open_form(pilot: Pilot[None], app: Any, room_id: str, cls: type) -> Any:
    """The form for ``cls`` in a consultation, opened as an officer does (Ctrl+S, choose)."""
    from tui.screens.choose_event import ChooseEventScreen
    from tui.screens.consultation import ConsultationScreen
    from tui.screens.event_form import EventFormScreen

    await until(pilot, lambda: app.list_screen.is_mounted, "the list")
    app.open_consultation(room_id)
    await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the consultation")
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, ChooseEventScreen), "the event chooser")
    app.screen.dismiss(cls)
    await until(pilot, lambda: isinstance(app.screen, EventFormScreen), f"the {cls.TYPE} form")
    assert isinstance(app.screen, EventFormScreen)
    return app.screen
