"""The bot framework handles a room's events in order when one waits for its room key."""

from __future__ import annotations

from pathlib import Path

from bots.framework import Bot, BotConfig
from coopnet.ids import EventID, RoomID, UserID
from coopnet.matrix import Decision, ReceivedEvent


class Policy:
    def decide(self, device):
        return Decision.TRUST


class FakeMatrix:
    """Decrypts an event once the test hands over its key; remembers key requests."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.awaited: list[str] = []

    def retry_decrypt(self, event: ReceivedEvent) -> ReceivedEvent | None:
        if event.event_id not in self.keys:
            return None
        return _event(event.room_id, event.event_id, decrypted=True)

    def await_room_key(self, event: ReceivedEvent) -> None:
        if not event.decrypted:
            self.awaited.append(event.event_id)


class RecordingBot(Bot):
    def __init__(self, config: BotConfig) -> None:
        super().__init__(config, Policy())
        self.handled: list[str] = []
        self.undecryptable: list[str] = []

    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        assert event.decrypted
        self.handled.append(event.event_id)

    async def handle_undecryptable(self, event: ReceivedEvent) -> None:
        self.undecryptable.append(event.event_id)


def _event(room: str, event_id: str, decrypted: bool) -> ReceivedEvent:
    source = {
        "type": "m.room.message" if decrypted else "m.room.encrypted",
        "event_id": event_id,
        "sender": "@a:x",
        "origin_server_ts": 1,
        "content": {"body": event_id} if decrypted else {"ciphertext": "..."},
    }
    return ReceivedEvent(
        RoomID(room),
        EventID(event_id),
        UserID("@a:x"),
        1,
        source["type"],
        dict(source["content"]) if decrypted else {},
        encrypted=True,
        decrypted=decrypted,
        source=source,
    )


def _bot(tmp_path: Path, wait: float = 120.0) -> tuple[RecordingBot, FakeMatrix]:
    config = BotConfig(
        homeserver="http://127.0.0.1:1",
        user_id="@bot:x",
        store_dir=tmp_path / "store",
        state_db=tmp_path / "state.db",
        member_servers=frozenset({"x"}),
        key_wait_seconds=wait,
    )
    bot = RecordingBot(config)
    matrix = FakeMatrix()
    bot.client = matrix  # type: ignore[assignment]
    bot._held_rooms = bot.state.held_rooms()
    return bot, matrix


async def test_later_events_of_a_room_wait_behind_one_without_its_key(tmp_path: Path):
    bot, matrix = _bot(tmp_path)
    await bot._dispatch(_event("!r", "$1", decrypted=False))
    await bot._dispatch(_event("!r", "$2", decrypted=True))
    await bot._dispatch(_event("!other", "$3", decrypted=True))
    await bot._retry_pending()
    assert bot.handled == ["$3"]  # another room is not held up
    assert "$1" in matrix.awaited

    matrix.keys.add("$1")
    await bot._retry_pending()
    assert bot.handled == ["$3", "$1", "$2"]
    assert await bot.state.pending() == []
    await bot._dispatch(_event("!r", "$4", decrypted=True))
    assert bot.handled[-1] == "$4"  # the room goes on directly again
    bot.state.close()


async def test_held_events_survive_a_restart(tmp_path: Path):
    bot, _ = _bot(tmp_path)
    await bot._dispatch(_event("!r", "$1", decrypted=False))
    await bot._dispatch(_event("!r", "$2", decrypted=True))
    bot.state.close()

    again, matrix = _bot(tmp_path)
    await again._dispatch(_event("!r", "$3", decrypted=True))  # still behind $1
    assert again.handled == []
    matrix.keys.add("$1")
    await again._retry_pending()
    assert again.handled == ["$1", "$2", "$3"]
    again.state.close()


async def test_an_event_whose_key_never_comes_is_reported_and_the_room_goes_on(tmp_path: Path):
    bot, _ = _bot(tmp_path, wait=-1.0)  # every wait is already too long
    await bot._dispatch(_event("!r", "$1", decrypted=False))
    await bot._dispatch(_event("!r", "$2", decrypted=True))
    await bot._retry_pending()
    assert bot.undecryptable == ["$1"]
    assert bot.handled == ["$2"]
    assert await bot.state.pending() == []
    bot.state.close()
