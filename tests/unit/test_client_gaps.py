"""The terminal client fills a gap in a room's timeline from the room's history."""

from __future__ import annotations

from pathlib import Path

from coopnet.ids import EventID, RoomID, UserID
from coopnet.matrix import ReceivedEvent, RoomBatch, SyncBatch
from coopnet.matrix.history import HistoryPage, unheld_events
from tui.matrix_service import MatrixService
from tui.seed import demo_directory

ROOM = "!r:127.0.0.11"


def _message(i: int, event_type: str = "m.room.message") -> ReceivedEvent:
    content = {"msgtype": "m.text", "body": f"message {i}"}
    return ReceivedEvent(
        RoomID(ROOM),
        EventID(f"${i}"),
        UserID("@officer1:127.0.0.12"),
        1_700_000_000_000 + i,
        event_type,
        content,
        encrypted=True,
        decrypted=True,
        source={"content": content},
    )


class HistoryClient:
    """The parts of CoopNetClient the gap filling uses, over a fixed room history."""

    def __init__(self, history: list[ReceivedEvent]) -> None:
        self.history = history

    async def _page(self, start: str | None, limit: int) -> HistoryPage:
        end = len(self.history) if start is None else int(start)
        begin = max(0, end - limit)
        return HistoryPage(list(reversed(self.history[begin:end])), str(begin) if begin else None)

    async def unheld_events(self, room_id, known, start=None, settle=200, back_to=()):
        return await unheld_events(self._page, known, start, settle, back_to)

    def room(self, room_id: str) -> None:
        return None

    def invitations(self) -> dict:
        return {}


async def test_events_missing_before_a_sync_batch_are_added_once(tmp_path: Path) -> None:
    history = [_message(i) for i in range(10)]
    history[2] = _message(2, "org.example.other")  # never shown: not taken for a gap
    service = MatrixService(
        "http://127.0.0.1:9", "@officer1:127.0.0.11", tmp_path, None, demo_directory()
    )  # type: ignore[arg-type]
    service.client = HistoryClient(history)  # type: ignore[assignment]
    service._loaded.add(ROOM)
    for event in history[:5] + history[9:]:  # $5..$8 came by federation backfill
        await service._on_event(event)
    await service._on_sync(SyncBatch("s1", [RoomBatch(RoomID(ROOM), [history[9]], False, "9")]))
    shown = [entry.event_id for entry in service.rooms[ROOM].entries]
    assert shown == ["$0", "$1", "$3", "$4", "$5", "$6", "$7", "$8", "$9"]
    assert await service.fill_gap(ROOM, None) == 0  # nothing doubled
