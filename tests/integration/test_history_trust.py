"""Events read back from a room's history (gap filling, history pages) carry their
sending device's trust decision, as live events do."""

from __future__ import annotations

import pytest

from coopnet.matrix import ReceivedEvent
from coopnet.network import Network
from tests.harness import wait_async
from tests.integration.test_late_keys import _open, _room_with

pytestmark = pytest.mark.integration


async def test_history_pages_carry_the_sending_devices_decision(network: Network):
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await _open(network, ch_user)
    mx, _ = await _open(network, mx_user)
    try:
        room_id = await _room_with(network, ch, mx)
        event_id = await ch.send_text(room_id, "read back from history")
        found: list[ReceivedEvent] = []

        async def read_back() -> bool:
            page = await mx.history_page(room_id, None)
            found[:] = [e for e in page.events if e.event_id == event_id and e.decrypted]
            return bool(found)

        await wait_async(read_back, "mx to read the event back from the room's history")
        assert found[0].trusted and found[0].sender_device.device_id, found[0].sender_device
        own = await ch.history_page(room_id, None)
        mine = next(e for e in own.events if e.event_id == event_id)
        assert mine.trusted, mine.sender_device  # this very device sent it
    finally:
        await ch.close()
        await mx.close()
