"""Emoji verification in the terminal client against the real network.

A Chinese officer logs in from a new laptop that the signed directory does not list. The
Swiss officer's client excludes it from the consultation's keys and says so; the two
officers then verify each other by emoji (the client's modal on one side, a plain
:class:`SasVerifier` on the laptop), after which the laptop reads what is sent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from coopnet.errors import MatrixError
from coopnet.matrix import CoopNetClient, DirectoryDevices
from coopnet.matrix.verification import SasVerifier, VerificationRequest
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import ConsultationOpened, LegalBasis
from coopnet.protocol.vocab import Kind, LegalBasisType
from coopnet.trust import VerificationStore
from tests.harness import Inbox
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.screens.devices import DevicesScreen
from tui.screens.verify import Step, VerifyScreen
from tui.service import Connection

pytestmark = pytest.mark.integration

SIZE = (150, 50)


@pytest.fixture
async def laptop(network: Network, tmp_path: Path) -> AsyncIterator[tuple[CoopNetClient, Inbox]]:
    """The second officer of cn, logged in with its password from a new, unlisted device."""
    net = load_network(network.directory)
    user_id = net.authority("cn").officers()[1].user_id
    authority, account = net.account(user_id)
    store = tmp_path / "laptop"
    store.mkdir()
    client = await CoopNetClient.open(
        authority.client_url,
        user_id,
        store,
        policy=network_trust.device_policy(net, store),
        password=account.password,
        device_name="new laptop",
    )
    inbox = Inbox()
    client.on_event(inbox.handle)
    await client.sync_once()
    client.start()
    yield client, inbox
    await client.close()


def knows(client: CoopNetClient, user_id: str, device_id: str) -> bool:
    return any(d.device_id == device_id for d in client.user_devices(user_id))


async def consultation_with(pilot: Any, service: Any, laptop_client: Any, tag: str) -> str:
    """The client opens a consultation with China; the laptop joins it. Its room id."""
    invited: list[str] = []

    async def on_invite(invitation: Any) -> None:
        invited.append(invitation.room_id)

    laptop_client.on_invite(on_invite)
    room_id: str = await service.open_consultation(
        ConsultationOpened(
            case_ref=f"CH-CN-{tag}{uuid.uuid4().hex[:6].upper()}",
            kind=Kind.EXTRADITION,
            requesting_authority="ch",
            requested_authority="cn",
            legal_basis=LegalBasis(basis=LegalBasisType.UNTOC),
        )
    )
    await until(pilot, lambda: room_id in invited, "the laptop's invitation")
    await laptop_client.join(room_id)
    return room_id


async def test_unknown_device_is_shown_excluded_then_verified_by_emoji(
    network: Network, laptop: tuple[CoopNetClient, Inbox], tmp_path: Path
) -> None:
    laptop_client, laptop_inbox = laptop
    cn_user = laptop_client.user_id
    ch_user = network.authority("ch").officers()[1].user_id
    service = service_for(str(network.directory), ch_user)
    laptop_verifier = SasVerifier(laptop_client, VerificationStore(tmp_path / "laptop-v.json"))
    requests: list[VerificationRequest] = []

    async def on_request(request: VerificationRequest) -> None:
        requests.append(request)

    laptop_verifier.on_request(on_request)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "the client online")
        assert service.client is not None
        ch = service.client
        room_id = await consultation_with(pilot, service, laptop_client, "V")
        await until(pilot, lambda: cn_user in ch.joined(room_id), "the laptop's join")
        app.open_consultation(room_id)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
            "the consultation",
        )
        screen = app.screen
        assert isinstance(screen, ConsultationScreen)
        warning = screen.query_one("#excluded", Static)

        # A message: the unlisted laptop gets no key, and the officer is told so.
        await pilot.click("#composer")
        before = f"before {uuid.uuid4().hex[:8]}"
        await pilot.press(*before, "enter")
        await until(pilot, lambda: warning.display, "the excluded-device warning")
        await until(
            pilot,
            lambda: any(e.body == before for e in screen.consultation.entries),
            "the message sent",
        )
        assert laptop_client.device_id in str(warning.render())
        sent = next(e for e in screen.consultation.entries if e.body == before)
        await until(
            pilot,
            lambda: laptop_inbox.find(lambda e: e.event_id == sent.event_id) is not None,
            "the message on the laptop",
        )
        assert not laptop_inbox.find(lambda e: e.event_id == sent.event_id).decrypted

        # Devices: the laptop is excluded; v starts the emoji verification with it.
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen), "the devices")
        devices = app.screen
        assert isinstance(devices, DevicesScreen)
        table = devices.query_one(DataTable)
        key = f"{cn_user}|{laptop_client.device_id}"
        await until(
            pilot,
            lambda: any(r.device_id == laptop_client.device_id for r in devices.rows),
            "the laptop's row",
        )
        assert "EXCLUDED" in str(table.get_row(key)[2]).upper()
        index = next(
            i for i, r in enumerate(devices.rows) if r.device_id == laptop_client.device_id
        )
        table.move_cursor(row=index)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the verify screen")
        verify = app.screen
        assert isinstance(verify, VerifyScreen)

        # The other officer accepts; both see the same seven emoji and confirm.
        await until(pilot, lambda: bool(requests), "the laptop to get the request")
        assert (requests[0].user_id, requests[0].device_id) == (ch_user, ch.device_id)
        txn = requests[0].transaction_id
        await laptop_verifier.accept(txn)
        laptop_emoji = await laptop_verifier.wait_for_emoji(txn)
        await until(pilot, lambda: verify.step is Step.COMPARE, "the emoji in the client")
        assert verify.emoji == laptop_emoji and len(laptop_emoji) == 7
        await pilot.press("y")
        await laptop_verifier.confirm(txn)
        await until(pilot, lambda: verify.step is Step.VERIFIED, "the verification")
        await asyncio.wait_for(laptop_verifier.wait_verified(txn), 60)
        await pilot.press("escape")
        await until(
            pilot,
            lambda: app.screen is devices and "TRUSTED" in str(table.get_row(key)[2]).upper(),
            "the laptop trusted in the devices screen",
        )
        # The laptop is no longer named as excluded (other devices of the same officer,
        # left by earlier tests, may still be, and rightly stay in the banner).
        await until(
            pilot,
            lambda: not warning.display or laptop_client.device_id not in str(warning.render()),
            "the laptop to leave the excluded-device warning",
        )

        # The verified laptop reads what is sent next.
        await pilot.press("escape")
        after = f"after {uuid.uuid4().hex[:8]}"
        await pilot.click("#composer")
        await pilot.press(*after, "enter")
        await until(
            pilot,
            lambda: (
                laptop_inbox.find(lambda e: e.decrypted and e.content.get("body") == after)
                is not None
            ),
            "the laptop to decrypt the next message",
        )


async def test_the_other_officer_starts_and_the_client_accepts(
    network: Network, laptop: tuple[CoopNetClient, Inbox], tmp_path: Path
) -> None:
    laptop_client, _ = laptop
    cn_user = laptop_client.user_id
    ch_user = network.authority("ch").officers()[1].user_id
    service = service_for(str(network.directory), ch_user)
    laptop_verifier = SasVerifier(laptop_client, VerificationStore(tmp_path / "laptop-v.json"))
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "the client online")
        assert service.client is not None
        ch = service.client
        room_id = await consultation_with(pilot, service, laptop_client, "W")
        await until(
            pilot, lambda: knows(ch, cn_user, laptop_client.device_id), "ch to know the laptop"
        )
        await laptop_client.wait_until(
            lambda: knows(laptop_client, ch_user, ch.device_id), 60, "the laptop to know ch"
        )

        # The laptop asks; the client shows the request, the officer accepts with a.
        txn = await laptop_verifier.start(ch_user, ch.device_id)
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the request")
        verify = app.screen
        assert isinstance(verify, VerifyScreen)
        assert verify.step is Step.ASK and verify.transaction_id == txn
        assert (verify.user_id, verify.device_id) == (cn_user, laptop_client.device_id)
        await pilot.press("a")
        laptop_emoji = await laptop_verifier.wait_for_emoji(txn)
        await until(pilot, lambda: verify.step is Step.COMPARE, "the emoji in the client")
        assert verify.emoji == laptop_emoji
        await laptop_verifier.confirm(txn)
        await pilot.press("y")
        await until(pilot, lambda: verify.step is Step.VERIFIED, "the verification")
        record = await asyncio.wait_for(laptop_verifier.wait_verified(txn), 60)
        assert (record.user_id, record.device_id) == (ch_user, ch.device_id)
        rows = await service.devices(room_id)
        laptop_row = next(r for r in rows if r.device_id == laptop_client.device_id)
        assert laptop_row.trust == "trusted"


async def test_mismatching_emoji_trust_nothing_on_either_side(
    network: Network, laptop: tuple[CoopNetClient, Inbox], tmp_path: Path
) -> None:
    """The laptop's officer says the emoji match, the client's officer says they do not:
    the verification is cancelled, neither side trusts the other's device, and the laptop
    still gets no room key."""
    laptop_client, laptop_inbox = laptop
    cn_user = laptop_client.user_id
    ch_user = network.authority("ch").officers()[1].user_id
    service = service_for(str(network.directory), ch_user)
    laptop_store = VerificationStore(tmp_path / "laptop-v.json")
    laptop_verifier = SasVerifier(laptop_client, laptop_store)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "the client online")
        assert service.client is not None
        ch = service.client
        room_id = await consultation_with(pilot, service, laptop_client, "M")
        await until(
            pilot, lambda: knows(ch, cn_user, laptop_client.device_id), "ch to know the laptop"
        )
        await laptop_client.wait_until(
            lambda: knows(laptop_client, ch_user, ch.device_id), 60, "the laptop to know ch"
        )

        txn = await laptop_verifier.start(ch_user, ch.device_id)
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the request")
        verify = app.screen
        assert isinstance(verify, VerifyScreen)
        await pilot.press("a")
        await laptop_verifier.wait_for_emoji(txn)
        await until(pilot, lambda: verify.step is Step.COMPARE, "the emoji in the client")
        await laptop_verifier.confirm(txn)  # the other side says they match ...
        await pilot.press("n")  # ... this officer sees other emoji
        await until(pilot, lambda: verify.step is Step.FAILED, "the refusal")
        # The laptop sees the verification cancelled (nio may drop it altogether).
        with pytest.raises(MatrixError, match="failed|cancelled"):
            await laptop_verifier.wait_verified(txn, timeout=30)

        # Nothing is trusted, on either side.
        assert laptop_store.get(ch_user, ch.device_id) is None
        client_store = VerificationStore(service.store_dir / DirectoryDevices.VERIFICATIONS_FILE)
        assert client_store.get(cn_user, laptop_client.device_id) is None
        rows = await service.devices(room_id)
        laptop_row = next(r for r in rows if r.device_id == laptop_client.device_id)
        assert laptop_row.trust != "trusted", laptop_row
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, VerifyScreen), "the screen closed")

        # And the laptop gets no key for what is sent next.
        app.open_consultation(room_id)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
            "the consultation",
        )
        screen = app.screen
        assert isinstance(screen, ConsultationScreen)
        after = f"after a mismatch {uuid.uuid4().hex[:8]}"
        await pilot.click("#composer")
        await pilot.press(*after, "enter")
        await until(
            pilot,
            lambda: any(e.body == after for e in screen.consultation.entries),
            "the message sent",
        )
        sent = next(e for e in screen.consultation.entries if e.body == after)
        await until(
            pilot,
            lambda: laptop_inbox.find(lambda e: e.event_id == sent.event_id) is not None,
            "the message on the laptop",
        )
        received = laptop_inbox.find(lambda e: e.event_id == sent.event_id)
        assert received is not None and not received.decrypted
