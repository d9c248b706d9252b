"""Benchmark of the consultation record (coopnet.records).

Measures, in one run and against a plain-SQLite baseline on the same machine:

* append throughput with hash chain + Ed25519 signature (target >= 2,000 entries/s):
  batched ``append_many``, one transaction per entry, and the bot's path (many
  coroutines through the async writer thread, group commit);
* verification time of 100,000 entries (target <= 2 s), broken down into reading,
  hash chain, signatures digest and per-entry signatures (1 thread vs the thread
  pool), then end to end in the three modes of ``coopnet records verify`` (default,
  --quick, --full), each compared with the plain read of the same rows;
* offline verification of one consultation's export (2,000 of those entries), which
  checks every entry's signature, its consultation link and the consultation head.

Run:  .venv/bin/python bench/records.py [--verify-entries 100000] [--append-entries 20000]
      .venv/bin/python bench/records.py --append-entries 0   # verification only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import key_id
from coopnet.records import NewEntry, reader, verify_export
from coopnet.records.database import export_case
from coopnet.records.entry import COLUMNS
from coopnet.records.export_verify import COMPLETE
from coopnet.records.head import signatures_digest
from coopnet.records.store import RecordStore
from coopnet.records.verify import (
    FULL,
    QUICK,
    _chain_pass,
    _parallel_first_bad,
    normalise_keys,
    verify_db,
)
from coopnet.records.writer import AsyncRecordStore


def sample(i: int) -> NewEntry:
    return NewEntry(
        case_ref=f"CN-2026-{i % 50:04d}",
        room_id="!consultationroom:127.0.0.11",
        kind=("message", "event", "receipt")[i % 3],
        sender="@officer1:127.0.0.11",
        content={
            "msgtype": "m.text",
            "body": f"Consultation message {i}: the requested State confirms the identity "
            "documents and asks for the warrant reference.",
            "coopnet.stage": "provisional_arrest_executed",
        },
        event_id=f"$bench{i:08d}:127.0.0.11",
        origin_ts=1_760_000_000_000 + i,
    )


def baseline_insert(path: Path, news: list[NewEntry], batch: int, synchronous: str) -> float:
    """Plain SQLite: same table shape, same batching, no hash, no chain, no signature."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, case_ref TEXT, room_id TEXT, "
        "event_id TEXT UNIQUE, kind TEXT, sender TEXT, origin_ts INTEGER, recorded_at INTEGER, "
        "content TEXT, prev_hash TEXT, entry_hash TEXT, signature TEXT, key_id TEXT, "
        "case_prev_hash TEXT)"
    )
    sql = f"INSERT INTO entries VALUES ({', '.join('?' * len(COLUMNS))})"
    start = time.perf_counter()
    for lo in range(0, len(news), batch):
        conn.execute("BEGIN IMMEDIATE")
        for n in news[lo : lo + batch]:
            conn.execute(
                sql,
                (
                    None,
                    n.case_ref,
                    n.room_id,
                    n.event_id,
                    n.kind,
                    n.sender,
                    n.origin_ts,
                    n.origin_ts,
                    n.content_json(),
                    "",
                    "",
                    "",
                    "",
                    "",
                ),
            )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def chained_insert(path: Path, key, news: list[NewEntry], batch: int, synchronous: str) -> float:
    with RecordStore(path, key, synchronous=synchronous) as store:
        start = time.perf_counter()
        for lo in range(0, len(news), batch):
            store.append_many(news[lo : lo + batch])
        return time.perf_counter() - start


async def async_insert(path: Path, key, news: list[NewEntry], coroutines: int) -> float:
    async with AsyncRecordStore(path, key) as store:
        queue = list(reversed(news))

        async def worker() -> None:
            while queue:
                await store.append(queue.pop())

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(coroutines)))
        return time.perf_counter() - start


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:10,.0f} entries/s"


def bench_append(tmp: Path, count: int) -> None:
    key = Ed25519PrivateKey.generate()
    news = [sample(i) for i in range(count)]
    print(f"\n== append throughput ({count:,} entries; WAL; target >= 2,000 entries/s) ==")
    for batch, sync in ((500, "FULL"), (1, "FULL"), (1, "NORMAL")):
        n = count if batch > 1 else min(count, 2000)
        base = baseline_insert(tmp / f"base-{batch}-{sync}.db", news[:n], batch, sync)
        chained = chained_insert(tmp / f"chain-{batch}-{sync}.db", key, news[:n], batch, sync)
        print(
            f"batch {batch:>3}, synchronous={sync:<6}: chain+signature {rate(n, chained)}   "
            f"plain sqlite {rate(n, base)}   ratio {chained / base:5.2f}x slower"
        )
    n = min(count, 10_000)
    for coroutines in (1, 100):
        db = tmp / f"async-{coroutines}.db"
        elapsed = asyncio.run(async_insert(db, key, news[:n], coroutines))
        print(
            f"async writer thread, {coroutines:>3} coroutines appending one at a time "
            f"(synchronous=FULL, group commit): {rate(n, elapsed)}"
        )
    t0 = time.perf_counter()
    for i in range(2000):
        key.sign(i.to_bytes(32, "big"))
    sign_us = (time.perf_counter() - t0) / 2000 * 1e6
    print(f"Ed25519 sign alone: {sign_us:.1f} us/entry (= {1e6 / sign_us:,.0f}/s ceiling)")


def bench_verify(tmp: Path, count: int) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp / "verify.db"
    print(f"\n== verification of {count:,} entries (target <= 2 s) ==")
    t0 = time.perf_counter()
    with RecordStore(path, key, synchronous="OFF") as store:
        for lo in range(0, count, 5000):
            store.append_many([sample(i) for i in range(lo, min(lo + 5000, count))])
    print(f"(built the record in {time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    conn = reader.open_readonly(path)
    rows = reader.read_rows(conn)
    conn.close()
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert _chain_pass(rows) is None
    chain_s = time.perf_counter() - t0
    keys = normalise_keys(key.public_key())
    t0 = time.perf_counter()
    assert _parallel_first_bad(rows, len(rows), keys, 1) is None
    sig1_s = time.perf_counter() - t0
    workers = min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    assert _parallel_first_bad(rows, len(rows), keys, workers) is None
    sig2_s = time.perf_counter() - t0
    nacl_s = _pynacl_signature_time(rows, key)
    t0 = time.perf_counter()
    full = verify_db(path, key.public_key(), signatures=True)
    full_s = time.perf_counter() - t0
    assert full.ok and full.mode == FULL, full
    t0 = time.perf_counter()
    default = verify_db(path, key.public_key())
    default_s = time.perf_counter() - t0
    assert default.ok and default.mode == QUICK and default.head_covers_signatures, default
    t0 = time.perf_counter()
    quick = verify_db(path, key.public_key(), signatures=False)
    quick_s = time.perf_counter() - t0
    assert quick.ok, quick
    t0 = time.perf_counter()
    conn = reader.open_readonly(path)
    assert signatures_digest(r[0] for r in conn.execute("SELECT signature FROM entries"))
    conn.close()
    digest_s = time.perf_counter() - t0

    def verdict(seconds: float) -> str:
        met = "meets" if seconds <= 2.0 else "MISSES"
        return f"{seconds:7.2f} s -> {met} the 2 s target; {seconds / read_s:5.1f}x the plain read"

    print(f"baseline: read all rows (plain SELECT)     {read_s:7.2f} s")
    print(f"hash chain (recompute SHA-256 + links)      {chain_s:7.2f} s")
    print(f"signatures digest (read + fold, head v2)    {digest_s:7.2f} s")
    print(
        f"signatures, 1 thread                        {sig1_s:7.2f} s "
        f"({sig1_s / count * 1e6:.0f} us each)"
    )
    print(f"signatures, {workers} threads                       {sig2_s:7.2f} s")
    if nacl_s is not None:
        print(f"(for comparison, not used: libsodium via PyNaCl, 1 thread {nacl_s:7.2f} s)")
    print("verify_db, end to end (one consistent snapshot read + checks):")
    print(
        f"  default (`coopnet records verify`: quick; per-entry pass only on a problem) "
        f"{verdict(default_s)}"
    )
    print(
        f"  --quick (hashes + links + signed head incl. signatures digest)             "
        f"{verdict(quick_s)}"
    )
    print(
        f"  --full  (quick + every entry signature in {workers} threads)                   "
        f"{verdict(full_s)}"
    )
    text = export_case(path, "CN-2026-0007")
    t0 = time.perf_counter()
    report = verify_export(text, {key_id(key): key.public_key()})
    export_s = time.perf_counter() - t0
    assert report.ok and report.completeness == COMPLETE, report
    print(
        f"verify-export of one consultation ({report.entries:,} entries, every signature, "
        f"trusted key): {export_s:.2f} s ({export_s / report.entries * 1e6:.0f} us each)"
    )


def _pynacl_signature_time(rows: list, key: Ed25519PrivateKey) -> float | None:
    """Same signatures checked with libsodium (PyNaCl, if installed) - for comparison only."""
    try:
        from nacl.signing import VerifyKey
    except ImportError:
        return None
    verify = VerifyKey(key.public_key().public_bytes_raw()).verify
    t0 = time.perf_counter()
    for row in rows:
        verify(bytes.fromhex(row[10]), bytes.fromhex(row[11]))
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append-entries", type=int, default=20_000)
    parser.add_argument("--verify-entries", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} CPU(s)"
    )
    with tempfile.TemporaryDirectory(prefix="coopnet-bench-") as tmp:
        if args.append_entries:
            bench_append(Path(tmp), args.append_entries)
        bench_verify(Path(tmp), args.verify_entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
