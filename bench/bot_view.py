"""The bot's work per structured event on a consultation's view: rebuilding it from the
record (what the bot did for every event and every tick) against updating the view it
keeps in memory with the one new entry.

Records a consultation of ``--entries`` entries (opening, then identity exchanges from
the other authority, the bot's receipts and plain messages, as in a busy consultation)
in a temporary record, then times, ``--repeat`` times each:

* rebuild: read the consultation's entries from the record and fold them all
  (``build_view``), as ``ConsultationBot.view`` did before views were kept in memory;
* update: fold one new entry into the view held in memory (``fold_entry``), what
  ``ViewCache.append`` adds to the append itself;
* cached view: ``ViewCache.view`` of a view already held (the lock and a dict lookup).

    .venv/bin/python bench/bot_view.py [--entries 1000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bots.consultation.bot import classify
from bots.consultation.view import build_view, fold_entry, recorded_content
from bots.consultation.view_cache import ViewCache
from coopnet.protocol import PAYLOAD_KEY
from coopnet.records import NewEntry
from coopnet.records.writer import AsyncRecordStore

OWN_BOT = "@bot:ch.example"
OFFICER = "@officer:mx.example"
ROOM = "!room:ch.example"
CASE_REF = "BENCH-1"


def authority_of(user_id: str) -> str | None:
    return {"ch.example": "ch", "mx.example": "mx"}.get(user_id.partition(":")[2])


def structured(type_: str, content: dict[str, Any]) -> dict[str, Any]:
    payload = {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


OPENED = structured(
    "opened",
    {
        "case_ref": CASE_REF,
        "kind": "extradition",
        "requesting_authority": "ch",
        "requested_authority": "mx",
        "legal_basis": {"basis": "untoc"},
    },
)
IDENTITY = structured(
    "identity",
    {
        "names": [{"family": "Doe", "given": "John"}],
        "date_of_birth": "1980-02-29",
        "nationalities": ["CH"],
    },
)


def receipt(event_id: str) -> dict[str, Any]:
    return structured(
        "receipt",
        {
            "event_id": event_id,
            "content_hash": "0" * 64,
            "receiver": OWN_BOT,
            "received_at": "2026-11-28T10:00:00+00:00",
        },
    )


def new_entry(sender: str, content: dict[str, Any], event_id: str) -> NewEntry:
    return NewEntry(
        case_ref=CASE_REF,
        room_id=ROOM,
        kind=classify(content),
        sender=sender,
        content=recorded_content("m.room.message", content),
        event_id=event_id,
    )


def consultation(count: int) -> list[NewEntry]:
    """Opening, then rounds of identity exchange + receipt + plain message."""
    news = [new_entry("@officer:ch.example", OPENED, "$opened")]
    i = 0
    while len(news) < count:
        event_id = f"$identity{i}"
        news.append(new_entry(OFFICER, IDENTITY, event_id))
        news.append(new_entry(OWN_BOT, receipt(event_id), f"$receipt{i}"))
        news.append(new_entry(OFFICER, {"msgtype": "m.text", "body": f"note {i}"}, f"$msg{i}"))
        i += 1
    return news[:count]


async def timed(fn: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return times


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{name:<46} median {median * 1e3:9.3f} ms   min {min(times) * 1e3:9.3f} ms")
    return median


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coopnet-bench-view-") as tmp:
        store = await AsyncRecordStore.open(Path(tmp) / "records.db", Ed25519PrivateKey.generate())
        try:
            await store.append_many(consultation(args.entries))
            cache = ViewCache(store, authority_of, OWN_BOT)
            held = await cache.view(CASE_REF, ROOM)
            one_more = await store.append(new_entry(OFFICER, IDENTITY, "$one-more"))

            async def rebuild() -> object:
                entries = [e for e in await store.entries(CASE_REF) if e.room_id == ROOM]
                return build_view(entries, authority_of, OWN_BOT)

            async def update() -> object:
                # The same entry each run: the view grows by one item a run, as it would.
                fold_entry(held, one_more, authority_of, OWN_BOT)
                return held

            async def cached() -> object:
                return await cache.view(CASE_REF, ROOM)

            n = args.repeat
            print(f"consultation of {args.entries} entries, {n} runs each:")
            await timed(rebuild, 5)  # warm-up (page cache, imports)
            slow = report("rebuild from the record (read + fold all)", await timed(rebuild, n))
            fast = report("update the view in memory (fold one entry)", await timed(update, n))
            report("view held in memory (ViewCache.view)", await timed(cached, n))
            print(f"rebuild / update: {slow / fast:,.0f}x")
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
