"""Crash safety of the store: kill -9 in the middle of a burst loses nothing committed,
doubles nothing on re-delivery, and leaves a chain that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import generate_signing_key, load_signing_key
from coopnet.records.database import verify_db
from coopnet.records.store import RecordStore
from tests.harness import wait_for
from tests.unit.test_records_support import new_entry

WRITER = """
import asyncio, sys
from coopnet.keys import load_signing_key
from coopnet.records.writer import AsyncRecordStore
from tests.unit.test_records_support import new_entry

async def main():
    key = load_signing_key(sys.argv[2])
    async with AsyncRecordStore(sys.argv[1], key) as store:
        async def one(i):
            await store.append(new_entry(i))
            print(i, flush=True)
        await asyncio.gather(*(one(i) for i in range(100_000)))

asyncio.run(main())
"""


async def test_kill_9_mid_burst_then_redeliver(tmp_path: Path) -> None:
    db, key_file = tmp_path / "r.db", tmp_path / "bot.key"
    generate_signing_key(key_file)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(key_file)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    # Every line the writer printed is an append it saw committed, up to the kill.
    reader = threading.Thread(target=lambda: acknowledged.extend(int(line) for line in stdout))
    reader.start()
    try:
        await wait_for(
            lambda: len(acknowledged) >= 300 or proc.poll() is not None,
            "the writer to acknowledge 300 appends",
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(30)
    assert len(acknowledged) >= 300, "the writer did not get going"

    assert verify_db(db).ok
    key: Ed25519PrivateKey = load_signing_key(key_file)
    with RecordStore(db, key) as store:
        recorded = {e.event_id for e in store.entries()}
        # every acknowledged append was committed before its future resolved
        assert {f"$event{i}" for i in acknowledged} <= recorded
        before = store.count()
        # the restarted bot re-delivers the whole burst: nothing is recorded twice
        store.append_many([new_entry(i) for i in range(before + 200)])
        ids = [e.event_id for e in store.entries()]
    expected = recorded | {f"$event{i}" for i in range(before + 200)}
    assert len(ids) == len(set(ids)) == len(expected)
    assert verify_db(db).ok
