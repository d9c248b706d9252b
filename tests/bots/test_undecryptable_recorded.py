"""An event whose room key never reaches the bot is still in the record: rejected with
why, and answered once so that its sender can send it again."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from bots.consultation.runner import build_bot
from bots.consultation.texts import text
from bots.consultation.view import BOT_MARKER
from coopnet.network import Network, load_network
from tests.harness import wait_async, wait_for
from tests.integration.test_late_keys import Withholding, _open

pytestmark = pytest.mark.integration


async def test_an_event_whose_key_never_comes_is_recorded_as_rejected(network: Network):
    net = load_network(network.directory)
    ch_user = net.authority("ch").officers()[0].user_id
    mx_bot_account = net.authority("mx").bot()
    assert mx_bot_account is not None
    # Switzerland's officer never shares room keys with Mexico's bot.
    ch, ch_inbox = await _open(network, ch_user, lambda p: Withholding(p, {mx_bot_account.user_id}))
    bot = build_bot(net, "mx", tick_seconds=0.5)
    bot.config = dataclasses.replace(bot.config, key_wait_seconds=3.0)
    await bot.start()
    try:
        room_id = await ch.create_consultation_room(
            f"NOKEY-{uuid.uuid4().hex[:6]}",
            invite=[mx_bot_account.user_id],
            servers=network.member_server_names(),
        )
        await ch.wait_until(
            lambda: mx_bot_account.user_id in ch.joined(room_id), 60, "the bot's join"
        )
        event_id = await ch.send_text(room_id, "never readable by the bot")

        async def rejected() -> bool:
            entry = await bot.records.get_by_event_id(event_id)
            return entry is not None and entry.kind == "rejection"

        await wait_async(rejected, "the bot to record the event as rejected", timeout=90)
        entry = await bot.records.get_by_event_id(event_id)
        assert entry is not None
        # Why, in the sender's language (Switzerland's officer reads French).
        assert entry.content_value()["problems"] == [text("event.undecryptable", "fr")]

        def answered() -> bool:
            return any(
                e.sender == mx_bot_account.user_id
                and isinstance(e.content.get(BOT_MARKER), dict)
                and e.content[BOT_MARKER].get("to") == event_id
                for e in ch_inbox.events
            )

        await wait_for(answered, "the bot's answer in the room", timeout=60)
    finally:
        await bot.stop()
        await ch.close()
