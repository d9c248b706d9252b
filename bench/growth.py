"""How the local network grows: 3, 6 and 12 authorities on this machine (issue 19, part 3).

For each size, a fresh network with one officer and one bot per authority:

* bring-up: ``coopnet net up`` from nothing until every pair federates and every bot
  synced (seconds);
* memory per authority: resident memory of its homeserver and its bot (MB, median;
  the whole network's total too);
* directory propagation: the steward re-signs the directory (next version) until every
  bot follows it (its log says so; bots tick every second here);
* a network room: the first authority's officer opens a room with one officer of every
  other authority; the time from sending one message until every member decrypted it
  (median of the messages sent).

Writes the figures as JSON and, with matplotlib (``pip install '.[bench]'``), a PNG of
growth. Addresses from ``--base-address`` on (loopback only); each network is taken
down before the next.

Run:  .venv/bin/python bench/growth.py [--sizes 3,6,12] [--messages 5]
      [--json bench/growth.json] [--plot bench/growth.png]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coopnet.cli import main as cli  # noqa: E402
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent  # noqa: E402
from coopnet.network import botproc, lifecycle, load_network, process  # noqa: E402
from coopnet.network import trust as network_trust  # noqa: E402
from coopnet.network.catalogue import KNOWN_AUTHORITIES  # noqa: E402
from coopnet.network.model import Network  # noqa: E402

TIMEOUT = 300.0


def authority_ids(count: int) -> list[str]:
    """The catalogue's authorities first, then neutral ids (a01, a02, …)."""
    known = list(KNOWN_AUTHORITIES)
    return (known + [f"a{i:02d}" for i in range(1, count + 1)])[:count]


def rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def until(condition, what: str, timeout: float = TIMEOUT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def propagation(network: Network) -> float:
    """Seconds from re-signing the directory until every bot follows the new version."""
    before = {a.id: botproc.log_file(a).read_text() for a in network.members()}
    assert cli(["directory", "resign", "--dir", str(network.directory)]) == 0
    version = network_trust.load_directory(load_network(network.directory)).version
    started = time.monotonic()
    line = f"server ACLs follow directory v{version}"
    pending = set(before)
    while pending:
        if time.monotonic() - started > TIMEOUT:
            raise TimeoutError(f"bots {sorted(pending)} did not follow v{version}")
        for authority in network.members():
            if authority.id in pending:
                text = botproc.log_file(authority).read_text()
                if line in text[len(before[authority.id]) :]:
                    pending.discard(authority.id)
        time.sleep(0.05)
    return time.monotonic() - started


async def open_officer(network: Network, authority_id: str) -> tuple[CoopNetClient, list]:  # type: ignore[type-arg]
    authority = network.authority(authority_id)
    account = authority.officers()[0]
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url,
        account.user_id,
        store,
        network_trust.device_policy(network, store),
    )
    seen: list[ReceivedEvent | Invitation] = []

    async def on_event(event: ReceivedEvent) -> None:
        seen.append(event)

    async def on_invite(invitation: Invitation) -> None:
        seen.append(invitation)

    client.on_event(on_event)
    client.on_invite(on_invite)
    await client.sync_once()
    client.start()
    return client, seen


async def network_room(network: Network, messages: int) -> list[float]:
    """Seconds from sending until every member decrypted, for each message."""
    ids = [a.id for a in network.members()]
    officers = [await open_officer(network, i) for i in ids]
    try:
        host, _ = officers[0]
        guests = officers[1:]
        room_id = await host.create_consultation_room(
            f"NET-{uuid.uuid4().hex[:6]}",
            invite=[g.user_id for g, _ in guests],
            servers=network.member_server_names(),
        )
        for guest, seen in guests:
            await until(
                lambda s=seen: any(isinstance(x, Invitation) and x.room_id == room_id for x in s),
                f"{guest.user_id}'s invitation",
            )
            await guest.join(room_id)
        await until(lambda: len(host.joined(room_id)) == len(officers), "every officer to join")
        times = []
        for n in range(messages):
            body = f"network room message {n} {uuid.uuid4().hex[:6]}"
            started = time.monotonic()
            await host.send_text(room_id, body)

            def everyone(body: str = body) -> bool:
                return all(
                    any(
                        isinstance(x, ReceivedEvent) and x.content.get("body") == body for x in seen
                    )
                    for _, seen in guests
                )

            await until(everyone, f"message {n} at every member")
            times.append(time.monotonic() - started)
        return times
    finally:
        for client, _ in officers:
            await client.close()


async def measure(size: int, base: str, messages: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"coopnet-growth-{size}-") as tmp:
        net_dir = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(
            authorities=authority_ids(size), base_address=base, officers_per_authority=1
        )
        load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
        started = time.monotonic()
        network = await lifecycle.up(net_dir, options, bot_tick_seconds=1.0)
        try:
            bring_up = time.monotonic() - started
            per_authority = [
                rss_mb(process.read_pid(a)) + rss_mb(botproc.read_pid(a)) for a in network.members()
            ]
            spread = await asyncio.to_thread(propagation, network)
            room = await network_room(network, messages)
            load_after = os.getloadavg()[0]
        finally:
            await asyncio.to_thread(lifecycle.down, net_dir)
    return {
        "authorities": size,
        "bring_up_s": bring_up,
        "memory_per_authority_mb": statistics.median(per_authority),
        "memory_total_mb": sum(per_authority),
        "directory_propagation_s": spread,
        "network_room_message_s": statistics.median(room),
        "network_room_message_max_s": max(room),
        "load_average_before": load_before,
        "load_average_after": load_after,
    }


def plot(results: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["authorities"] for r in results]
    panels = [
        ("bring_up_s", "bring-up (s)"),
        ("memory_per_authority_mb", "memory per authority (MB)"),
        ("directory_propagation_s", "directory propagation (s)"),
        ("network_room_message_s", "message to every member (s)"),
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(14, 3.2))
    for axis, (key, title) in zip(axes, panels, strict=True):
        axis.plot(sizes, [r[key] for r in results], marker="o")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("authorities")
        axis.set_xticks(sizes)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    figure.suptitle("CoopNet local network growth (one machine, 2 cores)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,6,12", help="default: %(default)s")
    parser.add_argument("--base-address", default="127.0.2.1", help="default: %(default)s")
    parser.add_argument("--messages", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--json", type=Path, default=Path("bench/growth.json"))
    parser.add_argument("--plot", type=Path, default=Path("bench/growth.png"))
    args = parser.parse_args()
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        figures = await measure(size, args.base_address, args.messages)
        results.append(figures)
        print(
            f"{size:3d} authorities: up {figures['bring_up_s']:.1f} s, "
            f"{figures['memory_per_authority_mb']:.0f} MB per authority "
            f"({figures['memory_total_mb']:.0f} MB in all), directory to every bot "
            f"{figures['directory_propagation_s']:.1f} s, a message to every member "
            f"{figures['network_room_message_s'] * 1000:.0f} ms "
            f"(max {figures['network_room_message_max_s'] * 1000:.0f} ms); load average "
            f"{figures['load_average_before']:.1f} -> {figures['load_average_after']:.1f}",
            flush=True,
        )
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    try:
        plot(results, args.plot)
    except ImportError:
        print("matplotlib is not installed (pip install '.[bench]'): no plot", file=sys.stderr)
    else:
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    asyncio.run(main())
