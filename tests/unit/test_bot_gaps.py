"""The bot framework fills gaps from a room's history before it handles newer events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from pathlib import Path

from bots.framework import Bot, BotConfig
from coopnet.ids import RoomID
from coopnet.matrix import ReceivedEvent, RoomBatch, SyncBatch
from coopnet.matrix.history import GapFill, HistoryPage, unheld_events
from tests.unit.test_bot_held_events import Policy, _event


class HistoryMatrix:
    """A room whose history holds events a sync never showed (federation backfill)."""

    def __init__(self, room: str, history: list[ReceivedEvent]) -> None:
        self.room = room
        self.history = history

    def room_ids(self) -> frozenset[RoomID]:
        return frozenset({RoomID(self.room)})

    async def history_page(self, start: str | None, limit: int) -> HistoryPage:
        end = len(self.history) if start is None else int(start)
        begin = max(0, end - limit)
        page = list(reversed(self.history[begin:end]))
        return HistoryPage(page, str(begin) if begin else None)

    async def unheld_events(self, room_id, known, start=None, settle=200, back_to=()):
        return await unheld_events(self.history_page, known, start, settle, back_to)

    def await_room_key(self, event: ReceivedEvent) -> None:
        pass

    def retry_decrypt(self, event: ReceivedEvent) -> ReceivedEvent | None:
        return None


class RememberingBot(Bot):
    remembers_events = True

    def __init__(self, config: BotConfig) -> None:
        super().__init__(config, Policy())
        self.handled: list[str] = []
        self.undecryptable: list[str] = []

    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        if is_new:
            self.handled.append(event.event_id)

    async def known_events(self, event_ids: Collection[str]) -> set[str]:
        return set(self.handled) & set(event_ids)

    async def known_event(self, event_id: str) -> bool:
        return event_id in self.handled

    async def handle_undecryptable(self, event: ReceivedEvent) -> None:
        self.undecryptable.append(event.event_id)


def _bot(tmp_path: Path, matrix: HistoryMatrix, wait: float = 120.0) -> RememberingBot:
    config = BotConfig(
        homeserver="http://127.0.0.1:1",
        user_id="@bot:x",
        store_dir=tmp_path / "store",
        state_db=tmp_path / "state.db",
        member_servers=frozenset({"x"}),
        key_wait_seconds=wait,
    )
    bot = RememberingBot(config)
    bot.client = matrix  # type: ignore[assignment]
    return bot


async def test_backfilled_events_before_a_batch_are_handled_first_in_room_order(tmp_path: Path):
    history = [_event("!r", f"${i}", decrypted=True) for i in range(8)]
    bot = _bot(tmp_path, HistoryMatrix("!r", history))
    bot.handled = ["$0", "$1", "$2", "$4"]  # $3, $5 and $6 never came down the sync
    batch = SyncBatch("s2", [RoomBatch(RoomID("!r"), [history[7]], False, "7")])
    await bot._on_sync(batch)
    assert bot.handled == ["$0", "$1", "$2", "$4", "$3", "$5", "$6", "$7"]
    assert bot.state.sync_token() == "s2"
    bot.state.close()


async def test_the_catch_up_at_start_fills_a_room_without_a_new_sync(tmp_path: Path):
    history = [_event("!r", f"${i}", decrypted=True) for i in range(500)]
    bot = _bot(tmp_path, HistoryMatrix("!r", history))
    bot.handled = [e.event_id for e in history[:-120]]
    await bot._catch_up_rooms()
    assert len(bot.handled) == 380  # an idle room is left alone by the periodic check
    await bot._catch_up_rooms(every_room=True)  # as at start
    assert bot.handled == [e.event_id for e in history]
    await bot._catch_up_rooms(every_room=True)  # nothing doubled
    assert len(bot.handled) == 500
    bot.state.close()


async def test_an_event_given_up_on_is_not_taken_for_a_gap_again(tmp_path: Path):
    history = [_event("!r", "$0", decrypted=True), _event("!r", "$1", decrypted=False)]
    history.append(_event("!r", "$2", decrypted=True))
    bot = _bot(tmp_path, HistoryMatrix("!r", history), wait=-1.0)
    bot.handled = ["$0"]
    await bot._catch_up_rooms(every_room=True)
    await bot._retry_pending()
    assert bot.undecryptable == ["$1"]
    assert bot.handled == ["$0", "$2"]
    await bot._catch_up_rooms(every_room=True)  # $1 is neither held nor reported again
    await bot._retry_pending()
    assert bot.undecryptable == ["$1"]
    assert await bot.state.pending() == []
    bot.state.close()


async def test_the_periodic_check_looks_at_rooms_with_new_events_lately(tmp_path: Path):
    history = [_event("!r", f"${i}", decrypted=True) for i in range(301)]
    bot = _bot(tmp_path, HistoryMatrix("!r", history))
    bot.handled = [e.event_id for e in history[:250] + history[280:300]]  # $250..$279 backfilled
    await bot._on_sync(SyncBatch("s2", [RoomBatch(RoomID("!r"), [history[300]], False, "300")]))
    assert len(bot.handled) == 271  # the check before the batch met 10 held events and stopped
    await bot._catch_up_rooms()  # the room had new events: checked deeply
    assert sorted(bot.handled) == sorted(e.event_id for e in history)
    bot.state.close()


async def test_events_backfilled_behind_a_checked_region_are_found_by_a_later_check(
    tmp_path: Path,
):
    events = [_event("!r", f"${i}", decrypted=True) for i in range(600)]
    block = events[120:150]  # fetched by the homeserver only after the first check read there
    matrix = HistoryMatrix("!r", [e for e in events[:300] if e not in block])
    bot = _bot(tmp_path, matrix)
    bot.handled = [e.event_id for e in matrix.history]
    await bot._catch_up_rooms(every_room=True)
    assert len(bot.handled) == 270
    matrix.history = list(events)  # the block in its place, and 300 newer events handled
    bot.handled += [e.event_id for e in events[300:]]
    await bot._catch_up_rooms(every_room=True)  # 200 held in a row would stop at $400
    assert sorted(bot.handled) == sorted(e.event_id for e in events)
    assert await bot.state.history_marks("!r") == ["$599", "$299"]
    bot.state.close()


class CountingHistoryMatrix(HistoryMatrix):
    def __init__(self, room: str, history: list[ReceivedEvent]) -> None:
        super().__init__(room, history)
        self.pages = 0

    async def history_page(self, start: str | None, limit: int) -> HistoryPage:
        self.pages += 1
        return await super().history_page(start, limit)


async def test_the_check_behind_batches_runs_once_a_while_and_reads_back_to_the_last(
    tmp_path: Path,
):
    events = [_event("!r", f"${i}", decrypted=True) for i in range(60)]
    matrix = CountingHistoryMatrix("!r", events[:21])
    bot = _bot(tmp_path, matrix)
    bot.handled = [e.event_id for e in events[:20]]

    def batch(i: int) -> SyncBatch:
        matrix.history = [e for e in events[: i + 1] if e.event_id != "$25"]
        return SyncBatch(f"s{i}", [RoomBatch(RoomID("!r"), [events[i]], False, str(i))])

    await bot._on_sync(batch(20))
    assert matrix.pages == 1  # the first batch of a room: read behind it
    for i in range(21, 40):  # a busy room: batches in quick succession, none read behind
        await bot._on_sync(batch(i))
    assert matrix.pages == 1
    matrix.history = events[:41]  # $25 came by federation backfill, behind 15 held events
    bot._behind_checked["!r"] = (time.monotonic() - 60, bot._behind_checked["!r"][1])
    await bot._on_sync(SyncBatch("s40", [RoomBatch(RoomID("!r"), [events[40]], False, "40")]))
    # Read back past where the last check stood ($19), not only 10 held events: found.
    assert "$25" in bot.handled and bot.handled[-1] == "$40"
    assert sorted(bot.handled) == sorted(e.event_id for e in events[:41])
    bot.state.close()


class SlowHistoryMatrix(HistoryMatrix):
    """Two rooms whose deep checks each wait until the test lets them go."""

    def __init__(self) -> None:
        super().__init__("!a", [])
        self.checking = {r: asyncio.Event() for r in ("!a", "!b")}
        self.let_go = {r: asyncio.Event() for r in ("!a", "!b")}

    def room_ids(self) -> frozenset[RoomID]:
        return frozenset({RoomID("!a"), RoomID("!b")})

    async def unheld_events(self, room_id, known, start=None, settle=200, back_to=()):
        if start is None and room_id in self.checking:
            self.checking[room_id].set()
            await self.let_go[room_id].wait()
        return GapFill([], None)


async def test_a_sync_batch_waits_for_one_room_of_the_deep_check_not_for_all(tmp_path: Path):
    matrix = SlowHistoryMatrix()
    bot = _bot(tmp_path, matrix)
    bot._last_active = {"!a": time.monotonic(), "!b": time.monotonic()}
    housekeeping = asyncio.create_task(bot._tick_loop())
    await asyncio.wait_for(matrix.checking["!a"].wait(), 10)
    event = _event("!c", "$c1", decrypted=True)
    batch = SyncBatch("s2", [RoomBatch(RoomID("!c"), [event], False, None)])
    sync = asyncio.create_task(bot._on_sync(batch))
    matrix.let_go["!a"].set()
    await asyncio.wait_for(matrix.checking["!b"].wait(), 10)
    # Room !b's check is still reading its history: the batch went in between the rooms.
    await asyncio.wait_for(sync, 10)
    assert bot.handled == ["$c1"]
    matrix.let_go["!b"].set()
    bot.request_stop()
    housekeeping.cancel()
    await asyncio.gather(housekeeping, return_exceptions=True)
    bot.state.close()
