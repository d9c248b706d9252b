"""Pilot tests of the terminal client against the real local network.

The client runs as a Swiss officer; the Chinese counterpart is a plain CoopNetClient.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from coopnet.matrix.session import StoredSession
from coopnet.network import Network
from coopnet.protocol import (
    PersonIdentity,
    PersonName,
    RequirementsAnswer,
    RequirementsQuery,
    StageTransition,
    encode,
    parse_content,
)
from coopnet.protocol.vocab import Stage, Topic
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.matrix_service import MatrixService
from tui.screens.choose_event import ChooseEventScreen
from tui.screens.consultation import ConsultationScreen
from tui.screens.devices import DevicesScreen
from tui.screens.event_form import EventFormScreen
from tui.screens.login import LoginScreen
from tui.screens.recovery import RecoveryKeyScreen
from tui.service import Connection
from tui.widgets.timeline import Timeline

pytestmark = pytest.mark.integration

SIZE = (150, 50)


def officer(network: Network, authority: str, n: int = 0) -> str:
    return network.authority(authority).officers()[n].user_id


def structured(inbox: Any, cls: type) -> Any:
    for event in inbox.events:
        parsed = parse_content(event.content)
        if isinstance(parsed, cls):
            return event, parsed
    return None


async def choose(pilot: Any, app: CoopNetApp, cls: type) -> EventFormScreen:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, ChooseEventScreen), "the event chooser")
    chooser = app.screen
    assert isinstance(chooser, ChooseEventScreen)
    chooser.dismiss(cls)
    await until(pilot, lambda: isinstance(app.screen, EventFormScreen), f"the {cls.TYPE} form")
    assert isinstance(app.screen, EventFormScreen)
    return app.screen


async def test_open_consult_exchange_and_change_stage(network: Network, open_client: Any):
    ch_user, cn_user = officer(network, "ch"), officer(network, "cn")
    service = service_for(str(network.directory), ch_user)
    cn, inbox = await open_client(cn_user)
    invites: list[str] = []

    async def on_invite(invitation: Any) -> None:
        invites.append(invitation.room_id)

    cn.on_invite(on_invite)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "the client online")
        # The enrolled device is restored, not a new one.
        _, account = network.account(ch_user)
        assert service.client is not None and service.client.device_id == account.device_id

        # Open a consultation with the form; a bad case reference is refused in place.
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, EventFormScreen), "the opening form")
        form = app.screen
        assert isinstance(form, EventFormScreen)
        form.set_value("case_ref", "bad ref!")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#f-case_ref-error").has_class("shown")
        case_ref = f"CH-CN-T{uuid.uuid4().hex[:6].upper()}"
        form.set_value("case_ref", case_ref)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the new room")
        screen = app.screen
        assert isinstance(screen, ConsultationScreen)
        room_id = screen.room_id
        assert service.consultation(room_id).case_ref == case_ref

        # The counterpart joins; a plain message typed in the composer reaches it decrypted.
        await until(pilot, lambda: room_id in invites, "cn's invitation")
        await cn.join(room_id)
        await until(pilot, lambda: cn_user in service.client.joined(room_id), "cn's join")
        await pilot.click("#composer")
        await pilot.press(*"Bonjour", "enter")
        await until(
            pilot,
            lambda: inbox.find(lambda e: e.content.get("body") == "Bonjour"),
            "cn to decrypt the message",
        )

        # The counterpart sends the identity of the person sought: shown as a card.
        identity = PersonIdentity(
            names=(PersonName(family="DOE", given="Jane"),), nationalities=("CN",)
        )
        sent_id = await cn.send(room_id, encode(identity))
        await until(
            pilot,
            lambda: screen.query_one(Timeline).has_entry(sent_id),
            "the identity card",
        )

        # It asks about legal requirements; the answer form is filled and linked to it.
        query_id = await cn.send(
            room_id, encode(RequirementsQuery(topics=(Topic.PROVISIONAL_ARREST,)))
        )
        await until(
            pilot,
            lambda: any(e.event_id == query_id for e in screen.consultation.entries),
            "the query",
        )
        answer_form = await choose(pilot, app, RequirementsAnswer)
        assert answer_form.content()["in_reply_to"] == query_id
        answer_form.set_value("provisional_arrest_days", "18")
        answer_form.set_value("illustrative", True)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: structured(inbox, RequirementsAnswer), "cn to get the answer")
        _, answer = structured(inbox, RequirementsAnswer)
        assert answer.in_reply_to == query_id and answer.provisional_arrest_days == 18

        # A stage change the machine refuses is an error at the field; a valid one is sent.
        stage_form = await choose(pilot, app, StageTransition)
        assert stage_form.content()["from_stage"] == "pre_request_consultation"
        stage_form.set_value("to_stage", "granted")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is stage_form
        assert stage_form.query_one("#f-to_stage-error").has_class("shown")
        stage_form.set_value("to_stage", "provisional_arrest_requested")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: structured(inbox, StageTransition), "cn to get the stage")
        await until(
            pilot,
            lambda: (
                screen.consultation.stage(service.today()) is Stage.PROVISIONAL_ARREST_REQUESTED
            ),
            "the stage in the client",
        )

        # Every member device and its trust: the enrolled ones are trusted.
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen), "the devices")
        devices = app.screen
        table = devices.query_one(DataTable)
        await until(pilot, lambda: table.row_count >= 2, "the device rows")
        _, cn_account = network.account(cn_user)
        key = f"{cn_user}|{cn_account.device_id}"
        assert "trusted" in str(table.get_row(key)[2])


async def started(pilot: Any, app: CoopNetApp, service: MatrixService, what: str) -> None:
    """Online, and the start's last step done: a new device's recovery-key question is
    on screen (leaving the app while it is being pushed would tear it down half-made)."""

    def settled() -> bool:
        if service.connection is not Connection.ONLINE:
            return False
        if not service.recovery_needed:
            return True
        return isinstance(app.screen, RecoveryKeyScreen) and bool(app.screen.query("#title"))

    await until(pilot, settled, what)


async def test_login_once_then_restore(network: Network, tmp_path: Path):
    authority, account = network.account(officer(network, "mx", 1))
    store = tmp_path / "store"
    service = MatrixService(
        authority.client_url,
        account.user_id,
        store,
        service_for(str(network.directory), account.user_id).policy,
        service_for(str(network.directory), account.user_id).directory,
    )
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen), "the login screen")
        await pilot.press(*account.password, "enter")
        await started(pilot, app, service, "logged in")
    stored = StoredSession.load(store)
    assert stored is not None
    again = MatrixService(
        authority.client_url, account.user_id, store, service.policy, service.directory
    )
    app = CoopNetApp(again)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app, again, "restored")
        assert not isinstance(app.screen, LoginScreen)
        assert again.client is not None and again.client.device_id == stored.device_id
    await asyncio.sleep(0)
