"""The devices screen, the excluded-device warning and the emoji verification modal, on
seeded data (the real network's flow is in ``test_verify_network.py``)."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.memory_service import MemoryService
from tui.screens.consultation import ConsultationScreen
from tui.screens.devices import DevicesScreen
from tui.screens.verify import Step, VerifyScreen
from tui.seed import CN, ME, seeded_service
from tui.service import DeviceExcluded, DeviceRow

ROOM = "!room1:127.0.0.11"
LAPTOP = "LAPTOPXYZ"


def service_with_devices() -> MemoryService:
    service = seeded_service(rooms=2, events_per_room=9)
    service.device_rows[ROOM] = [
        DeviceRow(CN, "CNDEVICE1", "k" * 43, "CoopNet terminal", "trusted"),
        DeviceRow(CN, LAPTOP, "l" * 43, "new laptop", "excluded"),
        DeviceRow(ME, "CHDEVICE1", "m" * 43, "CoopNet terminal", "trusted"),
    ]
    return service


async def open_room(pilot: Any, app: CoopNetApp) -> ConsultationScreen:
    await until(pilot, lambda: app.list_screen.is_mounted, "the list")
    app.open_consultation(ROOM)
    await until(
        pilot,
        lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
        "the consultation",
    )
    assert isinstance(app.screen, ConsultationScreen)
    return app.screen


async def test_excluded_device_warning_then_verify_by_emoji() -> None:
    service = service_with_devices()
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await open_room(pilot, app)
        warning = screen.query_one("#excluded", Static)
        assert not warning.display
        service.emit(DeviceExcluded(ROOM, CN, LAPTOP))  # as the client reports it
        await until(pilot, lambda: warning.display, "the excluded-device warning")
        assert LAPTOP in str(warning.render())

        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen), "the devices")
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 3, "the device rows")
        assert "EXCLUDED" in str(table.get_row(f"{CN}|{LAPTOP}")[2])
        table.move_cursor(row=1)
        await pilot.press("v")
        await until(
            pilot,
            lambda: isinstance(app.screen, VerifyScreen) and app.screen.step is Step.COMPARE,
            "the emoji",
        )
        verify = app.screen
        assert isinstance(verify, VerifyScreen)
        assert verify.emoji == MemoryService.EMOJI
        await pilot.press("y")
        await until(pilot, lambda: verify.step is Step.VERIFIED, "verified")
        assert verify.transaction_id in service.confirmed
        await pilot.press("escape")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, DevicesScreen)
                and "trusted" in str(table.get_row(f"{CN}|{LAPTOP}")[2])
            ),
            "the device trusted",
        )
        assert not warning.display  # the warning is gone with the exclusion


async def test_mismatching_emoji_trust_nothing() -> None:
    service = service_with_devices()
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_room(pilot, app)
        app.push_screen(VerifyScreen(service, CN, LAPTOP, "en"))
        await until(
            pilot,
            lambda: isinstance(app.screen, VerifyScreen) and app.screen.step is Step.COMPARE,
            "the emoji",
        )
        verify = app.screen
        await pilot.press("n")
        await until(pilot, lambda: verify.step is Step.FAILED, "the refusal")
        assert not service.verifications and not service.confirmed
        assert all(r.trust != "trusted" for r in service.device_rows[ROOM] if r.device_id == LAPTOP)


def test_verify_screen_snapshot(snap_compare: Any, utc: None) -> None:
    service = service_with_devices()

    async def verify(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(VerifyScreen(service, CN, LAPTOP, "en"))
        await until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, VerifyScreen) and pilot.app.screen.step is Step.COMPARE
            ),
            "the emoji",
        )

    assert snap_compare(CoopNetApp(service), terminal_size=(130, 40), run_before=verify)
