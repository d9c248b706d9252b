"""The visible connection state: the pure state machine, the service's probe loop (with
a homeserver that stops answering, simulated), and what the screens show."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Static

from tests.tui.conftest import until
from tui import matrix_service
from tui.app import CoopNetApp
from tui.connection import Connection, ConnectionWatch
from tui.matrix_service import MatrixService
from tui.screens.consultation import ConsultationScreen
from tui.seed import demo_directory, seeded_service
from tui.service import ConnectionChanged


def test_state_machine() -> None:
    watch = ConnectionWatch(offline_after=20)
    assert watch.state is Connection.STARTING
    assert watch.answered(0) is Connection.ONLINE
    assert watch.answered(1) is None  # no change, nothing to show
    assert not watch.needs_probe(3, interval=5) and watch.needs_probe(6, interval=5)
    assert watch.unanswered(10) is Connection.RECONNECTING
    assert watch.unanswered(20) is None
    assert watch.unanswered(30) is Connection.OFFLINE
    assert watch.unanswered(90) is None
    assert watch.answered(91) is Connection.ONLINE
    assert watch.unanswered(100) is Connection.RECONNECTING  # a new outage counts anew
    assert watch.unanswered(110) is None


class SilentHomeserver:
    """A client whose homeserver stops answering (nio keeps retrying: silence)."""

    def __init__(self) -> None:
        self.up = True
        self.nio = self

    async def whoami(self) -> object:
        if not self.up:
            await asyncio.sleep(3600)
        return object()


async def test_probe_loop_reports_reconnecting_offline_online(
    monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setattr(matrix_service, "PROBE_INTERVAL", 0.05)
    monkeypatch.setattr(matrix_service, "PROBE_TIMEOUT", 0.05)
    service = MatrixService("http://127.0.0.1:9", "@officer1:127.0.0.11", tmp_path, None,  # type: ignore[arg-type]
                            demo_directory())
    service.watch = ConnectionWatch(offline_after=0.3)
    seen: list[Connection] = []
    service.set_listener(lambda u: seen.append(u.state) if isinstance(u, ConnectionChanged)
                         else None)
    fake = SilentHomeserver()
    service.client = fake  # type: ignore[assignment]
    service._observed(service.watch.answered(0.0))
    task = asyncio.create_task(service._watch_connection())
    try:
        fake.up = False
        async with asyncio.timeout(10):
            while Connection.OFFLINE not in seen:
                await asyncio.sleep(0.02)
        fake.up = True
        async with asyncio.timeout(10):
            while seen[-1] is not Connection.ONLINE:
                await asyncio.sleep(0.02)
    finally:
        service.client = None
        task.cancel()
    assert seen[:4] == [Connection.ONLINE, Connection.RECONNECTING, Connection.OFFLINE,
                        Connection.ONLINE]


async def test_screens_show_the_state() -> None:
    service = seeded_service(rooms=2, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
        app.open_consultation("!room1:127.0.0.11")
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen)
                    and app.screen.is_mounted, "the consultation")
        banner = app.screen.query_one("#connection", Static)
        assert not banner.display
        service.emit(ConnectionChanged(Connection.RECONNECTING))
        await until(pilot, lambda: banner.display, "the reconnecting banner")
        assert "reconnecting" in str(banner.render())
        service.emit(ConnectionChanged(Connection.OFFLINE))
        await until(pilot, lambda: "unreachable" in str(banner.render()), "offline")
        assert banner.has_class("-offline")
        await pilot.press("escape")
        status = app.list_screen.query_one("#status", Static)
        await until(pilot, lambda: "unreachable" in str(status.render()), "the list status")
        service.emit(ConnectionChanged(Connection.ONLINE))
        await until(pilot, lambda: "connected" in str(status.render()), "online again")
