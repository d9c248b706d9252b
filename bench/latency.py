"""Cross-authority encrypted message latency: CoopNet's client layer vs bare matrix-nio.

Brings up a fresh 3-authority network with its bots (timing the cold bring-up and a
restart),
then sends N encrypted messages from Switzerland to China through ``CoopNetClient``
and N through bare nio clients, interleaved message by message so that both see the
same machine load. Latency = send called -> decrypted event delivered at the receiver.

    .venv/bin/python bench/latency.py [--messages 200] [--base-address 127.0.0.51]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MatrixRoom, RoomMessageText

from coopnet.matrix import CoopNetClient
from coopnet.network import Network, lifecycle
from coopnet.network.trust import device_policy

WARMUP = 5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Arrivals:
    """Arrival times of message bodies at a receiver."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.changed = asyncio.Event()

    def arrived(self, body: str) -> None:
        self.times[body] = time.perf_counter()
        self.changed.set()

    async def wait(self, body: str, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while body not in self.times:
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"message {body!r} not received within {timeout} s")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.times[body]


async def coopnet_pair(network: Network) -> tuple[Callable[[str], Awaitable[None]], Arrivals]:
    ch = network.authority("ch").officers()[0]
    cn = network.authority("cn").officers()[0]
    sender = await CoopNetClient.open(
        network.authority("ch").client_url,
        ch.user_id,
        Path(ch.store_dir or ""),
        device_policy(network, Path(ch.store_dir or "")),
    )
    receiver = await CoopNetClient.open(
        network.authority("cn").client_url,
        cn.user_id,
        Path(cn.store_dir or ""),
        device_policy(network, Path(cn.store_dir or "")),
    )
    arrivals = Arrivals()

    async def on_event(event):
        if event.decrypted and "body" in event.content:
            arrivals.arrived(event.content["body"])

    receiver.on_event(on_event)
    invited = asyncio.Event()

    async def on_invite(_invitation):
        invited.set()

    receiver.on_invite(on_invite)
    for client in (sender, receiver):
        await client.sync_once()
        client.start()
    room = await sender.create_consultation_room(
        f"BENCH-{uuid.uuid4().hex[:6]}", [cn.user_id], network.member_server_names()
    )
    await asyncio.wait_for(invited.wait(), 60)
    await receiver.join(room)
    await sender.wait_until(lambda: cn.user_id in sender.joined(room), 60, "join")

    async def send(body: str) -> None:
        await sender.send_text(room, body)

    send.clients = (sender, receiver)  # type: ignore[attr-defined]
    return send, arrivals


async def bare_nio_pair(
    network: Network, store: Path
) -> tuple[Callable[[str], Awaitable[None]], Arrivals]:
    """Two plain nio clients that trust each other's one device by hand."""
    ch_a, cn_a = network.authority("ch"), network.authority("cn")
    ch, cn = ch_a.officers()[1], cn_a.officers()[1]
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
    clients = []
    for authority, account in ((ch_a, ch), (cn_a, cn)):
        path = store / account.localpart / authority.id
        path.mkdir(parents=True)
        client = AsyncClient(
            authority.client_url, account.user_id, store_path=str(path), config=config
        )
        await client.login(account.password, device_name="bench bare nio")
        await client.keys_upload()
        clients.append(client)
    sender, receiver = clients
    arrivals = Arrivals()

    async def on_message(_room: MatrixRoom, event: RoomMessageText) -> None:
        arrivals.arrived(event.body)

    receiver.add_event_callback(on_message, RoomMessageText)
    await sender.sync(timeout=0, full_state=True)
    await receiver.sync(timeout=0, full_state=True)
    resp = await sender.room_create(
        invite=[cn.user_id],
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    room = resp.room_id
    while room not in receiver.invited_rooms:
        await receiver.sync(timeout=1000)
    await receiver.join(room)
    tasks = [asyncio.create_task(c.sync_forever(timeout=30000, full_state=True)) for c in clients]
    while cn.user_id not in sender.rooms.get(room, MatrixRoom(room, "")).users:
        await asyncio.sleep(0.1)
    # Decide every device by hand: trust the peer's bench device, exclude the rest
    # (the same accounts' enrolled devices), as a careful bare-nio program would.
    bench_devices = {c.user_id: c.device_id for c in clients}
    await sender.joined_members(room)
    for client in clients:
        peer = next(u for u in bench_devices if u != client.user_id)
        deadline = time.monotonic() + 60
        while bench_devices[peer] not in client.device_store[peer]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{client.user_id} never saw {peer}'s bench device")
            await asyncio.sleep(0.1)
        for user in bench_devices:
            for device in client.device_store.active_user_devices(user):
                if device.id == bench_devices[user]:
                    client.verify_device(device)
                elif device.id != client.device_id:
                    client.blacklist_device(device)

    async def send(body: str) -> None:
        await sender.room_send(room, "m.room.message", {"msgtype": "m.text", "body": body})

    send.clients = clients  # type: ignore[attr-defined]
    send.tasks = tasks  # type: ignore[attr-defined]
    return send, arrivals


async def measure(
    send: Callable[[str], Awaitable[None]], arrivals: Arrivals, tag: str, i: int
) -> float:
    body = f"{tag}-{i}-{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    await send(body)
    return (await arrivals.wait(body)) - t0


def report(name: str, values: list[float]) -> float:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    print(
        f"{name:<22} n={len(values):>4}  p50={p50 * 1000:7.1f} ms  p95={p95 * 1000:7.1f} ms"
        f"  mean={statistics.mean(values) * 1000:7.1f} ms"
    )
    return p50


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--base-address", default="127.0.0.51")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coopnet-bench-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(base_address=args.base_address)
        t0 = time.perf_counter()
        network = await lifecycle.up(directory, options)
        cold = time.perf_counter() - t0
        await asyncio.to_thread(lifecycle.down, directory)
        t0 = time.perf_counter()
        network = await lifecycle.up(directory)
        warm = time.perf_counter() - t0
        print(
            f"bring-up, 3 authorities with their bots: cold {cold:.1f} s (target <= 20 s), "
            f"restart {warm:.1f} s"
        )
        try:
            ours, ours_in = await coopnet_pair(network)
            bare, bare_in = await bare_nio_pair(network, Path(tmp) / "bare")
            ours_lat, bare_lat = [], []
            for i in range(args.messages + WARMUP):
                a = await measure(ours, ours_in, "coopnet", i)
                b = await measure(bare, bare_in, "nio", i)
                if i >= WARMUP:
                    ours_lat.append(a)
                    bare_lat.append(b)
                if (i + 1) % 50 == 0:
                    print(f"  … {i + 1} rounds", flush=True)
            print(
                f"encrypted message ch -> cn, send -> decrypted ({args.messages} each, "
                "interleaved):"
            )
            p_bare = report("bare matrix-nio", bare_lat)
            p_ours = report("coopnet.matrix", ours_lat)
            print(f"ratio p50 coopnet/bare = {p_ours / p_bare:.3f} (target <= 1.05)")
            for client in ours.clients:  # type: ignore[attr-defined]
                await client.close()
            for task in bare.tasks:  # type: ignore[attr-defined]
                task.cancel()
            for client in bare.clients:  # type: ignore[attr-defined]
                await client.close()
        finally:
            await asyncio.to_thread(lifecycle.down, directory)


if __name__ == "__main__":
    asyncio.run(main())
