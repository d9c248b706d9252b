"""The record holds every timeline event of a consultation exactly once (issue 14, 2).

Federation backfill, limited syncs and restarts leave gaps in what a bot's sync shows;
the bot fills them from the room's history. Checked with the audit: the record against
the room's whole history as the Swiss officer's device sees it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot
from coopnet.cli import main
from coopnet.matrix import CoopNetClient
from coopnet.matrix.audit import audit_room
from coopnet.network import Network, load_network
from coopnet.records.audit import AuditReport
from tests.bots.burst import held_count, mixed_burst, open_room_with_bots
from tests.bots.conftest import StartBot
from tests.harness import OpenClient, wait_async, wait_for

pytestmark = pytest.mark.integration

BURST = 1_000
RESTART_BURST = 400
STOP_AFTER = 100  # events of the burst recorded before the bot is stopped
DOWN_FOR = 150  # events sent while it is down


async def _send_all(
    client: CoopNetClient, room: str, contents: list[dict], sent: list[str]
) -> None:
    for content in contents:
        sent.append(await client.send(room, content))


async def _audited(client: CoopNetClient, db: Path, room: str, last: dict[str, AuditReport]):
    async def check() -> bool:
        last[str(db)] = await audit_room(client, db, room)
        return last[str(db)].ok

    return check


async def _records_match_the_room(ch: CoopNetClient, dbs: list[Path], room: str) -> None:
    last: dict[str, AuditReport] = {}
    for db in dbs:
        check = await _audited(ch, db, room, last)
        try:
            await wait_async(check, f"the record {db.name} to match the room", 180)
        except AssertionError:
            raise AssertionError(str(last[str(db)])) from None


async def test_a_burst_of_1000_mixed_events_is_recorded_once_by_both_bots(
    network: Network, open_client: OpenClient, start_bot: StartBot
) -> None:
    net = load_network(network.directory)
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    ch, _ = await open_client(net.authority("ch").officers()[0].user_id)
    mx, _ = await open_client(net.authority("mx").officers()[0].user_id)
    room = await open_room_with_bots(net, ch, mx, [ch_bot.user_id, mx_bot.user_id], "BURST")

    sent: list[str] = []
    done = asyncio.Event()
    pages = 0

    async def page_back_meanwhile() -> None:
        # What made Mexico's homeserver backfill the officer's events from Switzerland.
        nonlocal pages
        while not done.is_set():
            await mx_bot.matrix.history(room, limit=100)
            pages += 1

    async def burst() -> None:
        try:
            await _send_all(ch, room, mixed_burst(BURST, room), sent)
        finally:
            done.set()

    await asyncio.gather(burst(), page_back_meanwhile())
    assert len(sent) == BURST and pages > 0
    dbs = [ch_bot.records_path, mx_bot.records_path]
    for db in dbs:
        await wait_for(lambda db=db: held_count(db, sent) == BURST, f"{db.name}: the burst", 300)
    await _records_match_the_room(ch, dbs, room)


async def test_a_bot_restarted_while_events_keep_coming_misses_and_doubles_nothing(
    network: Network, open_client: OpenClient
) -> None:
    net = load_network(network.directory)
    ch, _ = await open_client(net.authority("ch").officers()[0].user_id)
    mx, _ = await open_client(net.authority("mx").officers()[0].user_id)
    running: list[ConsultationBot] = []  # the bot process of Mexico, while it runs

    async def start_mx_bot() -> ConsultationBot:
        bot = build_bot(net, "mx", tick_seconds=0.5)
        await bot.start()
        running.append(bot)
        return bot

    try:
        bot = await start_mx_bot()
        db = bot.records_path
        room = await open_room_with_bots(net, ch, mx, [bot.user_id], "RESTART")
        sent: list[str] = []

        async def stop_and_start_again() -> None:
            await wait_for(lambda: held_count(db, sent) >= STOP_AFTER, "the first events", 120)
            await running.pop().stop()
            stopped_at = len(sent)
            await wait_for(lambda: len(sent) >= stopped_at + DOWN_FOR, "events while down", 120)
            await start_mx_bot()

        await asyncio.gather(
            _send_all(ch, room, mixed_burst(RESTART_BURST, room), sent), stop_and_start_again()
        )
        await wait_for(lambda: held_count(db, sent) == RESTART_BURST, "the whole burst", 300)
        await _records_match_the_room(ch, [db], room)
        # The command, through the bot's own device once the bot is stopped.
        await running.pop().stop()
        store = str(net.authority("mx").bot().store_dir)  # type: ignore[union-attr]
        audit = ["records", "audit", "--db", str(db), "--store", store, "--room", room]
        assert await asyncio.to_thread(main, audit) == 0
    finally:
        for bot in running:
            await bot.stop()
