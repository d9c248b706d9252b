"""Key backup: backing up and restoring 10,000 room keys, and message latency with the
backup running.

Brings up a fresh 2-authority network (every account enrolled with secret storage and a
key backup, as ``coopnet net up`` does), then:

1. Message latency, Switzerland -> China, send called -> decrypted at the receiver,
   through two pairs of ``CoopNetClient``: one with the key backup running on both
   sides, one with it stopped; interleaved message by message, so both see the same
   load. Every message starts a new Megolm session (the worst case: a new room key to
   back up on both sides with each message), after a steady phase with one session.
2. 10,000 room keys arrive at the Swiss officer's device (Megolm sessions made here and
   imported as if received); the time until all are in the backup. Then a new device of
   that officer restores them with the recovery key (download, decrypt, import into the
   nio store). Baseline in the same run: nio's own key export file of the same keys
   imported by another new device (no network, no public-key crypto per key).

    .venv/bin/python bench/key_backup.py [--keys 10000] [--messages 100] \
        [--base-address 127.0.0.71]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig
from nio.crypto import InboundGroupSession, Olm, OutboundGroupSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import Arrivals, measure, report  # noqa: E402

from coopnet.matrix import CoopNetClient  # noqa: E402
from coopnet.network import Network, lifecycle  # noqa: E402
from coopnet.network.trust import device_policy  # noqa: E402

WARMUP = 5


async def _open(network: Network, authority_id: str, n: int, start: bool = True) -> CoopNetClient:
    authority = network.authority(authority_id)
    account = authority.officers()[n]
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, account.user_id, store, device_policy(network, store)
    )
    await client.sync_once()
    if start:
        client.start()
    return client


async def _pair(network: Network, n: int, backup: bool):
    sender, receiver = await _open(network, "ch", n), await _open(network, "cn", n)
    if not backup:
        for client in (sender, receiver):
            client.key_backup.disable("benchmark: the pair without backup")
    arrivals = Arrivals()

    async def on_event(event):
        if event.decrypted and "body" in event.content:
            arrivals.arrived(event.content["body"])

    receiver.on_event(on_event)
    invited = asyncio.Event()

    async def on_invite(_invitation):
        invited.set()

    receiver.on_invite(on_invite)
    room = await sender.create_consultation_room(
        f"BENCH-{uuid.uuid4().hex[:6]}", [receiver.user_id], network.member_server_names()
    )
    await asyncio.wait_for(invited.wait(), 60)
    await receiver.join(room)
    await sender.wait_until(lambda: receiver.user_id in sender.joined(room), 60, "join")
    rotate = {"on": False}

    async def send(body: str) -> None:
        if rotate["on"]:
            sender.renew_room_key(room)  # a new room key with each message
        await sender.send_text(room, body)

    return send, arrivals, (sender, receiver), rotate


async def latency(network: Network, messages: int) -> None:
    on, on_in, on_clients, on_rotate = await _pair(network, 0, backup=True)
    off, off_in, off_clients, off_rotate = await _pair(network, 1, backup=False)
    for phase, rotating in (("one Megolm session", False), ("a new room key per message", True)):
        on_rotate["on"] = off_rotate["on"] = rotating
        with_backup, without = [], []
        for i in range(messages + WARMUP):
            a = await measure(on, on_in, "backup", i)
            b = await measure(off, off_in, "nobackup", i)
            if i >= WARMUP:
                with_backup.append(a)
                without.append(b)
        print(f"latency ch -> cn, {phase} ({messages} each, interleaved):")
        p_off = report("backup stopped", without)
        p_on = report("backup running", with_backup)
        print(f"  ratio p50 with/without backup = {p_on / p_off:.3f}")
    uploaded = sum(c.key_backup.uploaded_count for c in on_clients)
    print(f"  room keys uploaded by the pair with backup meanwhile: {uploaded}")
    for client in (*on_clients, *off_clients):
        await client.close()


def _sessions(count: int, rooms: int = 100) -> list[InboundGroupSession]:
    out = []
    for i in range(count):
        outbound = OutboundGroupSession()
        out.append(
            InboundGroupSession(
                outbound.session_key,
                "bench-ed25519-" + uuid.uuid4().hex,
                "bench-curve25519-" + uuid.uuid4().hex,
                f"!bench{i % rooms}:{uuid.uuid4().hex[:4]}.example",
            )
        )
    return out


async def backup_and_restore(network: Network, count: int, tmp: Path) -> None:
    authority = network.authority("ch")
    account = authority.officers()[0]
    # Not syncing in the background: the upload is timed alone, not spread over the import.
    client = await _open(network, "ch", 0, start=False)
    sessions = _sessions(count)
    t0 = time.perf_counter()
    # As if received: into the nio store, and queued for the backup by the same hook.
    client.key_backup.room_keys.import_many(sessions)
    stored = time.perf_counter() - t0
    t0 = time.perf_counter()
    await client.back_up_keys()
    uploaded = time.perf_counter() - t0
    await client.close()
    print(f"{count} room keys stored in the device's nio store (setup): {stored:.1f} s")
    print(
        f"backup of {count} room keys (encrypt + upload in batches of 500): {uploaded:.1f} s "
        f"({count / uploaded:.0f} keys/s)"
    )

    async def new_device(name: str) -> CoopNetClient:
        store = tmp / name
        return await CoopNetClient.open(
            authority.client_url,
            account.user_id,
            store,
            device_policy(network, store),
            password=account.password,
            device_name=name,
        )

    laptop = await new_device("restored-laptop")
    t0 = time.perf_counter()
    result = await laptop.recovery.unlock(account.recovery_key or "")
    restored = time.perf_counter() - t0
    await laptop.close()
    print(
        f"restore of {result.imported} room keys on a new device (download, decrypt, import): "
        f"{restored:.1f} s ({result.imported / restored:.0f} keys/s; "
        f"{result.refused_count} refused)"
    )
    export = tmp / "keys.txt"
    Olm.export_keys_static(sessions, str(export), "bench passphrase", count=10_000)
    store = tmp / "imported-laptop"
    store.mkdir()
    other = AsyncClient(
        authority.client_url,
        account.user_id,
        store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True),
    )
    await other.login(account.password, device_name="bench nio key import")
    t0 = time.perf_counter()
    await other.import_keys(str(export), "bench passphrase")
    imported = time.perf_counter() - t0
    await other.close()
    print(
        f"baseline, nio key-file import of the same {count} keys on a new device: "
        f"{imported:.1f} s; ratio restore/baseline = {restored / imported:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--base-address", default="127.0.0.71")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coopnet-bench-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(authorities=["ch", "cn"], base_address=args.base_address)
        network = await lifecycle.up(directory, options, with_bots=False)
        try:
            await latency(network, args.messages)
            await backup_and_restore(network, args.keys, Path(tmp))
        finally:
            await asyncio.to_thread(lifecycle.down, directory)


if __name__ == "__main__":
    asyncio.run(main())
