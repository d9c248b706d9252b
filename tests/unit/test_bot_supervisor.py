"""The bot supervisor: a bot that fails is started again with backoff, and the event it
was handling is remembered and skipped (handed to ``handle_failing``) when it comes again."""

from __future__ import annotations

from pathlib import Path

from bots.framework import Bot, BotConfig
from bots.framework.state import BotState
from bots.framework.supervisor import Backoff, supervise
from coopnet.ids import EventID, RoomID, UserID
from coopnet.matrix import EnrolledDevices, ReceivedEvent

EVENT = ReceivedEvent(
    room_id=RoomID("!r:127.0.0.11"),
    event_id=EventID("$poison"),
    sender=UserID("@officer1:127.0.0.12"),
    origin_server_ts=1,
    type="m.room.message",
    content={"msgtype": "m.text", "body": "x"},
    encrypted=True,
    decrypted=True,
    source={},
)


def config(tmp_path: Path) -> BotConfig:
    return BotConfig(
        homeserver="http://127.0.0.11:8008",
        user_id="@bot:127.0.0.11",
        store_dir=tmp_path / "store",
        state_db=tmp_path / "state.db",
        member_servers=frozenset({"127.0.0.11"}),
    )


class Recording(Bot):
    def __init__(self, cfg: BotConfig, runs: list[str]) -> None:
        super().__init__(cfg, EnrolledDevices({}))
        self.runs = runs
        self.handled: list[str] = []
        self.failing: list[tuple[str, str]] = []

    async def run(self, ready_file: Path | None = None) -> None:
        self.runs.append("run")
        self.state.close()
        if len(self.runs) == 1:
            self.handling = EVENT
            raise RecursionError("maximum recursion depth exceeded")

    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        self.handled.append(event.event_id)

    async def handle_failing(self, event: ReceivedEvent, failure: str) -> None:
        self.failing.append((event.event_id, failure))


async def test_a_failed_bot_is_restarted_and_its_event_remembered(tmp_path: Path) -> None:
    runs: list[str] = []
    await supervise(lambda: Recording(config(tmp_path), runs), backoff=Backoff(first=0.01))
    assert runs == ["run", "run"]
    state = BotState(config(tmp_path).state_db)
    try:
        assert state.failing() == {"$poison": "RecursionError: maximum recursion depth exceeded"}
    finally:
        state.close()


async def test_the_remembered_event_is_skipped_when_it_comes_again(tmp_path: Path) -> None:
    state = BotState(config(tmp_path).state_db)
    state.mark_failing(EVENT.event_id, EVENT.room_id, "RecursionError: deep")
    state.close()
    bot = Recording(config(tmp_path), ["already ran"])
    bot.state = BotState(config(tmp_path).state_db)
    bot._failing = bot.state.failing()  # noqa: SLF001 - what start() loads
    other = ReceivedEvent(**{**EVENT.__dict__, "event_id": EventID("$next")})
    try:
        await bot._handle(EVENT)  # noqa: SLF001
        await bot._handle(other)  # noqa: SLF001
    finally:
        bot.state.close()
    assert bot.failing == [("$poison", "RecursionError: deep")]
    assert bot.handled == ["$next"]


def test_backoff_doubles_up_to_its_longest() -> None:
    backoff = Backoff(first=1, longest=8)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


class Died(BaseException):
    """The process ending in the middle of handling (kill -9, out of memory)."""


class Dying(Recording):
    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        self.handled.append(event.event_id)
        raise Died


async def test_an_event_two_runs_ended_on_is_skipped(tmp_path: Path) -> None:
    """A run ended (kill -9, a crash) while handling an event, and the next one too: the
    third run skips it. One such end alone is no verdict on the event."""
    for run in range(3):
        bot = Dying(config(tmp_path), ["already ran"])
        bot._failing = bot.state.failing()  # noqa: SLF001 - what start() loads
        bot._after_crash = bot.state.mark_started()  # noqa: SLF001
        try:
            await bot._handle(EVENT)  # noqa: SLF001
        except Died:
            pass
        bot.state.close()  # no stop(): the process is gone
        if run < 2:
            assert bot.handled == ["$poison"] and not bot.failing
        else:
            assert not bot.handled
            assert bot.failing == [
                ("$poison", "the bot's process ended while it handled this event")
            ]


async def test_a_clean_stop_leaves_nothing_suspect(tmp_path: Path) -> None:
    state = BotState(config(tmp_path).state_db)
    assert state.mark_started() is False
    state.mark_stopped()
    assert state.mark_started() is False
    assert state.mark_started() is True  # the run before did not stop
    state.close()
