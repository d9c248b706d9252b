"""Benchmark of the terminal client's encrypted cache (coopnet.localcache).

What an officer waits for at start with a cache: deriving the key from the passphrase
(scrypt, product parameters N=2**17, r=8, p=1), then reading and decrypting every cached
event and turning it into timeline entries. Each figure is compared, in the same run,
with a baseline that does the same work on an *unencrypted* SQLite table of the same
JSON rows (what a cache without encryption would cost), so the ratio is the price of
encryption at rest. Writes: events sealed and committed through the cache's one thread
(batched). Search (what runs per keystroke in the client's search screen) over every
cached entry, against a bare substring scan of the same message bodies.

Run:  .venv/bin/python bench/cache.py [--rooms 500] [--events 20] [--big 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coopnet.localcache import BackgroundCache, EncryptedCache, KdfParams  # noqa: E402
from coopnet.protocol import encode  # noqa: E402
from tui.model import entry_from  # noqa: E402
from tui.seed import CN, consultation_entries  # noqa: E402

PASSPHRASE = "a benchmark passphrase"
Row = tuple[str, str, dict[str, Any]]


def rows(rooms: int, events: int, big: int) -> list[Row]:
    """Cached events as the client stores them: sender, time, type, message content."""
    out: list[Row] = []
    for n in range(1, rooms + 1):
        room = f"!room{n}:127.0.0.11"
        count = big if n == 1 else events
        for entry in consultation_entries(n, "cn", CN, count):
            content = (
                encode(entry.event)
                if entry.event is not None
                else {"msgtype": "m.text", "body": entry.body}
            )
            out.append(
                (
                    room,
                    entry.event_id,
                    {
                        "sender": entry.sender,
                        "ts": entry.ts,
                        "type": "m.room.message",
                        "content": content,
                    },
                )
            )
    return out


def to_entries(loaded: list[Row]) -> int:
    return sum(
        1
        for _, event_id, r in loaded
        if entry_from(event_id, r["sender"], r["ts"], r["type"], r["content"])
    )


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def search_times(data: list[Row], repeat: int) -> tuple[list[float], list[float]]:
    """The client's search over the loaded consultations, and a bare scan of bodies."""
    from tui.seed import seeded_service
    from tui.service import Service

    service: Service = seeded_service(rooms=0, invite=False)
    for room, event_id, r in data:
        service.room(room, room).add(
            entry_from(event_id, r["sender"], r["ts"], r["type"], r["content"]), own=True
        )
    service.consultations()  # sorted once: the first search of a session pays for it
    bodies = [str(r["content"].get("body", "")).casefold() for *_, r in data]
    queries = ["provisional", "passport", "zz-not-there"]
    ours, bare = [], []
    for _ in range(repeat):
        for query in queries:
            ours.append(timed(lambda q=query: service.search(q))[0])
            bare.append(timed(lambda q=query: [b for b in bodies if q in b])[0])
    return ours, bare


def plain_db(path: Path, data: list[Row]) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (room_id TEXT, event_id TEXT, body TEXT, "
            "PRIMARY KEY (room_id, event_id))"
        )
        db.executemany(
            "INSERT INTO events VALUES (?, ?, ?)",
            [(r, e, json.dumps(record)) for r, e, record in data],
        )


def plain_load(path: Path) -> list[Row]:
    with sqlite3.connect(path) as db:
        return [
            (r, e, json.loads(body))
            for r, e, body in db.execute("SELECT room_id, event_id, body FROM events")
        ]


async def sealed_writes(path: Path, data: list[Row]) -> float:
    cache = await BackgroundCache.open(
        path, PASSPHRASE, create=True, params=KdfParams.fresh(n=2**10)
    )
    start = time.perf_counter()
    for room, event_id, record in data:
        cache.put_event(room, event_id, record)
    await cache.flush()
    elapsed = time.perf_counter() - start
    await cache.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--events", type=int, default=20, help="events per consultation")
    parser.add_argument("--big", type=int, default=10_000, help="events of one big one")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(
        f"seeding {args.rooms} consultations × {args.events} events + one of {args.big}…",
        flush=True,
    )
    data = rows(args.rooms, args.events, args.big)
    print(
        f"{len(data)} events, {sum(len(json.dumps(r)) for *_, r in data) / 1e6:.1f} MB of JSON",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        sealed, plain = Path(tmp) / "cache.db", Path(tmp) / "plain.db"
        writes = [asyncio.run(sealed_writes(sealed, data))]
        plain_db(plain, data)
        EncryptedCache.discard(sealed)
        cache = EncryptedCache.create(sealed, PASSPHRASE)  # product scrypt parameters
        cache.write([], data)
        cache.close()

        unlock, load, plain_read = [], [], []
        for _ in range(args.repeat):
            seconds, opened = timed(lambda: EncryptedCache.unlock(sealed, PASSPHRASE))
            unlock.append(seconds)
            load.append(timed(lambda c=opened: to_entries(list(c.events())))[0])
            opened.close()
            plain_read.append(timed(lambda: to_entries(plain_load(plain)))[0])
            EncryptedCache.discard(Path(tmp) / "again.db")
            writes.append(asyncio.run(sealed_writes(Path(tmp) / "again.db", data)))

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms"

    search, bare = search_times(data, args.repeat)
    n = len(data)
    print(f"unlock (scrypt N=2**17, r=8, p=1):        {ms(unlock)}")
    print(
        f"read+decrypt+entries, {n} events:     {ms(load)}  "
        f"(unencrypted baseline {ms(plain_read)}, "
        f"ratio {statistics.median(load) / statistics.median(plain_read):.2f})"
    )
    print(
        f"sealed writes through the cache thread:   {n / statistics.median(writes):,.0f} events/s"
    )
    print(
        f"search, {n} entries, per query:       {ms(search)}  (bare scan of bodies "
        f"{ms(bare)}, ratio {statistics.median(search) / statistics.median(bare):.2f})"
    )


if __name__ == "__main__":
    main()
