"""The visible connection state: the pure state machine, the service's probe loop (with
a homeserver that stops answering, simulated), and what the screens show."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Static

from tests.harness import wait_for
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
    """A homeserver that stops answering probes, and comes back."""

    def __init__(self) -> None:
        self.up = True

    async def probe(self) -> bool:
        return self.up


async def test_probe_loop_reports_reconnecting_offline_online(
    monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setattr(matrix_service, "PROBE_INTERVAL", 0.05)
    monkeypatch.setattr(matrix_service, "PROBE_TIMEOUT", 0.05)
    service = MatrixService(
        "http://127.0.0.1:9",
        "@officer1:127.0.0.11",
        tmp_path,
        None,  # type: ignore[arg-type]
        demo_directory(),
    )
    service.watch = ConnectionWatch(offline_after=0.3)
    seen: list[Connection] = []
    service.set_listener(
        lambda u: seen.append(u.state) if isinstance(u, ConnectionChanged) else None
    )
    fake = SilentHomeserver()
    service.probe = fake.probe  # type: ignore[method-assign]
    service._observed(service.watch.answered(0.0))
    task = asyncio.create_task(service._watch_connection())
    try:
        fake.up = False
        await wait_for(lambda: Connection.OFFLINE in seen, "offline", 10, interval=0.02)
        fake.up = True
        await wait_for(lambda: seen[-1] is Connection.ONLINE, "online again", 10, interval=0.02)
    finally:
        task.cancel()
    assert seen[:4] == [
        Connection.ONLINE,
        Connection.RECONNECTING,
        Connection.OFFLINE,
        Connection.ONLINE,
    ]


async def test_screens_show_the_state() -> None:
    service = seeded_service(rooms=2, events_per_room=9)
    app = CoopNetApp(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
        app.open_consultation("!room1:127.0.0.11")
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
            "the consultation",
        )
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


async def test_a_homeserver_down_at_start_shows_offline_and_the_cache_stays_readable(
    monkeypatch: Any, tmp_path: Path, unused_tcp_port: int
) -> None:
    """A stored device whose homeserver does not answer: start waits (nio retries the
    first sync) while the state goes reconnecting → offline; cached history is shown."""
    from coopnet.localcache import CACHE_FILE, EncryptedCache, KdfParams
    from coopnet.matrix import EnrolledDevices
    from coopnet.matrix.session import StoredSession

    monkeypatch.setattr(matrix_service, "PROBE_INTERVAL", 0.05)
    monkeypatch.setattr(matrix_service, "PROBE_TIMEOUT", 0.05)
    homeserver = f"http://127.0.0.1:{unused_tcp_port}"  # nothing listens there
    user = "@officer1:127.0.0.11"
    StoredSession(homeserver, user, "DEVICEDOWN", "token").save(tmp_path)
    service = MatrixService(
        homeserver,
        user,
        tmp_path,
        EnrolledDevices({}),
        demo_directory(),
        cache_file=tmp_path / CACHE_FILE,
        cache_params=KdfParams.fresh(n=2**10),
    )
    service.watch = ConnectionWatch(offline_after=0.3)
    cached = EncryptedCache.create(
        tmp_path / CACHE_FILE, "cache passphrase", KdfParams.fresh(n=2**10)
    )
    cached.write(
        [("!r:127.0.0.11", {"case_ref": "CH-CN-2026-0042"})],
        [
            (
                "!r:127.0.0.11",
                "$1",
                {
                    "sender": "@officer1:127.0.0.12",
                    "ts": 1,
                    "type": "m.room.message",
                    "content": {"msgtype": "m.text", "body": "kept"},
                    "trusted": True,
                    "device_id": "LISTED",
                },
            ),
            (
                "!r:127.0.0.11",
                "$2",
                {
                    "sender": "@officer1:127.0.0.12",
                    "ts": 2,
                    "type": "m.room.message",
                    "content": {"msgtype": "m.text", "body": "from a stolen password"},
                    "trusted": False,
                    "device_id": "UNLISTED",
                },
            ),
            (
                "!r:127.0.0.11",
                "$3",
                {  # cached before devices were judged: comes again from the homeserver
                    "sender": "@officer1:127.0.0.12",
                    "ts": 3,
                    "type": "m.room.message",
                    "content": {"msgtype": "m.text", "body": "undecided"},
                },
            ),
        ],
    )
    cached.close()
    await service.unlock_cache("cache passphrase")
    seen: list[Connection] = []
    service.set_listener(
        lambda u: seen.append(u.state) if isinstance(u, ConnectionChanged) else None
    )
    starting = asyncio.create_task(service.start())
    try:
        await wait_for(
            lambda: Connection.OFFLINE in seen or starting.done(), "offline", 30, interval=0.02
        )
        assert not starting.done(), f"start ended: {starting.exception()!r}"
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await service.close()
    assert seen[:3] == [Connection.STARTING, Connection.RECONNECTING, Connection.OFFLINE]
    consultation = service.consultation("!r:127.0.0.11")
    assert consultation.case_ref == "CH-CN-2026-0042"
    shown = [(e.body, e.trusted, e.device_id) for e in consultation.entries]
    assert shown == [("kept", True, "LISTED"), ("from a stolen password", False, "UNLISTED")]


async def test_the_probe_asks_the_homeserver_itself(unused_tcp_port: int, tmp_path: Path) -> None:
    """Any HTTP answer counts; a closed port does not (and is not retried)."""
    from aiohttp import web

    async def versions(_request: web.Request) -> web.Response:
        return web.json_response({"versions": ["v1.11"]})

    answers = web.Application()
    answers.router.add_get("/_matrix/client/versions", versions)
    runner = web.AppRunner(answers)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    service = MatrixService(
        f"http://127.0.0.1:{unused_tcp_port}",
        "@officer1:127.0.0.11",
        tmp_path,
        None,
        demo_directory(),
    )  # type: ignore[arg-type]
    await site.start()
    try:
        assert await service.probe()
    finally:
        await runner.cleanup()
    assert not await service.probe()
