"""A/B of the record store between two trees: one compact JSON line per run.

Uses bench/records.py's own functions from the current directory's tree and the
``coopnet`` of PYTHONPATH, so it also runs against a tree older than this script:

    cd OLD_TREE && PYTHONPATH=$PWD python NEW_TREE/bench/records_ab.py
    cd NEW_TREE && PYTHONPATH=$PWD python bench/records_ab.py

Run both alternately a few times and compare the best of each (the machine is shared).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, "bench")
from records import async_insert, chained_insert, sample  # noqa: E402

from coopnet.records.database import verify_db  # noqa: E402
from coopnet.records.store import RecordStore  # noqa: E402


def main() -> None:
    key = Ed25519PrivateKey.generate()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        news = [sample(i) for i in range(10_000)]
        out["batch500_full"] = 10_000 / chained_insert(tmp / "a.db", key, news, 500, "FULL")
        out["one_normal"] = 2_000 / chained_insert(tmp / "b.db", key, news[:2000], 1, "NORMAL")
        out["one_full"] = 1_000 / chained_insert(tmp / "c.db", key, news[:1000], 1, "FULL")
        out["async100"] = 5_000 / asyncio.run(async_insert(tmp / "d.db", key, news[:5000], 100))
        path = tmp / "v.db"
        with RecordStore(path, key, synchronous="OFF") as store:
            for lo in range(0, 100_000, 5000):
                store.append_many([sample(i) for i in range(lo, lo + 5000)])
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            assert verify_db(path, key.public_key()).ok
            best = min(best, time.perf_counter() - start)
        out["verify100k_default_s"] = best
    print(json.dumps({k: round(v, 3) for k, v in out.items()}))


if __name__ == "__main__":
    main()
