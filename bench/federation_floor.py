"""Where a federated message's time goes: send -> remote sync, split by Synapse's own logs.

Two local networks of two authorities (ch -> cn) run side by side with stock Synapse
(SQLite): ``disk`` keeps its databases where the local network always does, ``tmpfs``
lives in /dev/shm, where a commit's fsync costs nothing — the upper bound of what
``synchronous_commit = off`` (PostgreSQL) or ``synchronous = NORMAL`` (SQLite) could
save. Messages go to both, interleaved one by one so that both see the same load, from
a bare nio client to a bare nio client in an unencrypted room (the floor is Synapse's;
encryption adds the same on both sides). For each profile:

- total: send called -> message delivered by the receiver's /sync;
- sender PUT: the client's ``PUT /rooms/…/send`` round trip (event created and persisted
  on the sending homeserver), and the server's own time for it from its request log;
- receiver txn: the receiving homeserver's time for ``PUT /_matrix/federation/v1/send``
  (signature and auth checks, persistence), from its request log;
- the rest: federation sender wake-up, the HTTPS round trip between the homeservers,
  /sync wake-up and the client.

With ``--postgres`` two more networks run on PostgreSQL (Debian's, one server per
homeserver, fsync on), ``pg-sync`` with ``synchronous_commit = on`` and ``pg-async`` with
``synchronous_commit = off``.

    .venv/bin/python bench/federation_floor.py [--messages 200] [--postgres]
        [--base-address 127.0.0.221]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import re
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MatrixRoom, RoomMessageText

from coopnet.network import Network, lifecycle

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))
from latency import Arrivals, percentile  # noqa: E402

from tests.admin.postgres import running_postgres  # noqa: E402

PG_USER, PG_PASSWORD, PG_DB, PG_PORT = "synapse", "bench", "synapse", 5432

WARMUP = 10
# synapse/http/site.py: "Processed request: %.3fsec/%.3fsec ... "METHOD URI HTTP/1.1""
PROCESSED = re.compile(
    r"Processed request: (?P<sec>[\d.]+)sec/.* db=\((?P<sched>[\d.]+)sec/(?P<txn>[\d.]+)sec/\d+\)"
    r'.*"(?P<method>\w+) (?P<uri>\S+)'
)


@dataclass
class Profile:
    name: str
    network: Network
    sender: AsyncClient | None = None
    room: str = ""
    arrivals: Arrivals = field(default_factory=Arrivals)
    totals: list[float] = field(default_factory=list)
    puts: list[float] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    clients: list[AsyncClient] = field(default_factory=list)


async def open_pair(profile: Profile) -> None:
    ch_a, cn_a = profile.network.authority("ch"), profile.network.authority("cn")
    ch, cn = ch_a.officers()[0], cn_a.officers()[0]
    config = AsyncClientConfig(encryption_enabled=False)
    for authority, account in ((ch_a, ch), (cn_a, cn)):
        client = AsyncClient(authority.client_url, account.user_id, config=config)
        await client.login(account.password, device_name="bench floor")
        profile.clients.append(client)
    sender, receiver = profile.clients

    async def on_message(_room: MatrixRoom, event: RoomMessageText) -> None:
        profile.arrivals.arrived(event.body)

    receiver.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    await sender.sync(timeout=0)
    await receiver.sync(timeout=0)
    created = await sender.room_create(invite=[cn.user_id])
    profile.room = created.room_id  # type: ignore[union-attr]
    while profile.room not in receiver.invited_rooms:
        await receiver.sync(timeout=1000)
    await receiver.join(profile.room)
    profile.tasks = [asyncio.create_task(c.sync_forever(timeout=30000)) for c in profile.clients]
    while cn.user_id not in sender.rooms.get(profile.room, MatrixRoom(profile.room, "")).users:
        await asyncio.sleep(0.1)
    profile.sender = sender


async def one_message(profile: Profile, i: int, keep: bool) -> None:
    assert profile.sender is not None
    body = f"{profile.name}-{i}-{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    await profile.sender.room_send(
        profile.room, "m.room.message", {"msgtype": "m.text", "body": body}
    )
    put = time.perf_counter() - t0
    total = (await profile.arrivals.wait(body)) - t0
    if keep:
        profile.totals.append(total)
        profile.puts.append(put)


@dataclass(frozen=True)
class Served:
    """One request line of Synapse's log: its time, of which waiting for a database
    connection (sched) and inside database transactions (txn)."""

    seconds: float
    db_sched: float
    db_txn: float


def served(log: Path, method: str, uri_part: str) -> list[Served]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        m = PROCESSED.search(line)
        if m and m["method"] == method and uri_part in m["uri"]:
            found.append(Served(float(m["sec"]), float(m["sched"]), float(m["txn"])))
    return found


def summary(requests: list[Served]) -> str:
    if not requests:
        return "n/a"
    total = ms([r.seconds for r in requests])
    db = ms([r.db_txn for r in requests]).strip()
    return f"{total.strip()} (db txn {db}, db wait {ms([r.db_sched for r in requests]).strip()})"


def ms(values: list[float]) -> str:
    return f"{percentile(values, 0.5) * 1000:6.1f}" if values else "   n/a"


def breakdown(profile: Profile) -> float:
    ch, cn = profile.network.authority("ch"), profile.network.authority("cn")
    sender_put = served(ch.path / "homeserver.log", "PUT", "/send/m.room.message/")[WARMUP:]
    receiver_txn = served(cn.path / "homeserver.log", "PUT", "/federation/v1/send/")
    receiver_txn = receiver_txn[-len(profile.totals) :]
    total, put = percentile(profile.totals, 0.5), percentile(profile.puts, 0.5)
    txn = percentile([r.seconds for r in receiver_txn], 0.5) if receiver_txn else 0.0
    print(
        f"{profile.name}: n={len(profile.totals)}  total p50 {ms(profile.totals).strip()} ms"
        f" (p95 {percentile(profile.totals, 0.95) * 1000:.1f})\n"
        f"  sender PUT round trip {ms(profile.puts).strip()}, server {summary(sender_put)}\n"
        f"  receiver federation txn {summary(receiver_txn)}\n"
        f"  rest (sender queue + HTTPS + /sync wake-up + client) {(total - put - txn) * 1000:.1f}"
    )
    return total


def on_postgres(addresses: set[str]) -> None:
    """Make the local network's Synapse config use PostgreSQL for these addresses."""
    original = lifecycle.local_homeserver_config

    def config(authority, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered = original(authority, *args, **kwargs)
        if authority.address in addresses:
            rendered["database"] = {
                "name": "psycopg2",
                "args": {
                    "user": PG_USER,
                    "password": PG_PASSWORD,
                    "dbname": PG_DB,
                    "host": authority.address,
                    "port": PG_PORT,
                    "cp_min": 1,
                    "cp_max": 5,
                },
            }
        return rendered

    lifecycle.local_homeserver_config = config  # type: ignore[assignment]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--base-address", default="127.0.0.221")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    base = ipaddress.IPv4Address(args.base_address)
    disk_dir = Path(tempfile.mkdtemp(prefix="coopnet-floor-"))
    shm_dir = Path(tempfile.mkdtemp(prefix="coopnet-floor-", dir="/dev/shm"))
    layouts = [("disk", disk_dir, base, ""), ("tmpfs", shm_dir, base + 4, "")]
    if args.postgres:
        layouts += [
            ("pg-sync", disk_dir / "pg-sync", base + 8, "-c synchronous_commit=on"),
            ("pg-async", disk_dir / "pg-async", base + 12, "-c synchronous_commit=off"),
        ]
        on_postgres({str(b + i) for _, _, b, s in layouts if s for i in (0, 1)})
    profiles: list[Profile] = []
    servers = contextlib.ExitStack()
    try:
        for name, directory, first, pg in layouts:
            for i in (0, 1):
                if pg:
                    servers.enter_context(
                        running_postgres(str(first + i), PG_PORT, PG_USER, PG_PASSWORD, PG_DB, pg)
                    )
            options = lifecycle.NetworkOptions(
                authorities=["ch", "cn"],
                base_address=str(first),
                officers_per_authority=1,
                name=f"coopnet-floor-{name}",
            )
            network = await lifecycle.up(directory / "net", options, with_bots=False)
            profiles.append(Profile(name, network))
        for profile in profiles:
            await open_pair(profile)
        for i in range(WARMUP + args.messages):
            for profile in profiles:
                await one_message(profile, i, keep=i >= WARMUP)
        print(f"send -> remote sync, {args.messages} messages each, interleaved (p50, ms)")
        p50 = {p.name: breakdown(p) for p in profiles}
        for name in p50:
            if name != "disk":
                print(f"{name} / disk p50 ratio: {p50[name] / p50['disk']:.3f}")
        if args.postgres:
            print(f"pg-async / pg-sync p50 ratio: {p50['pg-async'] / p50['pg-sync']:.3f}")
        for profile in profiles:
            for task in profile.tasks:
                task.cancel()
            for client in profile.clients:
                await client.close()
    finally:
        for profile in profiles:
            lifecycle.down(profile.network.directory)
        servers.close()
        shutil.rmtree(disk_dir, ignore_errors=True)
        shutil.rmtree(shm_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
