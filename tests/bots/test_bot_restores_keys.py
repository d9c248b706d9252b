"""A bot whose store is lost restores its room keys from the key backup and catches up.

The Swiss bot records a consultation; its nio store (device, Olm account, room keys) is
then lost. Started again, it logs in as a new device with its password, restores every
room key from the backup with its recovery key (both from its enrolment in
``network.json``), signs its new device with the cross-signing keys from secret storage
and reads the room's past events again; its record holds each once.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from coopnet.network import Network, load_network
from tests.bots.helpers import open_ch_mx_consultation
from tests.bots.record_reader import room_entries
from tests.harness import wait_for

pytestmark = pytest.mark.integration


async def test_a_bot_with_a_lost_store_restores_its_keys_and_reads_past_events(
    network: Network, open_client, start_bot
):
    net = load_network(network.directory)
    authority = net.authority("ch")
    bot_account = authority.bot()
    assert bot_account is not None and bot_account.store_dir and bot_account.recovery_key
    store = Path(bot_account.store_dir)
    db = authority.path / "bot" / "records.db"

    bot = await start_bot("ch")
    ch, _ = await open_client(authority.officers()[0].user_id)
    mx, _ = await open_client(net.authority("mx").officers()[0].user_id)
    room, _case = await open_ch_mx_consultation(ch, mx, bot.user_id, "LOSTSTORE")
    texts = [f"before the loss {i} {uuid.uuid4().hex[:6]}" for i in range(3)]
    sent = [await mx.send_text(room, text) for text in texts]

    def recorded() -> set[str]:
        return {e.event_id for e in room_entries(db, room)}

    await wait_for(lambda: set(sent) <= recorded(), "the bot to record the messages")
    await wait_for(lambda: bot.matrix.key_backup.pending == 0, "the bot's keys to be backed up")
    old_device = bot.matrix.device_id
    entries_before = len(room_entries(db, room))
    await bot.stop()

    aside = store.with_name(store.name + ".kept")
    shutil.move(store, aside)  # the store is lost (kept aside for the later tests)
    try:
        reborn = await start_bot("ch")
        assert reborn.matrix.device_id != old_device
        assert reborn.matrix.recovery.unlocked
        # Its cross-signing keys came from secret storage: the new device signed itself,
        # and the other authority's officer trusts it without a directory change.
        assert reborn.matrix.cross_signing_status.device_signed
        new_device = reborn.matrix.device_id
        await mx.wait_until(
            lambda: mx.exclusion_reason(bot.user_id, new_device) == "",
            60,
            "mx to trust the bot's new device",
        )
        history = await reborn.matrix.whole_history(room)
        bodies = {e.content.get("body") for e in history if e.decrypted}
        assert set(texts) <= bodies
        # Caught up without recording anything twice.
        ids = [e.event_id for e in room_entries(db, room)]
        assert len(ids) == len(set(ids)) and len(ids) >= entries_before
        # The new device is removed again, so later tests see the enrolled one only.
        await reborn.matrix.logout()
        await reborn.stop()
    finally:
        shutil.rmtree(store, ignore_errors=True)
        shutil.move(aside, store)
