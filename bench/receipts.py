"""Structured event -> signed receipt, end to end, against a plain message's latency.

Brings up a fresh network of three authorities without bot processes, runs the
consultation bots of Switzerland and Mexico in this process (``build_bot``), opens a
consultation between them and then, interleaved message by message so that both see
the same machine load:

* receipt latency: the Swiss officer posts a structured identity exchange; time until
  the Mexican bot's signed receipt for it is decrypted at the Swiss officer's client;
* plain latency: the Swiss officer posts a plain message; time until it is decrypted
  at the Mexican officer's client.

Both bots are in the room for both measures (they record every event). Target: receipt
p50 <= 1.5 x plain p50.

    .venv/bin/python bench/receipts.py [--events 150] [--base-address 127.0.0.81]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot, signing_key_path
from coopnet.keys import key_id, load_signing_key
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent
from coopnet.network import Network, lifecycle
from coopnet.network.trust import device_policy
from coopnet.protocol import PAYLOAD_KEY, ConsultationOpened, PersonIdentity, encode
from coopnet.receipts import verify_receipt

WARMUP = 5
RECEIPT = "org.coopnet.consultation.receipt"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Arrivals:
    """When each awaited key (an event id, a message body) arrived at a client."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.events: dict[str, ReceivedEvent] = {}
        self.changed = asyncio.Event()

    def arrived(self, key: str, event: ReceivedEvent) -> None:
        self.times.setdefault(key, time.perf_counter())
        self.events.setdefault(key, event)
        self.changed.set()

    async def wait(self, key: str, what: str, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while key not in self.times:
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{what} not received within {timeout} s")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.times[key]


async def open_officer(network: Network, authority_id: str) -> CoopNetClient:
    authority = network.authority(authority_id)
    account = authority.officers()[0]
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, account.user_id, store, device_policy(network, store)
    )
    return client


async def consultation(
    network: Network, ch: CoopNetClient, mx: CoopNetClient, bots: list[ConsultationBot]
) -> str:
    invited = asyncio.Event()

    async def on_invite(_invitation: Invitation) -> None:
        invited.set()

    mx.on_invite(on_invite)
    for client in (ch, mx):
        await client.sync_once()
        client.start()
    case_ref = f"BENCH-{uuid.uuid4().hex[:6]}"
    room = await ch.create_consultation_room(
        case_ref,
        [mx.user_id, *(bot.user_id for bot in bots)],
        [network.authority("ch").server_name, network.authority("mx").server_name],
    )
    await asyncio.wait_for(invited.wait(), 60)
    await mx.join(room)
    everyone = {mx.user_id, *(bot.user_id for bot in bots)}
    await ch.wait_until(lambda: everyone <= ch.joined(room), 60, "joins")
    opened = ConsultationOpened.from_dict(
        {
            "case_ref": case_ref,
            "kind": "extradition",
            "requesting_authority": "ch",
            "requested_authority": "mx",
            "legal_basis": {"basis": "untoc"},
        }
    )
    assert isinstance(opened, ConsultationOpened)
    await ch.send(room, encode(opened))
    return room


def report(name: str, values: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    print(
        f"{name:<34} n={len(values):>4}  p50={p50 * 1000:7.1f} ms  p95={p95 * 1000:7.1f} ms"
        f"  mean={statistics.mean(values) * 1000:7.1f} ms"
    )
    return p50, p95


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=150)
    parser.add_argument("--base-address", default="127.0.0.81")
    args = parser.parse_args()
    identity = PersonIdentity.from_dict(
        {"names": [{"family": "Doe", "given": "John"}], "date_of_birth": "1980-02-29"}
    )
    assert isinstance(identity, PersonIdentity), identity

    with tempfile.TemporaryDirectory(prefix="coopnet-bench-receipts-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(base_address=args.base_address)
        network = await lifecycle.up(directory, options, with_bots=False)
        bots: list[ConsultationBot] = []
        clients: list[CoopNetClient] = []
        try:
            for authority_id in ("ch", "mx"):
                bot = build_bot(network, authority_id)
                await bot.start()
                bots.append(bot)
            ch = await open_officer(network, "ch")
            mx = await open_officer(network, "mx")
            clients += [ch, mx]
            receipts, plain = Arrivals(), Arrivals()
            mx_bot = bots[1].user_id

            async def at_ch(event: ReceivedEvent) -> None:
                payload = event.content.get(PAYLOAD_KEY)
                if (
                    event.sender == mx_bot
                    and isinstance(payload, dict)
                    and payload.get("type") == RECEIPT
                ):
                    receipts.arrived(str(payload.get("content", {}).get("event_id")), event)

            async def at_mx(event: ReceivedEvent) -> None:
                body = event.content.get("body")
                if event.sender == ch.user_id and isinstance(body, str):
                    plain.arrived(body, event)

            ch.on_event(at_ch)
            mx.on_event(at_mx)
            room = await consultation(network, ch, mx, bots)

            receipt_lat: list[float] = []
            plain_lat: list[float] = []
            last_event = ""
            for i in range(args.events + WARMUP):
                t0 = time.perf_counter()
                last_event = await ch.send(room, encode(identity))
                r = await receipts.wait(last_event, f"the receipt of {last_event}") - t0
                body = f"plain-{i}-{uuid.uuid4().hex[:8]}"
                t0 = time.perf_counter()
                await ch.send_text(room, body)
                p = await plain.wait(body, f"plain message {body!r}") - t0
                if i >= WARMUP:
                    receipt_lat.append(r)
                    plain_lat.append(p)
                if (i + 1) % 50 == 0:
                    print(f"  … {i + 1} rounds", flush=True)

            # The receipts measured are the real thing: signed by the Mexican bot's key.
            mx_key = load_signing_key(signing_key_path(network.authority("mx"))).public_key()
            receipt_event = receipts.events[last_event]
            check = verify_receipt(
                receipt_event.content, {key_id(mx_key): mx_key}, encode(identity)
            )
            assert check.ok, check.reason

            print(
                f"ch officer -> mx, {args.events} each, interleaved "
                f"({WARMUP} warm-up rounds dropped):"
            )
            p_plain, p95_plain = report("plain message, send -> decrypted", plain_lat)
            p_rcpt, p95_rcpt = report("structured event -> signed receipt", receipt_lat)
            print(
                f"ratio receipt/plain: p50 {p_rcpt / p_plain:.2f} (target <= 1.5), "
                f"p95 {p95_rcpt / p95_plain:.2f}"
            )
        finally:
            for client in clients:
                await client.close()
            for bot in bots:
                await bot.stop()
            await asyncio.to_thread(lifecycle.down, directory)


if __name__ == "__main__":
    asyncio.run(main())
