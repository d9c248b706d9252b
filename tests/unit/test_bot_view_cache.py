"""The bot's in-memory consultation views never drift from a rebuild from the record.

A view kept up to date entry by entry (:class:`ViewCache`) must equal
:func:`build_view` over the record's entries of the consultation, whatever the bot
appends (structured events, receipts, reminders, rejections, plain messages, events
recorded again with the same event id), in whatever order views are asked for, across
restarts and when an append's caller is cancelled.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.consultation.bot import classify
from bots.consultation.view import (
    BOT_MARKER,
    ConsultationView,
    build_view,
    fold_entry,
    new_view,
    recorded_content,
)
from bots.consultation.view_cache import ViewCache
from coopnet.protocol import PAYLOAD_KEY
from coopnet.records import Entry, NewEntry
from coopnet.records.writer import AsyncRecordStore

OWN_BOT = "@bot:ch.example"
USERS = [
    OWN_BOT,
    "@officer:ch.example",
    "@officer:mx.example",
    "@bot:mx.example",
    "@stranger:elsewhere.example",
]
ROOMS = ["!a:ch.example", "!b:ch.example"]
CASE_REFS = ["CASE-1", "CASE-2"]
EVENT_IDS = [f"$e{i}" for i in range(4)]  # few: the same event recorded again is common
AUTHORITIES = {"ch.example": "ch", "mx.example": "mx"}


class Parties:
    def authority_of(self, user_id: str) -> str | None:
        return AUTHORITIES.get(user_id.partition(":")[2])

    def is_authority(self, authority_id: str) -> bool:
        return authority_id in AUTHORITIES.values()


PARTIES = Parties()


def structured(type_: str, content: dict[str, Any]) -> dict[str, Any]:
    payload = {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


def assurance(status: str, assurance_id: str = "a1") -> dict[str, Any]:
    return structured(
        "assurance",
        {
            "assurance_id": assurance_id,
            "assurance_type": "death_penalty",
            "giver": "ch",
            "receiver": "mx",
            "text": "The death penalty will not be imposed or carried out.",
            "assurance_status": status,
        },
    )


# What the bot records, as the content of a timeline event.
CONTENTS: dict[str, dict[str, Any]] = {
    "opened": structured(
        "opened",
        {
            "case_ref": "CASE-1",
            "kind": "extradition",
            "requesting_authority": "ch",
            "requested_authority": "mx",
            "legal_basis": {"basis": "untoc"},
        },
    ),
    "identity": structured(
        "identity", {"names": [{"family": "Doe", "given": "John"}], "date_of_birth": "1980-02-29"}
    ),
    "stage": structured(
        "stage",
        {
            "from_stage": "pre_request_consultation",
            "to_stage": "provisional_arrest_requested",
            "date": "2026-11-20",
        },
    ),
    "assurance requested": assurance("requested"),
    "assurance offered": assurance("offered"),
    "assurance accepted": assurance("accepted"),
    "assurance monitored": assurance("monitored"),
    "monitoring": structured(
        "assurance.monitoring",
        {"assurance_id": "a1", "date": "2026-11-21", "method": "visit", "finding": "complied"},
    ),
    "receipt": structured(
        "receipt",
        {
            "event_id": "$e1",
            "content_hash": "0" * 64,
            "receiver": OWN_BOT,
            "received_at": "2026-11-21T10:00:00+00:00",
        },
    ),
    "reminder": {
        "msgtype": "m.notice",
        "body": "due",
        BOT_MARKER: {"kind": "reminder", "key": "k1"},
    },
    "plain": {"msgtype": "m.text", "body": "hello"},
    "malformed": {"msgtype": "m.text", "body": "x", PAYLOAD_KEY: {"type": "nope"}},
    "not json": {"msgtype": "m.text", "body": float("nan"), PAYLOAD_KEY: {"x": float("inf")}},
}


@dataclass(frozen=True)
class Append:
    room: str
    case_ref: str
    sender: str
    content: str
    event_id: str | None
    rejected: bool  # a valid event refused by the bot is recorded as a rejection
    day: int


@dataclass(frozen=True)
class View:
    room: str
    case_ref: str


@dataclass(frozen=True)
class Restart:
    pass


# Weighted towards one consultation, so that its view is often held when entries come.
rooms = st.sampled_from([ROOMS[0]] * 3 + ROOMS[1:])
case_refs = st.sampled_from([CASE_REFS[0]] * 3 + CASE_REFS[1:])
appends = st.builds(
    Append,
    rooms,
    case_refs,
    st.sampled_from(USERS),
    st.sampled_from(sorted(CONTENTS)),
    st.none() | st.sampled_from(EVENT_IDS),
    st.sampled_from([False] * 4 + [True]),
    st.integers(0, 3),
)
views = st.builds(View, rooms, case_refs)
# Restarts rarer than views: a view must often be held across several appends.
operations = st.lists(
    st.one_of(appends, appends, appends, appends, views, views, views, st.just(Restart())),
    min_size=20,  # long enough for a held view to see entries recorded again
    max_size=60,
)


def new_entry(op: Append) -> NewEntry:
    content = CONTENTS[op.content]
    return NewEntry(
        case_ref=op.case_ref,
        room_id=op.room,
        kind="rejection" if op.rejected else classify(content),
        sender=op.sender,
        content=recorded_content("m.room.message", content),
        event_id=op.event_id,
        origin_ts=1_795_000_000_000 + op.day * 86_400_000,
    )


def rebuilt(entries: list[Entry], case_ref: str, room: str) -> ConsultationView:
    """What a rebuild from the record gives."""
    of_room = [e for e in entries if e.case_ref == case_ref and e.room_id == room]
    return build_view(OWN_BOT, of_room, PARTIES)


async def open_store(path: Path, key: Ed25519PrivateKey) -> AsyncRecordStore:
    # synchronous=OFF: the test checks views, not durability, and runs many examples.
    return await AsyncRecordStore.open(path, key, synchronous="OFF")


async def run_operations(ops: list[Append | View | Restart], path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    store = await open_store(path, key)
    cache = ViewCache(OWN_BOT, store, PARTIES)
    try:
        for op in ops:
            if isinstance(op, Restart):  # a new bot on the same record
                await store.close()
                store = await open_store(path, key)
                cache = ViewCache(OWN_BOT, store, PARTIES)
            elif isinstance(op, Append):
                if op.content == "monitoring" and not op.rejected:
                    view = rebuilt(await store.entries(), op.case_ref, op.room)
                    op = replace(op, rejected="a1" not in view.consultation.assurances())
                await cache.append(new_entry(op))
            else:
                entries = await store.entries()
                expected = rebuilt(entries, op.case_ref, op.room)
                assert await cache.view(op.case_ref, op.room) == expected, op
        entries = await store.entries()
        for room in ROOMS:
            for case_ref in CASE_REFS:
                expected = rebuilt(entries, case_ref, room)
                assert await cache.view(case_ref, room) == expected, (room, case_ref)
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_views_kept_in_memory_equal_a_rebuild_from_the_record(
    ops: list[Append | View | Restart],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run_operations(ops, Path(tmp) / "records.db"))


@settings(max_examples=100, deadline=None)
@given(st.lists(appends, max_size=30))
def test_folding_entries_one_by_one_equals_build_view(ops: list[Append]) -> None:
    """The pure fold, without the record: entries made up with increasing positions."""
    ops = [
        # Monitoring of an assurance not in the view is refused (recorded as a rejection).
        replace(op, rejected=True)
        if op.content == "monitoring"
        and not any(o.content.startswith("assurance") and not o.rejected for o in ops[:i])
        else op
        for i, op in enumerate(ops)
    ]
    entries = [
        Entry(
            seq,
            op.case_ref,
            op.room,
            op.event_id,
            new.kind,
            op.sender,
            new.origin_ts or 0,
            0,
            new.content_json(),
            "",
            "",
            "",
            "",
        )
        for seq, (op, new) in enumerate(((op, new_entry(op)) for op in ops), 1)
    ]
    view = new_view(OWN_BOT, PARTIES)
    for entry in entries:
        fold_entry(view, entry)
    assert view == build_view(OWN_BOT, entries, PARTIES)


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.01)


def append_op(content: str, event_id: str | None, sender: str = "@officer:mx.example") -> Append:
    return Append(ROOMS[0], CASE_REFS[0], sender, content, event_id, False, 0)


async def test_an_event_recorded_again_is_not_folded_twice(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "records.db", Ed25519PrivateKey.generate())
    try:
        cache = ViewCache(OWN_BOT, store, PARTIES)
        await cache.append(new_entry(append_op("opened", "$e0", "@officer:ch.example")))
        view = await cache.view(CASE_REFS[0], ROOMS[0])
        for _ in range(2):  # a replay after a crash records the same event id again
            await cache.append(new_entry(append_op("identity", "$e1")))
        assert [s.event_id for s in view.consultation.accepted()] == ["$e0", "$e1"]
        uncertified = view.consultation.uncertified(OWN_BOT, "ch")
        assert [m.event_id for m in uncertified] == ["$e1"]
        assert view == rebuilt(await store.entries(), CASE_REFS[0], ROOMS[0])
    finally:
        await store.close()


async def test_a_cancelled_append_still_written_is_in_the_view(tmp_path: Path) -> None:
    """A caller cancelled while its write is queued: the write happens (the record's
    promise), so the view must show it even though the caller never saw the entry."""
    store = await open_store(tmp_path / "records.db", Ed25519PrivateKey.generate())
    try:
        cache = ViewCache(OWN_BOT, store, PARTIES)
        await cache.append(new_entry(append_op("opened", "$e0", "@officer:ch.example")))
        before = await cache.view(CASE_REFS[0], ROOMS[0])
        assert [s.event_id for s in before.consultation.accepted()] == ["$e0"]
        holding, release = threading.Event(), threading.Event()

        def hold(_: object) -> bool:
            holding.set()
            return release.wait(30)

        # Hold the writer thread so that the append below waits in its queue.
        held = asyncio.ensure_future(store.execute_write_fn(hold))
        assert await asyncio.to_thread(holding.wait, 30), "the writer to run the holding job"
        append = asyncio.create_task(cache.append(new_entry(append_op("identity", "$e1"))))
        await wait_until(lambda: store._queue.qsize() == 1, "the append to be queued")
        append.cancel()
        with pytest.raises(asyncio.CancelledError):
            await append
        # The view asked for while the write is still queued: the view must wait for it.
        viewing = asyncio.create_task(cache.view(CASE_REFS[0], ROOMS[0]))
        await wait_until(
            lambda: viewing.done() or store._queue.qsize() == 2,
            "the view to be read (or to wait for the writer)",
        )
        release.set()
        assert await held
        view = await viewing
        assert [s.event_id for s in view.consultation.accepted()] == ["$e0", "$e1"]
        assert view == rebuilt(await store.entries(), CASE_REFS[0], ROOMS[0])
    finally:
        await store.close()
