"""The connection banner against a real homeserver that goes down and comes back.

A one-authority network of its own (the session network must keep running), five
addresses above the session network's base.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from coopnet.matrix import CoopNetClient
from coopnet.network import Network, lifecycle, process
from coopnet.network import trust as network_trust
from tests.harness import BASE_ADDRESS
from tests.tui.conftest import service_for, until
from tui import matrix_service
from tui.app import CoopNetApp
from tui.connection import Connection, ConnectionWatch
from tui.screens.consultation import ConsultationScreen

pytestmark = pytest.mark.integration

ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 5)


@pytest.fixture
async def lone_network(tmp_path: Path) -> AsyncIterator[Network]:
    options = lifecycle.NetworkOptions(
        authorities=["aa"], base_address=ADDRESS, officers_per_authority=1
    )
    network = await lifecycle.up(tmp_path / "net", options, with_bots=False)
    try:
        yield network
    finally:
        await asyncio.to_thread(lifecycle.down, tmp_path / "net")


async def test_a_homeserver_that_goes_down_shows_offline_then_connected(
    lone_network: Network, monkeypatch: Any
) -> None:
    monkeypatch.setattr(matrix_service, "PROBE_INTERVAL", 0.2)
    monkeypatch.setattr(matrix_service, "PROBE_TIMEOUT", 0.5)
    authority = lone_network.authority("aa")
    user_id = authority.officers()[0].user_id
    # A consultation room made beforehand, so the client lists it from its first sync.
    _, account = lone_network.account(user_id)
    store = Path(account.store_dir or "")
    maker = await CoopNetClient.open(
        authority.client_url, user_id, store, network_trust.device_policy(lone_network, store)
    )
    try:
        room_id = await maker.create_consultation_room(
            f"AA-{uuid.uuid4().hex[:6]}", invite=[], servers=[authority.server_name]
        )
    finally:
        await maker.close()
    service = service_for(str(lone_network.directory), user_id)
    service.watch = ConnectionWatch(offline_after=2.0)
    app = CoopNetApp(service)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "the client online")
        await until(pilot, lambda: room_id in service.rooms, "the room in the client")
        app.open_consultation(room_id)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
            "the consultation",
        )
        banner = app.screen.query_one("#connection", Static)
        assert not banner.display

        # The homeserver stops: reconnecting, then unreachable.
        assert await asyncio.to_thread(process.stop_synapse, authority)
        await until(pilot, lambda: banner.display, "the reconnecting banner", 30)
        await until(pilot, lambda: "unreachable" in str(banner.render()), "the offline banner", 30)
        assert banner.has_class("-offline")

        # It comes back: the banner goes.
        proc = process.start_synapse(authority)
        await process.wait_healthy(authority, proc, 60)
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online again", 60)
        await until(pilot, lambda: not banner.display, "the banner to go", 30)
