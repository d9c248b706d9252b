"""The recovery key in the client, on seeded data: a new device asks for it (three tries,
refused in place) and then shows the history, marked as restored from the backup; the
palette shows or replaces it; the devices screen shows each device's cross-signing."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Button, DataTable, Input, Static

from tests.tui.conftest import until
from tests.tui.test_verify_screen import ROOM, open_room
from tui.app import CoopNetApp
from tui.i18n import t
from tui.model import EntryKind, entry_from
from tui.screens.devices import DevicesScreen
from tui.screens.recovery import TRIES, RecoveryKeyScreen, RecoveryShownScreen
from tui.seed import CN, ME, seeded_service
from tui.service import DeviceRow
from tui.widgets.cards import untrusted_note

RECOVERY_KEY = "EsTc 5rr1 4Jhp Uc18 hwCn 2b9T LSvj 5h4T TkP8 bdeK JGTa"


def _new_device():
    """A device of an account whose backup holds the keys of two earlier messages."""
    service = seeded_service(rooms=2, events_per_room=3)
    earlier = [
        entry_from(f"$earlier{i}", CN, 1_779_000_000_000 + i, "m.room.message", body)
        for i, body in enumerate(({"msgtype": "m.text", "body": "sent before the laptop"},) * 2)
    ]
    earlier = [replace(e, device_id="CNDEVICE1") for e in earlier]
    service.seed_backup(RECOVERY_KEY, ROOM, earlier)
    return service


async def _asked(pilot, app: CoopNetApp) -> RecoveryKeyScreen:
    """The question the new device asks at start."""
    await until(pilot, lambda: isinstance(app.screen, RecoveryKeyScreen), "the question")
    assert isinstance(app.screen, RecoveryKeyScreen)
    return app.screen


async def _type(pilot, app: CoopNetApp, text: str) -> None:
    field = app.screen.query_one(Input)
    field.value = text
    await pilot.press("enter")


async def test_a_new_device_asks_for_the_recovery_key_three_tries_then_reads_the_history():
    service = _new_device()
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _asked(pilot, app)
        assert t("recovery.why", "en") in str(screen.query_one("#why", Static).render())
        error = screen.query_one("#error", Static)
        await _type(pilot, app, "not the key")
        await until(pilot, lambda: "try 1 of 3" in str(error.render()), "the first refusal")
        assert "does not open this account's secret storage" in str(error.render())
        assert isinstance(app.screen, RecoveryKeyScreen)  # refused in place
        assert service.recovery_needed
        await _type(pilot, app, RECOVERY_KEY.replace(" ", ""))  # spaces do not matter
        await until(pilot, lambda: not isinstance(app.screen, RecoveryKeyScreen), "the restore")
        assert not service.recovery_needed
        consultation = service.consultation(ROOM)
        restored = [e for e in consultation.entries if e.event_id.startswith("$earlier")]
        assert len(restored) == 2 and all(e.kind is not EntryKind.UNDECRYPTABLE for e in restored)
        # Shown, but marked: the backup does not prove who sent them.
        assert all(e.from_backup and not e.trusted for e in restored)
        note = str(untrusted_note(restored[0], "en"))
        assert note.startswith("Restored from the key backup (CNDEVICE1)")
        assert str(untrusted_note(restored[0], "ar")) == t(
            "entry.from_backup", "ar", device="CNDEVICE1"
        )


async def test_three_wrong_recovery_keys_change_nothing():
    service = _new_device()
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _asked(pilot, app)
        error = screen.query_one("#error", Static)
        for attempt in range(1, TRIES + 1):
            await _type(pilot, app, f"wrong key {attempt}")
            await until(pilot, lambda a=attempt: f"try {a} of 3" in str(error.render()), "refusal")
        assert "No tries left: nothing was changed" in str(error.render())
        assert screen.query_one(Input).disabled
        assert service.recovery_needed
        undecrypted = [
            e for e in service.consultation(ROOM).entries if e.event_id[:8] == "$earlier"
        ]
        assert all(e.kind is EntryKind.UNDECRYPTABLE for e in undecrypted)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RecoveryKeyScreen), "closed")


async def test_the_palette_shows_and_replaces_the_recovery_key():
    service = seeded_service(rooms=1, events_per_room=3)
    service.account_recovery_key, service.holds_recovery_key = RECOVERY_KEY, True
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        assert not isinstance(app.screen, RecoveryKeyScreen)  # this device holds it
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        app.call_later(commands[t("cmd.recovery", "en")].callback)
        await until(pilot, lambda: isinstance(app.screen, RecoveryShownScreen), "the key")
        shown = app.screen
        assert str(shown.query_one("#key", Static).render()) == RECOVERY_KEY
        assert "Keep it offline" in str(shown.query_one("#warning", Static).render())
        replace_button = shown.query_one("#replace", Button)
        replace_button.press()  # armed: asks to confirm, nothing replaced yet
        await until(pilot, lambda: "Really replace" in str(replace_button.label), "confirm")
        assert service.account_recovery_key == RECOVERY_KEY
        replace_button.press()
        await until(pilot, lambda: shown.replaced, "the new key")
        new_key = service.account_recovery_key
        assert new_key != RECOVERY_KEY
        assert str(shown.query_one("#key", Static).render()) == new_key
        assert "shown this once" in str(shown.query_one("#title", Static).render())


async def test_the_devices_screen_shows_cross_signing_state():
    service = seeded_service(rooms=2, events_per_room=9)
    service.device_rows[ROOM] = [
        DeviceRow(CN, "CNDEVICE1", "k" * 43, "terminal", "trusted", "listed", True, True),
        DeviceRow(CN, "STOLEN", "s" * 43, "stolen password", "excluded", "listed", False),
        DeviceRow(CN, "OTHERMK", "o" * 43, "reset keys", "excluded", "other", True),
        DeviceRow(ME, "CHDEVICE1", "m" * 43, "terminal", "trusted"),
    ]
    app = CoopNetApp(service)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_room(pilot, app)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen), "the devices")
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the device rows")

        def state(device: str, user: str = CN) -> str:
            return str(table.get_row(f"{user}|{device}")[3])

        assert (
            state("CNDEVICE1") == "master key = directory · signed by its owner · verified by you"
        )
        assert state("STOLEN") == "master key = directory · not signed by its owner"
        assert state("OTHERMK") == "master key ≠ directory · signed by its owner"
        assert state("CHDEVICE1", ME) == "not cross-signed"
