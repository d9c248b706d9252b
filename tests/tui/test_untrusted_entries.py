"""The terminal client never presents an untrusted device's event as the officer's word:
on the real network, what a device logged in with a stolen password sends is shown in
red, naming the device, and its step is not applied; the enrolled device's is."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rich.console import Console

from coopnet.consultation import UNTRUSTED_DEVICE
from coopnet.network import Network, load_network
from coopnet.protocol import PersonIdentity, PersonName, encode
from tests.integration.test_trust import new_device  # noqa: F401 - the fixture
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.model import EntryKind
from tui.screens.consultation import ConsultationScreen
from tui.service import Connection
from tui.widgets.cards import render_entry

IDENTITY = PersonIdentity(names=(PersonName(family="DOE", given="Jane"),))


@pytest.mark.integration
async def test_a_stolen_password_device_is_shown_in_red_and_not_applied(
    network: Network,
    open_client: Any,
    new_device: Any,  # noqa: F811 - the fixture
) -> None:
    net = load_network(network.directory)
    ch_user = net.authority("ch").officers()[0].user_id
    cn_user = net.authority("cn").officers()[0].user_id
    service = service_for(str(network.directory), ch_user)
    cn, _ = await open_client(cn_user)
    app = CoopNetApp(service)
    async with app.run_test(size=(150, 50)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
        room_id = await cn.create_consultation_room(
            f"CN-CH-U{uuid.uuid4().hex[:6].upper()}",
            invite=[ch_user],
            servers=service.directory.roster.servers(),
        )
        await until(pilot, lambda: room_id in service.rooms, "the invitation")
        await service.join(room_id)
        await cn.wait_until(lambda: ch_user in cn.joined(room_id), 60, "ch's join")
        stolen, _ = await new_device(cn_user, "stolen cn")
        await stolen.wait_until(lambda: room_id in stolen.room_ids(), 60, "the room to sync")
        app.open_consultation(room_id)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")

        forged_text = await stolen.send_text(room_id, "please send the file to me instead")
        forged_step = await stolen.send(room_id, encode(IDENTITY))
        real_step = await cn.send(room_id, encode(IDENTITY))
        consultation = service.consultation(room_id)
        wanted = {forged_text, forged_step, real_step}
        await until(
            pilot,
            lambda: wanted <= {e.event_id for e in consultation.entries},
            "the three events in the client",
        )
        entries = {e.event_id: e for e in consultation.entries}
        for event_id in (forged_text, forged_step):
            entry = entries[event_id]
            assert not entry.trusted and entry.device_id == stolen.device_id
            console = Console(width=200, record=True)
            console.print(render_entry(entry, consultation, service.names, "en"))
            shown = console.export_text()
            assert f"Untrusted device {stolen.device_id}: not the officer's word" in shown
        assert entries[forged_text].kind is EntryKind.TEXT
        assert consultation.refusal(entries[forged_step]).code == UNTRUSTED_DEVICE
        # The positive control: the enrolled device's step is the officer's and applied.
        real = entries[real_step]
        assert real.trusted and real.device_id == cn.device_id
        assert consultation.refusal(real) is None
        assert real_step in [s.event_id for s in consultation.core.accepted()]
