"""Benchmark: what cross-signing adds to a device's first login.

One homeserver (a one-authority local network, no bots). Fresh accounts are registered
beforehand; then, interleaved one by one, the time of ``CoopNetClient.open`` with the
password (log in, upload the device keys, and:)

* **baseline** — nothing more: the same call with the cross-signing step switched off
  in this script (what a first login cost before cross-signing);
* **first device** — the account's first login: keys query, the three cross-signing keys
  generated, published (``/keys/device_signing/upload``, the master key signed by the
  device), queried again, the device signed (``/keys/signatures/upload``);
* **new device** — a second login of an account that is cross-signed already, holding
  its keys: keys query and the device signed.

Run:  .venv/bin/python bench/cross_signing.py [--logins 20] [--base-address 127.0.0.61]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coopnet.matrix import CoopNetClient, EnrolledDevices  # noqa: E402
from coopnet.matrix.admin import register_user  # noqa: E402
from coopnet.matrix.cross_signing import CrossSigningStatus, StoreKeyHolder  # noqa: E402
from coopnet.network import lifecycle  # noqa: E402
from coopnet.network.model import Authority  # noqa: E402

STEP: list[float] = []  # time spent in the cross-signing step itself, per login


async def _open(
    authority: Authority, user_id: str, password: str, store: Path, cross_sign: bool, keys: Path
) -> float:
    original = CoopNetClient.ensure_cross_signing

    async def skipped(self: CoopNetClient, password: str | None = None) -> CrossSigningStatus:
        return CrossSigningStatus(None, False, problem="switched off by the benchmark")

    async def timed(self: CoopNetClient, password: str | None = None) -> CrossSigningStatus:
        start = time.perf_counter()
        try:
            return await original(self, password)
        finally:
            STEP.append(time.perf_counter() - start)

    CoopNetClient.ensure_cross_signing = timed if cross_sign else skipped  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        client = await CoopNetClient.open(
            authority.client_url,
            user_id,
            store,
            EnrolledDevices({}),
            password=password,
            cross_signing_keys=StoreKeyHolder(keys),
        )
        elapsed = time.perf_counter() - start
    finally:
        CoopNetClient.ensure_cross_signing = original  # type: ignore[method-assign]
    if cross_sign and not client.cross_signing_status.device_signed:
        raise SystemExit(f"{user_id}: not cross-signed: {client.cross_signing_status.problem}")
    await client.close()
    return elapsed


async def run(logins: int, base_address: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        options = lifecycle.NetworkOptions(authorities=["ch"], base_address=base_address)
        network = await lifecycle.up(root / "net", options, with_bots=False, report=lambda _: None)
        try:
            authority = network.authorities[0]
            accounts = []
            for n in range(2 * logins):
                password = secrets.token_urlsafe(16)
                user_id = await register_user(
                    authority.client_url,
                    authority.server_name,
                    authority.registration_shared_secret,
                    f"bench{n}-{secrets.token_hex(3)}",
                    password,
                    f"bench {n}",
                )
                accounts.append((str(user_id), password))
            times: dict[str, list[float]] = {"baseline": [], "first device": [], "new device": []}
            steps: list[tuple[str, Callable[[], Awaitable[float]]]] = []
            for n in range(logins):
                (plain_user, plain_pw), (xs_user, xs_pw) = accounts[2 * n], accounts[2 * n + 1]
                keys = root / f"keys{n}"
                keys.mkdir()

                def baseline(
                    u: str = plain_user, p: str = plain_pw, i: int = n
                ) -> Awaitable[float]:
                    return _open(authority, u, p, root / f"plain{i}", False, root / f"pk{i}")

                def first(u: str = xs_user, p: str = xs_pw, k: Path = keys) -> Awaitable[float]:
                    return _open(authority, u, p, k / "first", True, k)

                def second(u: str = xs_user, p: str = xs_pw, k: Path = keys) -> Awaitable[float]:
                    return _open(authority, u, p, k / "second", True, k)

                order = [("baseline", baseline), ("first device", first)]
                steps += order if n % 2 == 0 else order[::-1]
                steps.append(("new device", second))
            step_times: dict[str, list[float]] = {"first device": [], "new device": []}
            for name, step in steps:
                times[name].append(await step())
                if name in step_times:
                    step_times[name].append(STEP[-1])
        finally:
            await asyncio.to_thread(lifecycle.down, root / "net")
    base = statistics.median(times["baseline"])
    print(f"{logins} logins each, one homeserver at {base_address}, interleaved")
    print("| first login | p50 | mean | ratio p50 / baseline | cross-signing step p50 |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        p50 = statistics.median(values)
        step = step_times.get(name)
        inside = f"{statistics.median(step) * 1000:.1f} ms" if step else "—"
        print(
            f"| {name} | {p50 * 1000:.1f} ms | {statistics.mean(values) * 1000:.1f} ms "
            f"| {p50 / base:.3f} | {inside} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--base-address", default="127.0.0.61")
    args = parser.parse_args()
    asyncio.run(run(args.logins, args.base_address))


if __name__ == "__main__":
    main()
