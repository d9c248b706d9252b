"""New messages and urgent deadlines ring the bell or notify the desktop (OSC 9 / OSC
777), as configured, and a signal never holds case data beyond the case reference."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.notify import Notifier, choose, sequence
from tui.screens.consultation import ConsultationScreen
from tui.seed import CN, seeded_service, text
from tui.settings import DeviceSettings

ROOM = "!room1:127.0.0.11"


def test_auto_picks_by_terminal_and_a_setting_wins() -> None:
    assert choose("auto", {"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert choose("auto", {"TERM": "xterm-kitty"}) == "osc9"
    assert choose("auto", {"VTE_VERSION": "7600", "TERM": "xterm-256color"}) == "osc777"
    assert choose("auto", {"TERM": "screen"}) == "bell"
    assert choose("off", {"TERM_PROGRAM": "iTerm.app"}) == "off"


def test_sequences_cannot_be_broken_out_of() -> None:
    assert sequence("bell", "CoopNet", "x") == "\a"
    assert sequence("off", "CoopNet", "x") == ""
    assert sequence("osc9", "CoopNet", "New message in CH-MX-1") == (
        "\x1b]9;CoopNet: New message in CH-MX-1\x07"
    )
    evil = sequence("osc777", "Coop;Net", "a\x07\x1b]52;c;evil\x1b\\b")
    assert evil.startswith("\x1b]777;notify;Coop,Net;") and evil.endswith("\x07")
    assert evil.count("\x07") == 1 and evil.count("\x1b") == 1
    wrapped = sequence("osc9", "CoopNet", "x", in_tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;CoopNet: x\x07\x1b\\"


def test_a_burst_signals_once() -> None:
    written: list[str] = []
    now = [100.0]
    notifier = Notifier("osc9", written.append, clock=lambda: now[0])
    assert notifier.message("CH-CN-2026-0001", "es")
    assert not notifier.message("CH-CN-2026-0003", "es")
    now[0] += 6
    assert notifier.deadline("CH-CN-2026-0001", "es")
    assert written == [
        "\x1b]9;CoopNet: Nuevo mensaje en CH-CN-2026-0001\x07",
        "\x1b]9;CoopNet: Plazo próximo o vencido en CH-CN-2026-0001\x07",
    ]


async def test_a_live_message_elsewhere_signals_the_case_reference_only() -> None:
    service = seeded_service(rooms=3, events_per_room=12, invite=False)
    app = CoopNetApp(service, lang="en")
    app.notifier.method = "osc777"
    written: list[str] = []
    app.notifier.write = written.append
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        await until(pilot, lambda: service.connection.value == "online", "started")
        assert written == []  # no deadline is near in the seeded data
        room = service.consultation(ROOM)
        secret = "the person is hiding at 12 Example Street"
        service.add_entry(ROOM, text("$live", CN, room.last_ts() + 1000, secret))
        await until(pilot, lambda: bool(written), "the signal")
        assert written == [f"\x1b]777;notify;CoopNet;New message in {room.case_ref}\x07"]
        assert secret not in written[0] and "China" not in written[0]

        # Looking at that consultation (the terminal focused): no signal.
        written.clear()
        app.notifier._last = float("-inf")
        app.open_consultation(ROOM)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        service.add_entry(ROOM, text("$seen", CN, room.last_ts() + 1000, "seen"))
        await until(pilot, lambda: room.entry("$seen") is not None, "the message")
        await pilot.pause()
        assert written == []


def test_notify_from_the_command_line_is_remembered(tmp_path: Path) -> None:
    from coopnet.cli.tui import build_app

    app = build_app(argparse.Namespace(offline_demo=True, lang=None, notify="off"))
    assert app.notifier.method == "off"
    settings = DeviceSettings(tmp_path)
    settings.change(notify="bell")
    assert DeviceSettings.load(tmp_path).settings.notify == "bell"
