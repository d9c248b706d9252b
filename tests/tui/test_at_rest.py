"""Nothing decrypted is written to disk in clear by the terminal client.

The client keeps decrypted timelines and its search index in memory only (no cache on
disk yet). This test receives and searches a unique message, with the client's log file
on at DEBUG level, and then looks for the message in every file of the account's store.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from coopnet.cli.tui import _log_to_file
from coopnet.network import Network
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.service import Connection

pytestmark = pytest.mark.integration


async def test_decrypted_messages_never_reach_the_disk(network: Network, open_client: Any):
    ch_user = network.authority("ch").officers()[0].user_id
    cn_user = network.authority("cn").officers()[1].user_id
    service = service_for(str(network.directory), ch_user)
    store = Path(service.store_dir)
    cn, _ = await open_client(cn_user)
    secret = f"secret-at-rest-{uuid.uuid4().hex}"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    _log_to_file(service)  # as `coopnet tui` runs it: logs to STORE/tui.log
    root.setLevel(logging.DEBUG)
    try:
        app = CoopNetApp(service)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
            room_id = await cn.create_consultation_room(
                f"CN-CH-S{uuid.uuid4().hex[:6].upper()}", invite=[ch_user],
                servers=service.directory.member_servers())
            await until(pilot, lambda: room_id in service.rooms, "the invitation")
            await service.join(room_id)
            await cn.wait_until(lambda: ch_user in cn.nio.rooms[room_id].users, 60, "the join")
            await cn.send_text(room_id, secret)
            await until(pilot, lambda: any(e.body == secret for e in
                                           service.consultation(room_id).entries),
                        "the decrypted message")
            app.open_consultation(room_id)
            await pilot.pause()
            assert service.search(secret)  # the search index holds it, in memory
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert (store / "tui.log").exists()
    needle = secret.encode()
    leaks = [p for p in store.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert leaks == [], f"decrypted content found in {leaks}"
    open_to_others = [p for p in [store, *store.rglob("*")] if p.stat().st_mode & 0o077]
    assert open_to_others == [], f"readable by others: {open_to_others}"
