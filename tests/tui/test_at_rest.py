"""Nothing decrypted is written to disk in clear by the terminal client.

Without a cache (``--no-cache``) decrypted timelines and the search index live in memory
only; with one (the default) they are also kept in ``cache.db``, sealed under the
officer's passphrase. Each test receives a unique message, with the client's log file on
at DEBUG level, and then looks for the message in every file of the account's store.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from coopnet.cli.tui import _log_to_file
from coopnet.localcache import CACHE_FILE, EncryptedCache
from coopnet.network import Network
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.screens.unlock import UnlockScreen
from tui.service import Connection

pytestmark = pytest.mark.integration


def assert_nothing_readable(store: Path, secret: str) -> None:
    needle = secret.encode()
    leaks = [p for p in store.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert leaks == [], f"decrypted content found in {leaks}"
    open_to_others = [p for p in [store, *store.rglob("*")] if p.stat().st_mode & 0o077]
    assert open_to_others == [], f"readable by others: {open_to_others}"


async def type_into(pilot: Any, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def receive_in_a_new_room(pilot: Any, service: Any, cn: Any, body: str) -> str:
    """``cn`` invites the service's officer to a new room and sends ``body`` there once
    joined; returns the room id when the client holds the decrypted message."""
    user = service.user_id
    room_id: str = await cn.create_consultation_room(
        f"CN-CH-S{uuid.uuid4().hex[:6].upper()}",
        invite=[user],
        servers=service.directory.roster.servers(),
    )
    await until(pilot, lambda: room_id in service.rooms, "the invitation")
    await service.join(room_id)
    await cn.wait_until(lambda: user in cn.joined(room_id), 60, "the join")
    await cn.send_text(room_id, body)
    await until(
        pilot,
        lambda: any(e.body == body for e in service.consultation(room_id).entries),
        "the decrypted message",
    )
    return room_id


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
            room_id = await receive_in_a_new_room(pilot, service, cn, secret)
            app.open_consultation(room_id)
            await pilot.pause()
            assert service.search(secret)  # the search index holds it, in memory
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert (store / "tui.log").exists()
    assert_nothing_readable(store, secret)


async def test_the_cache_keeps_history_sealed_under_the_passphrase(
    network: Network, open_client: Any
):
    ch_user = network.authority("ch").officers()[1].user_id
    cn_user = network.authority("cn").officers()[0].user_id
    service = service_for(str(network.directory), ch_user, cache=True)
    store = Path(service.store_dir)
    cache_file = store / CACHE_FILE
    EncryptedCache.discard(cache_file)
    cn, _ = await open_client(cn_user)
    secret = f"cached-secret-{uuid.uuid4().hex}"
    passphrase = "a long cache passphrase"
    try:
        # First start: choose the passphrase (the two entries must match).
        app = CoopNetApp(service)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
            assert app.screen.first_time
            await type_into(pilot, "#passphrase", passphrase)
            await type_into(pilot, "#confirm", passphrase + "typo")
            await pilot.click("#submit")
            error = app.screen.query_one("#error", Static)
            assert "differ" in str(error.render())
            await type_into(pilot, "#confirm", passphrase)
            await pilot.press("enter")
            await until(
                pilot,
                lambda: not isinstance(app.screen, UnlockScreen),
                "the unlock screen to close",
            )
            await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
            room_id = await receive_in_a_new_room(pilot, service, cn, secret)
        assert cache_file.exists()
        assert_nothing_readable(store, secret)

        # Without the network: the cache alone gives the message back, and search finds it.
        offline = service_for(str(network.directory), ch_user, cache=True)
        await offline.unlock_cache(passphrase)
        try:
            assert [e.body for e in offline.consultation(room_id).entries if e.body == secret]
            assert offline.search(secret)
            assert offline.client is None  # nothing was asked of the homeserver
        finally:
            await offline.close()

        # Next start: a wrong passphrase is answered in place, the right one unlocks; what
        # was sent meanwhile comes with the history, counted as unread rather than toasted.
        await cn.send_text(room_id, "sent while the client was closed")
        again = service_for(str(network.directory), ch_user, cache=True)
        app = CoopNetApp(again)
        toasts: list[str] = []
        app.notify = lambda message, **_: toasts.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
            assert not app.screen.first_time
            await type_into(pilot, "#passphrase", "not the passphrase")
            await pilot.press("enter")
            await until(
                pilot,
                lambda: "Wrong passphrase" in str(app.screen.query_one("#error", Static).render()),
                "the wrong-passphrase error",
            )
            await type_into(pilot, "#passphrase", passphrase)
            await pilot.press("enter")
            await until(
                pilot,
                lambda: (
                    room_id in again.rooms
                    and any(e.body == secret for e in again.consultation(room_id).entries)
                ),
                "the cached message",
            )
            await until(pilot, lambda: again.connection is Connection.ONLINE, "online")
            await until(
                pilot,
                lambda: any(
                    e.body == "sent while the client was closed"
                    for e in again.consultation(room_id).entries
                ),
                "the message sent meanwhile",
            )
            # Never opened: the secret is still unread, and so is what came while away.
            assert again.consultation(room_id).unread == 2
        assert not [m for m in toasts if "New message" in m], "history is not news: " + repr(toasts)
        assert_nothing_readable(store, secret)
    finally:
        EncryptedCache.discard(cache_file)  # the session network's store is shared


async def test_a_consultation_the_officer_is_removed_from_leaves_the_screen_and_the_cache(
    network: Network, open_client: Any
):
    ch_user = network.authority("ch").officers()[1].user_id
    cn_user = network.authority("cn").officers()[0].user_id
    service = service_for(str(network.directory), ch_user, cache=True)
    cache_file = Path(service.store_dir) / CACHE_FILE
    EncryptedCache.discard(cache_file)
    cn, _ = await open_client(cn_user)
    body = f"removed-{uuid.uuid4().hex}"
    passphrase = "a passphrase for this test"
    try:
        await service.unlock_cache(passphrase)
        app = CoopNetApp(service)
        toasts: list[str] = []
        app.notify = lambda message, **_: toasts.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
            room_id = await receive_in_a_new_room(pilot, service, cn, body)
            app.open_consultation(room_id)
            await until(
                pilot, lambda: isinstance(app.screen, ConsultationScreen), "the consultation"
            )
            await service.cache.flush()  # type: ignore[union-attr]
            before = EncryptedCache.unlock(cache_file, passphrase)
            assert any(r == room_id for r, _, _ in before.events()), "cached before"
            before.close()
            await cn.kick(room_id, ch_user, reason="removed from the consultation")
            await until(pilot, lambda: room_id not in service.rooms, "the removal to arrive")
            await until(
                pilot,
                lambda: not isinstance(app.screen, ConsultationScreen),
                "the consultation screen to close",
            )
            assert any("no longer a member" in m for m in toasts), toasts
        cached = EncryptedCache.unlock(cache_file, passphrase)
        try:
            assert [e for r, e, _ in cached.events() if r == room_id] == []
            assert room_id not in dict(cached.rooms())
        finally:
            cached.close()
    finally:
        EncryptedCache.discard(cache_file)
