"""The client starts in the officer's language: ``--lang``, else the one chosen on this
device with ctrl+l, else the working language of the officer's authority."""

from __future__ import annotations

import argparse
import json
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from coopnet.network import Network
from coopnet.protocol import encode
from tests.harness import opened
from tests.tui.conftest import until
from tests.tui.test_i18n import _choose_language
from tui.app import CoopNetApp
from tui.seed import CN, ME, MX, demo_directory, seeded_service
from tui.settings import SETTINGS_FILE, DeviceSettings, first_language


def test_the_directory_gives_each_officer_the_language_of_their_authority() -> None:
    directory = demo_directory()
    assert first_language(None, "", directory, MX) == "es"
    assert first_language(None, "", directory, CN) == "zh"
    assert first_language(None, "", directory, ME) == "fr"
    assert first_language(None, "", directory, "@someone:elsewhere.example") == "en"


def test_lang_beats_the_device_and_the_device_beats_the_directory() -> None:
    directory = demo_directory()
    assert first_language("ar", "ru", directory, MX) == "ar"
    assert first_language(None, "ru", directory, MX) == "ru"


def test_the_offline_demo_starts_in_the_swiss_officers_french() -> None:
    from coopnet.cli.tui import build_app

    args = argparse.Namespace(offline_demo=True, lang=None)
    app = build_app(args)
    assert app.lang == "fr" and app.service.lang == "fr"


async def test_a_language_chosen_with_ctrl_l_is_remembered_on_the_device(tmp_path: Path) -> None:
    service = seeded_service(rooms=1, events_per_room=3)
    service.settings_dir = tmp_path
    settings = DeviceSettings.load(tmp_path)
    app = CoopNetApp(service, lang="fr", settings=settings)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        await _choose_language(pilot, app, "es")
        await until(pilot, lambda: app.lang == "es", "Spanish")
    stored = tmp_path / SETTINGS_FILE
    assert json.loads(stored.read_text())["lang"] == "es"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    again = DeviceSettings.load(tmp_path)
    assert again.problem is None
    assert first_language(None, again.settings.lang, service.directory, ME) == "es"


async def test_a_damaged_settings_file_is_reported_and_the_defaults_used(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text('{"version": 1, "lang": "xx"}')
    settings = DeviceSettings.load(tmp_path)
    assert settings.problem is not None and "lang" in settings.problem
    assert settings.settings.lang == ""
    app = CoopNetApp(seeded_service(rooms=1, events_per_room=3), settings=settings)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(
            pilot,
            lambda: any("settings were not used" in str(n.message) for n in app._notifications),
            "the warning naming the field",
        )


@pytest.mark.integration
async def test_a_mexican_officers_first_screen_is_spanish_with_swiss_counterparts_named(
    network: Network, open_client: Any
) -> None:
    """``coopnet tui --network DIR --account <a Mexican officer>``, no --lang, a new
    device store: Spanish, and a consultation opened by Switzerland shows its name."""
    from coopnet.cli.tui import build_app

    ch_user = network.authority("ch").officers()[1].user_id
    mx_user = network.authority("mx").officers()[1].user_id
    ch, _ = await open_client(ch_user)
    case_ref = f"CH-MX-L{uuid.uuid4().hex[:6].upper()}"
    room_id = await ch.create_consultation_room(
        case_ref, invite=[mx_user], servers=network.member_server_names()
    )
    await ch.send(
        room_id,
        encode(opened(case_ref, "ch", "mx")),
    )
    args = argparse.Namespace(
        offline_demo=False,
        network=str(network.directory),
        account=mx_user,
        homeserver=None,
        user=None,
        store=None,
        lang=None,
        notify=None,
        no_cache=True,
        cache_passphrase_file=None,
    )
    app = build_app(args)
    assert app.lang == "es"
    service = app.service
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: room_id in service.rooms, "the invitation")
        await service.join(room_id)
        consultation = service.consultation(room_id)
        await until(pilot, lambda: consultation.opened is not None, "the opened event")
        app.list_screen.refresh_list()
        table = app.list_screen.query_one(DataTable)
        keys = [row.value for row in table.rows]
        row = [str(cell) for cell in table.get_row(keys[keys.index(room_id)])]
        assert "Switzerland" in " ".join(row), row
        assert app.list_screen.title == "Consultas"
