"""The composer's outbox: a draft survives leaving the consultation (and, with the
encrypted cache, a restart); a send a crash interrupted goes again under its first
transaction id, so the homeserver keeps one event, never two."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from coopnet.localcache import CACHE_FILE, DRAFT_SLOT, EncryptedCache
from coopnet.network import Network
from tests.harness import wait_for
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.matrix_service import new_txn_id
from tui.screens.consultation import ConsultationScreen
from tui.seed import seeded_service
from tui.service import Connection, text_content

SIZE = (150, 45)


async def test_the_composer_keeps_its_draft_and_a_send_clears_it() -> None:
    service = seeded_service(rooms=2, events_per_room=3)
    room_id = next(c.room_id for c in service.consultations() if not c.invited)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.open_consultation(room_id)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        await pilot.pause()
        await pilot.press(*"not finished")
        await until(pilot, lambda: service.drafts.get(room_id) == "not finished", "the draft")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConsultationScreen), "the list")
        await pilot.pause()
        app.open_consultation(room_id)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and app.screen.is_mounted,
            "the room again",
        )
        composer = app.screen.query_one("#composer", Input)
        assert composer.value == "not finished"
        await pilot.press(*" now", "enter")
        await until(pilot, lambda: composer.value == "", "the composer to empty")
        await pilot.pause()
        assert room_id not in service.drafts  # sent: not a draft any more
        sent = [c.get("body") for r, c in service.sent if r == room_id]
        assert sent[-1] == "not finished now"


@pytest.mark.integration
async def test_an_interrupted_send_goes_once_and_the_draft_comes_back(
    network: Network, open_client: Any
):
    ch_user = network.authority("ch").officers()[1].user_id
    cn_user = network.authority("cn").officers()[1].user_id
    cn, inbox = await open_client(cn_user)
    room = await cn.create_consultation_room(
        f"CN-CH-OUT{uuid.uuid4().hex[:6].upper()}",
        invite=[ch_user],
        servers=network.member_server_names(),
    )
    _, account = network.account(ch_user)
    cache_file = Path(account.store_dir or "") / CACHE_FILE
    EncryptedCache.discard(cache_file)
    tag = uuid.uuid4().hex[:6]
    left, never, draft = f"left before the crash {tag}", f"never left {tag}", f"half {tag}"
    try:
        first = service_for(str(network.directory), ch_user, cache=True)
        await first.unlock_cache("outbox test")
        await first.start()
        await first.join(room)
        await wait_for(lambda: ch_user in cn.joined(room), "ch to join", timeout=120)
        assert first.client is not None and first.cache is not None
        # The states a kill -9 can leave: a send that reached the homeserver but whose
        # outbox row was not dropped yet, one written to the outbox that never left,
        # and a composer's draft.
        left_txn = new_txn_id()
        await first.client.send(room, text_content(left), txn_id=left_txn)
        await first.cache.keep_outbox(room, left_txn, {"body": left, "reply_to": None})
        await first.cache.keep_outbox(room, new_txn_id(), {"body": never, "reply_to": None})
        first.save_draft(room, draft)
        await first.close()

        again = service_for(str(network.directory), ch_user, cache=True)
        await again.unlock_cache("outbox test")
        assert again.drafts == {room: draft}
        assert again.cache is not None
        assert (room, DRAFT_SLOT, {"body": draft}) in await again.cache.outbox()
        await again.start()
        assert again.connection is not Connection.OFFLINE
        await wait_for(
            lambda: inbox.find(lambda e: e.content.get("body") == never) is not None,
            "the interrupted send to arrive",
            timeout=120,
        )
        sentinel = f"after the restart {tag}"
        await again.send_text(room, sentinel)
        await wait_for(
            lambda: inbox.find(lambda e: e.content.get("body") == sentinel) is not None,
            "the message sent after the restart",
            timeout=120,
        )
        bodies = [e.content.get("body") for e in inbox.events if e.room_id == room]
        assert bodies.count(left) == 1, bodies
        assert bodies.count(never) == 1, bodies
        assert again.cache is not None
        # Nothing pending any more; the composer's send took the place of its draft.
        assert await again.cache.outbox() == []
        await again.close()
    finally:
        EncryptedCache.discard(cache_file)  # the session network's store is shared
