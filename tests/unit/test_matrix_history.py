"""Gap filling pages back through a room's history until it meets what it holds."""

from __future__ import annotations

from collections.abc import Collection

from coopnet.ids import EventID, RoomID, UserID
from coopnet.matrix import ReceivedEvent
from coopnet.matrix.history import HistoryPage, unheld_events, whole_history
from coopnet.records.audit import compare


def _event(event_id: str) -> ReceivedEvent:
    return ReceivedEvent(
        RoomID("!r"),
        EventID(event_id),
        UserID("@a:x"),
        1,
        "m.room.message",
        {"body": event_id},
        encrypted=False,
        decrypted=True,
        source={},
    )


class Room:
    """A room's timeline (oldest first) served backwards in pages, as ``/messages`` does."""

    def __init__(self, event_ids: list[str]) -> None:
        self.events = [_event(e) for e in event_ids]
        self.requests: list[tuple[str | None, int]] = []

    async def fetch(self, start: str | None, limit: int) -> HistoryPage:
        self.requests.append((start, limit))
        end = len(self.events) if start is None else int(start)
        begin = max(0, end - limit)
        page = list(reversed(self.events[begin:end]))
        return HistoryPage(page, str(begin) if begin > 0 else None)


def holding(held: set[str]):
    async def known(event_ids: Collection[str]) -> set[str]:
        return held & set(event_ids)

    return known


async def test_events_backfilled_between_held_ones_are_found_oldest_first():
    ids = [f"${i}" for i in range(300)]
    room = Room(ids)
    held = set(ids) - {"$270", "$271", "$285"}
    missing = (await unheld_events(room.fetch, holding(held), settle=20)).missing
    assert [e.event_id for e in missing] == ["$270", "$271", "$285"]
    # It stopped after 20 held events in a row behind the oldest gap, not at the room's start.
    assert room.requests == [(None, 21), ("279", 100)]


async def test_a_check_before_a_sync_batch_costs_one_request_when_nothing_is_missing():
    ids = [f"${i}" for i in range(50)]
    room = Room(ids)
    fill = await unheld_events(room.fetch, holding(set(ids)), start="40", settle=10)
    assert fill.missing == [] and fill.newest == "$39"
    assert room.requests == [("40", 11)]


async def test_a_known_event_after_unseen_ones_does_not_end_the_search():
    # The bot recorded its own reply ($9) when it sent it; $5..$8 came by backfill.
    ids = [f"${i}" for i in range(10)]
    room = Room(ids)
    held = {"$0", "$1", "$2", "$3", "$4", "$9"}
    missing = (await unheld_events(room.fetch, holding(held), settle=3)).missing
    assert [e.event_id for e in missing] == ["$5", "$6", "$7", "$8"]


async def test_an_empty_record_gets_the_whole_room():
    ids = [f"${i}" for i in range(250)]
    missing = (await unheld_events(Room(ids).fetch, holding(set()), settle=10)).missing
    assert [e.event_id for e in missing] == ids


async def test_whole_history_pages_back_to_the_start_of_the_room():
    ids = [f"${i}" for i in range(345)]
    assert [e.event_id for e in await whole_history(Room(ids).fetch)] == ids


def test_the_audit_names_missing_extra_and_doubled_events():
    report = compare("!r", ["$1", "$2", "$3"], ["$1", "$3", "$3", "$9", None])
    assert report.missing == ("$2",)
    assert report.extra == ("$9",)
    assert report.doubled == ("$3",)
    assert not report.ok
    assert "1 missing, 1 extra, 1 doubled" in str(report)
    assert compare("!r", ["$1", "$2"], ["$2", "$1"]).ok


async def test_a_check_reads_back_past_where_an_earlier_one_started():
    # $100..$129 were backfilled behind 250 held events after the check that started at $380.
    ids = [f"${i}" for i in range(400)]
    room = Room(ids)
    held = set(ids) - {f"${i}" for i in range(100, 130)}
    assert (await unheld_events(room.fetch, holding(held), settle=200)).missing == []
    fill = await unheld_events(room.fetch, holding(held), settle=20, back_to=["$90"])
    assert [e.event_id for e in fill.missing] == [f"${i}" for i in range(100, 130)]
    assert fill.newest == "$399"


class CountingPage(HistoryPage):
    """A page that records which events were decoded (decrypted) from it."""

    decoded: list[str] = []

    async def read(self, event_ids: Collection[str]) -> list[ReceivedEvent]:
        events = await super().read(event_ids)
        CountingPage.decoded.extend(e.event_id for e in events)
        return events


async def test_a_check_decodes_only_the_events_it_does_not_hold():
    ids = [f"${i}" for i in range(300)]
    room = Room(ids)

    async def fetch(start: str | None, limit: int) -> HistoryPage:
        page = await room.fetch(start, limit)
        return CountingPage(page.events, page.end)

    CountingPage.decoded = []
    held = set(ids) - {"$270", "$285"}
    fill = await unheld_events(fetch, holding(held), settle=20)
    assert [e.event_id for e in fill.missing] == ["$270", "$285"]
    # The 100+ held events read on the way were never decrypted again.
    assert sorted(CountingPage.decoded) == ["$270", "$285"]
    CountingPage.decoded = []
    assert (await unheld_events(fetch, holding(set(ids)), settle=10)).missing == []
    assert CountingPage.decoded == []
