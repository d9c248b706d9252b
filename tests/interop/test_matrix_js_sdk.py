"""Interop with a modern Matrix client (issue 15, part 6): matrix-js-sdk with its Rust
crypto, in ``OnlySignedDevicesIsolationMode`` as Element runs it, is a Swiss officer
consulting a Mexican CoopNet officer with both authorities' bots in the room.

The js officer cross-signs its own device (``bootstrapCrossSigning``, password UIA) and
the steward lists its master key, as ``coopnet directory set-master-key`` does; from then
on CoopNet trusts its device through cross-signing, and it trusts CoopNet's devices the
same way (it shares no room key with, and decrypts nothing from, an unsigned device).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bots.consultation.bot import ConsultationBot
from coopnet.cli import main as cli
from coopnet.matrix import CoopNetClient
from coopnet.matrix.admin import register_user
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import PAYLOAD_KEY, Event, encode, parse_content
from coopnet.receipts import keys_from_directory, verify_receipt
from tests.bots.burst import IDENTITY
from tests.bots.conftest import StartBot, start_bot  # noqa: F401 - start_bot is the fixture
from tests.harness import Inbox, OpenClient, opened, wait_async, wait_for
from tests.integration.test_trust import new_device  # noqa: F401 - the fixture
from tests.interop.js_officer import NODE_MAJOR, JsOfficer, node_is_new_enough, sdk_version
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(
        node_is_new_enough(), f"Node {NODE_MAJOR} or newer is not installed (tests/system-deps.sh)"
    ),
    needs(sdk_version() is not None, "matrix-js-sdk is not installed (npm ci in tests/interop)"),
]

ROOMS = 5  # the "already seen" case lost the first message in 2 rooms of 5
RECEIPT = "org.coopnet.consultation.receipt"
SHIELD_NONE = 0  # EventShieldColour.NONE: the client shows no authenticity warning


@dataclass
class JsAccount:
    driver: JsOfficer
    user_id: str
    device_id: str
    master_key: str


@pytest.fixture
async def js_officer(network: Network, tmp_path: Path) -> AsyncIterator[JsAccount]:
    """A new Swiss officer on matrix-js-sdk: the account registered, listed as an officer,
    its device cross-signed by the js client and its master key listed by the steward."""
    authority = network.authority("ch")
    password = uuid.uuid4().hex
    user_id = await register_user(
        authority.client_url,
        authority.server_name,
        authority.registration_shared_secret,
        f"js-{uuid.uuid4().hex[:8]}",
        password,
        "js officer",
    )
    directory = ["--dir", str(network.directory)]
    assert cli(["directory", "add-officer", "ch", user_id, "--name", "js", *directory]) == 0
    driver = await JsOfficer.start(tmp_path / "matrix-js-sdk.log")
    try:
        me = await driver.call(
            "login",
            base_url=authority.client_url,
            user_id=user_id,
            password=password,
            device_name="matrix-js-sdk",
        )
        keys = await driver.call("bootstrap_cross_signing")
        assert keys["ready"], keys
        assert cli(["directory", "set-master-key", user_id, keys["master_key"], *directory]) == 0
        yield JsAccount(driver, user_id, me["device_id"], keys["master_key"])
    finally:
        await driver.close()
        assert cli(["directory", "remove-officer", user_id, *directory]) == 0


async def _js_event(js: JsOfficer, room_id: str, event_id: str) -> dict[str, Any] | None:
    return next(
        (e for e in await js.call("events", room_id=room_id) if e["event_id"] == event_id), None
    )


async def _recorded(bot: ConsultationBot, event_id: str, kind: str) -> bool:
    entry = await bot.records.get_by_event_id(event_id)
    return entry is not None and entry.kind == kind


def _structured(payload: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_content({PAYLOAD_KEY: payload})
    assert isinstance(parsed, Event), parsed
    return encode(parsed)


async def _rooms_with_bots(
    network: Network, mx: CoopNetClient, js_user: str, bots: list[str], tag: str
) -> list[str]:
    """``ROOMS`` consultations opened by the Mexican officer, the bots joined, the js
    officer invited (not joined yet)."""
    servers = [network.authority("ch").server_name, network.authority("mx").server_name]
    rooms = [
        await mx.create_consultation_room(f"JS-{tag}-{n}", invite=[js_user, *bots], servers=servers)
        for n in range(ROOMS)
    ]
    await wait_for(
        lambda: all(set(bots) <= mx.joined(room) for room in rooms), "the bots to join", 120
    )
    for n, room in enumerate(rooms):
        await mx.send(room, encode(opened(f"JS-{tag}-{n}", "mx", "ch")))
    return rooms


async def test_matrix_js_sdk_in_only_signed_mode_consults_coopnet_both_ways(
    network: Network,
    open_client: OpenClient,
    start_bot: StartBot,  # noqa: F811 - the fixture
    new_device,  # noqa: F811 - the fixture
    js_officer: JsAccount,
):
    js = js_officer.driver
    net = load_network(network.directory)
    ch_bot, mx_bot = await start_bot("ch"), await start_bot("mx")
    bots = [ch_bot, mx_bot]
    mx_user = net.authority("mx").officers()[0].user_id
    mx, mx_inbox = await open_client(mx_user)
    inbox: Inbox = mx_inbox

    tag = uuid.uuid4().hex[:6]
    rooms = await _rooms_with_bots(network, mx, js_officer.user_id, [b.user_id for b in bots], tag)

    async def invited() -> bool:
        return set(rooms) <= set(await js.call("invitations"))

    await wait_async(invited, "the js officer's invitations", 120)

    # The "already seen" case: the first message right after joining, in every room.
    first: dict[str, str] = {}
    for room in rooms:
        sent = await js.call(
            "join_and_send",
            room_id=room,
            content={"msgtype": "m.text", "body": f"first word of the js officer {room}"},
        )
        first[room] = sent["event_id"]
    for bot in bots:
        for room, event_id in first.items():

            async def held(b: ConsultationBot = bot, e: str = event_id) -> bool:
                return await _recorded(b, e, "message")

            await wait_async(held, f"{bot.user_id} to record the first message in {room}", 120)
    for room, event_id in first.items():
        await wait_for(
            lambda e=event_id: (
                (got := inbox.find(lambda x: x.event_id == e)) is not None and got.decrypted
            ),
            f"the Mexican officer to decrypt the first message in {room}",
            120,
        )
        received = inbox.find(lambda x, e=event_id: x.event_id == e)
        assert received is not None and received.trusted, received
        assert received.content["body"] == f"first word of the js officer {room}"
        assert received.sender_device.device_id == js_officer.device_id
    # CoopNet trusted the js device through the master key the directory lists.
    js_device = {d.device_id: d for d in mx.room_devices(rooms[0])}[js_officer.device_id]
    assert js_device.trust.value == "trusted", js_device
    assert mx.exclusion_reason(js_officer.user_id, js_officer.device_id) == ""
    assert await mx.master_key_of(js_officer.user_id) == js_officer.master_key

    # CoopNet to js: the Mexican officer's words decrypt in OnlySigned mode.
    room = rooms[0]
    said = f"from the CoopNet officer {uuid.uuid4().hex}"
    said_id = await mx.send_text(room, said)

    async def js_read() -> bool:
        event = await _js_event(js, room, said_id)
        return (
            event is not None
            and event["decryption_failure"] is None
            and (event["content"].get("body") == said)
        )

    await wait_async(js_read, "the js officer to decrypt the CoopNet officer's message", 120)
    read = await _js_event(js, room, said_id)
    assert read is not None and read["shield_colour"] == SHIELD_NONE, read  # no warning

    # The js client sees each CoopNet device as signed by its owner (cross-signed).
    for user_id, device_id in (
        (mx_user, mx.device_id),
        (ch_bot.user_id, ch_bot.matrix.device_id),
        (mx_bot.user_id, mx_bot.matrix.device_id),
    ):
        status = await js.call("device_status", user_id=user_id, device_id=device_id)
        assert status is not None and status["signed_by_owner"], (user_id, status)
        user = await js.call("user_status", user_id=user_id)
        assert user["has_cross_signing_keys"] and not user["needs_user_approval"], user

    # A structured event from js: recorded by both bots, the Mexican bot's signed receipt
    # reaches the js client and verifies against the key the directory lists.
    identity = _structured(IDENTITY)
    identity_id = (await js.call("send", room_id=room, content=identity))["event_id"]
    for bot in bots:

        async def recorded(b: ConsultationBot = bot) -> bool:
            return await _recorded(b, identity_id, "event")

        await wait_async(recorded, f"{bot.user_id} to record the identity event", 120)
    receipt: dict[str, Any] = {}

    async def receipt_arrived() -> bool:
        for event in await js.call("events", room_id=room):
            payload = event["content"].get(PAYLOAD_KEY)
            if (
                event["sender"] == mx_bot.user_id
                and isinstance(payload, dict)
                and payload.get("type") == RECEIPT
                and payload.get("content", {}).get("event_id") == identity_id
            ):
                receipt.update(event)
                return True
        return False

    await wait_async(receipt_arrived, "the Mexican bot's receipt at the js officer", 120)
    assert receipt["decryption_failure"] is None
    listed = keys_from_directory(network_trust.load_directory(load_network(network.directory)))
    check = verify_receipt(receipt["content"], listed, identity)
    assert check.ok, check.reason

    # OnlySigned is in force: a device of the Mexican officer logged in with the password
    # alone (not signed by its owner) is not shown the js officer's words, and what it
    # sends does not decrypt at the js client.
    stolen, stolen_inbox = await new_device(mx_user, "password only", with_keys=False)
    assert not stolen.cross_signing_status.device_signed
    await stolen.wait_until(lambda: room in stolen.room_ids(), 60, "the room at the new device")

    async def js_knows_stolen() -> bool:
        return stolen.device_id in await js.call("devices", user_id=mx_user)

    await wait_async(js_knows_stolen, "the js officer to see the unsigned device", 120)
    status = await js.call("device_status", user_id=mx_user, device_id=stolen.device_id)
    assert status is not None and not status["signed_by_owner"], status
    forged = f"from an unsigned device {uuid.uuid4().hex}"
    forged_id = await stolen.send_text(room, forged)

    async def js_refused() -> bool:
        event = await _js_event(js, room, forged_id)
        # The room key arrives (the device shares it), the sender's device is refused.
        return event is not None and event["decryption_failure"] == "UNSIGNED_SENDER_DEVICE"

    await wait_async(js_refused, "the js officer to refuse the unsigned device's event", 120)
    refused = await _js_event(js, room, forged_id)
    assert refused is not None and forged not in str(refused["content"]), refused
    kept = f"not for an unsigned device {uuid.uuid4().hex}"
    kept_id = (await js.call("send", room_id=room, content={"msgtype": "m.text", "body": kept}))[
        "event_id"
    ]
    await wait_for(lambda: stolen_inbox.find(lambda e: e.event_id == kept_id), "the js event")
    assert not stolen_inbox.find(lambda e: e.event_id == kept_id).decrypted
