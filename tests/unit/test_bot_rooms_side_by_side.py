"""The rooms of one sync batch are handled side by side, each room's events in order;
after a crash, one room after the other (the first new event is the one to suspect);
a failure in one room ends the batch with that room's error and blames its event."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bots.framework import Bot, BotConfig
from coopnet.ids import RoomID
from coopnet.matrix import ReceivedEvent, RoomBatch, SyncBatch
from tests.unit.test_bot_held_events import Policy, _event


class Boom(Exception):
    pass


class RoomsBot(Bot):
    """Room !a's first event waits until room !b's event was handled."""

    def __init__(self, config: BotConfig, fail: str = "") -> None:
        super().__init__(config, Policy())
        self.b_handled = asyncio.Event()
        self.steps: list[str] = []
        self.fail = fail

    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        self.steps.append(f"start {event.event_id}")
        if event.event_id == self.fail:
            raise Boom(event.event_id)
        if event.event_id == "$a1":
            await asyncio.wait_for(self.b_handled.wait(), 5)
        await asyncio.sleep(0)
        if event.room_id == "!b":
            self.b_handled.set()
        self.steps.append(f"end {event.event_id}")


def _bot(tmp_path: Path, fail: str = "") -> RoomsBot:
    config = BotConfig(
        homeserver="http://127.0.0.1:1",
        user_id="@bot:x",
        store_dir=tmp_path / "store",
        state_db=tmp_path / "state.db",
        member_servers=frozenset({"x"}),
    )
    return RoomsBot(config, fail)


def _batch() -> SyncBatch:
    def room(name: str, *ids: str) -> RoomBatch:
        return RoomBatch(RoomID(name), [_event(name, i, decrypted=True) for i in ids], False, None)

    return SyncBatch("s1", [room("!a", "$a1", "$a2"), room("!b", "$b1")])


async def test_a_room_does_not_wait_behind_another_and_keeps_its_order(tmp_path: Path) -> None:
    bot = _bot(tmp_path)
    await bot._on_sync(_batch())  # noqa: SLF001 - the sync handler itself
    # $a1 could only end once $b1 ran, though !a comes first in the batch.
    assert bot.steps.index("end $b1") < bot.steps.index("end $a1")
    assert bot.steps.index("end $a1") < bot.steps.index("start $a2")
    assert bot.state.sync_token() == "s1"
    bot.state.close()


async def test_after_a_crash_the_rooms_go_one_after_the_other(tmp_path: Path) -> None:
    bot = _bot(tmp_path)
    bot._after_crash = True  # noqa: SLF001 - the run before ended without stopping
    with pytest.raises(TimeoutError):
        # $a1 waits for $b1, which in this mode comes only after !a's events: proof that
        # nothing of !b started while !a was handled.
        await bot._on_sync(_batch())  # noqa: SLF001
    assert "start $b1" not in bot.steps
    assert bot.state.sync_token() is None  # nothing handled is taken as done
    bot.state.close()


async def test_a_failing_room_ends_the_batch_with_its_error_and_blames_its_event(
    tmp_path: Path,
) -> None:
    bot = _bot(tmp_path, fail="$b1")
    with pytest.raises(Boom):
        await bot._on_sync(_batch())  # noqa: SLF001
    assert bot.handling is not None and bot.handling.event_id == "$b1"
    assert bot.state.sync_token() is None  # the batch is replayed after the restart
    bot.state.close()
