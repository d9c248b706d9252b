"""Documents: send + certified receipt against a raw upload + download of the same bytes.

Brings up a fresh network of three authorities, runs Mexico's consultation bot as its
own process (``coopnet bot run``), opens a consultation between a Swiss and a Mexican
officer with that bot, and then, interleaved round by round for each size so that both
see the same machine load:

* CoopNet: the Swiss officer's client checks the file, encrypts and uploads it in chunks
  and sends the ``m.file`` document (``coopnet.matrix.send_document``); time until the
  Mexican bot's signed receipt certifying the file's SHA-256 is decrypted at the Swiss
  client (the bot has fetched the ciphertext over federation from its own homeserver,
  decrypted and hashed it, recorded it and kept an encrypted copy);
* raw: the Swiss officer uploads the same bytes unencrypted (nio ``upload``), and the
  Mexican officer downloads them through his own homeserver (over federation), reading
  and discarding; time from the upload's start to the last byte.

Memory: the peak RSS of ``coopnet documents send --wait`` (the client, its own process)
for each size against ``coopnet documents list`` (the same process without a transfer),
and the bot process's peak RSS (VmHWM) after the rounds of each size. Target: CoopNet
≥ 0.8 × raw throughput; memory flat in the file size.

    .venv/bin/python bench/documents.py [--sizes 10 100] [--rounds 3] [--base-address 127.0.0.81]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.receipts import Arrivals, consultation, open_officer
from coopnet.matrix import CoopNetClient, ReceivedEvent, send_document
from coopnet.matrix.attachments import CHUNK, media_url
from coopnet.network import Network, lifecycle
from coopnet.protocol import PAYLOAD_KEY

MB = 1 << 20
RECEIPT = "org.coopnet.consultation.receipt"
PHASES = "--bot-timing" in sys.argv
REPO = Path(__file__).resolve().parents[1]


def write_random(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        left = size
        while left:
            block = os.urandom(min(left, MB))
            handle.write(block)
            left -= len(block)
    return path


def coopnet_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "coopnet", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def child_peak_rss(cmd: list[str]) -> tuple[int, float, str]:
    """Run ``cmd``: its peak RSS (bytes, the rusage of exactly that child), time, stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[3:6])} failed: {err.decode()[-800:]}")
    return usage.ru_maxrss * 1024, elapsed, out.decode()


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


async def raw_round(ch: CoopNetClient, mx: CoopNetClient, path: Path, size: int) -> float:
    """Plain upload by ch, download by mx through mx's homeserver: seconds."""
    nio_ch, nio_mx = ch._nio, mx._nio  # the bench measures nio itself: the baseline
    t0 = time.perf_counter()
    with path.open("rb") as handle:
        resp, _ = await nio_ch.upload(handle, content_type="application/octet-stream",
                                      filesize=size)  # fmt: skip
    url = media_url(nio_mx.homeserver, resp.content_uri)
    received = 0
    headers = {"Authorization": f"Bearer {nio_mx.access_token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as got:
        assert got.status == 200, got.status
        async for chunk in got.content.iter_chunked(CHUNK):
            received += len(chunk)
    assert received == size, (received, size)
    return time.perf_counter() - t0


async def coopnet_round(
    ch: CoopNetClient, room: str, path: Path, receipts: Arrivals, limit: int
) -> float:
    t0 = time.perf_counter()
    read_all: list[float] = []

    def progress(done: int, total: int) -> None:
        if done == total:
            read_all.append(time.perf_counter())

    sent = await send_document(
        ch, room, path, limit=limit, kind="evidence", language="en", after=None,
        progress=progress,
    )  # fmt: skip
    t_sent = time.perf_counter()
    await receipts.wait(sent.event_id, f"the receipt of {sent.event_id}", timeout=600)
    t_end = time.perf_counter()
    if PHASES:
        print(
            f"    phases: file read+encrypted {read_all[0] - t0:.2f} s, uploaded and sent "
            f"{t_sent - t0:.2f} s, receipt {t_end - t_sent:.2f} s later"
        )
    return t_end - t0


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100], help="MB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base-address", default="127.0.0.81")
    parser.add_argument(
        "--bot-timing",
        action="store_true",
        help="log the bot verbosely and print its own time per document (slows it)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coopnet-bench-documents-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(base_address=args.base_address)
        network: Network = await lifecycle.up(directory, options, with_bots=False)
        bot_log = (Path(tmp) / "bot.log").open("wb")
        bot = subprocess.Popen(
            coopnet_cmd(
                *(["-v"] if args.bot_timing else []),
                "bot",
                "run",
                "--network",
                str(directory),
                "--authority",
                "mx",
            ),  # fmt: skip
            env=env(),
            stdout=bot_log,
            stderr=bot_log,
        )
        clients: list[CoopNetClient] = []
        try:
            ch = await open_officer(network, "ch")
            mx = await open_officer(network, "mx")
            clients += [ch, mx]
            mx_bot = network.authority("mx").bot()
            assert mx_bot is not None
            receipts = Arrivals()

            async def at_ch(event: ReceivedEvent) -> None:
                payload = event.content.get(PAYLOAD_KEY)
                if (
                    event.sender == mx_bot.user_id
                    and isinstance(payload, dict)
                    and payload.get("type") == RECEIPT
                    and payload.get("content", {}).get("document_sha256")
                ):
                    receipts.arrived(str(payload["content"]["event_id"]), event)

            ch.on_event(at_ch)

            class _Bot:
                user_id = mx_bot.user_id

            room = await consultation(network, ch, mx, [_Bot()])  # type: ignore[list-item]
            case_ref = ch.room(room).name  # type: ignore[union-attr]

            results: dict[int, dict[str, list[float]]] = {}
            memory: dict[int, dict[str, int]] = {}
            for size_mb in args.sizes:
                size = size_mb * MB
                source = write_random(Path(tmp) / f"doc-{size_mb}.bin", size)
                # Warm-up round of each (first federation fetch, connections).
                await raw_round(ch, mx, source, size)
                await coopnet_round(ch, room, source, receipts, network.max_document_bytes)
                rows: dict[str, list[float]] = {"raw": [], "coopnet": []}
                for i in range(args.rounds):
                    source = write_random(source, size)  # new bytes: no cache helps
                    rows["raw"].append(await raw_round(ch, mx, source, size))
                    rows["coopnet"].append(
                        await coopnet_round(ch, room, source, receipts, network.max_document_bytes)
                    )
                    print(
                        f"  {size_mb} MB round {i + 1}: raw {rows['raw'][-1]:.2f} s, "
                        f"coopnet {rows['coopnet'][-1]:.2f} s",
                        flush=True,
                    )
                results[size_mb] = rows
                memory[size_mb] = {"bot": vm_hwm(bot.pid)}
                source.unlink()

            # The client's memory: the command line as the Swiss officer, its own process
            # (the in-process client uses the same device: closed first).
            await ch.close()
            clients.remove(ch)
            account = ["--network", str(directory), "--account", ch.user_id]
            for size_mb in args.sizes:
                rss_list, _, _ = await asyncio.to_thread(
                    child_peak_rss, coopnet_cmd("documents", "list", case_ref, *account)
                )
                source = write_random(Path(tmp) / f"doc-{size_mb}.bin", size_mb * MB)
                rss_send, _, out = await asyncio.to_thread(
                    child_peak_rss,
                    coopnet_cmd(
                        "documents", "send", case_ref, str(source), "--kind", "evidence",
                        "--wait", "600", "--json", *account,
                    ),
                )  # fmt: skip
                assert json.loads(out)["receipt"] is not None
                memory[size_mb] |= {"client_list": rss_list, "client_send": rss_send}
                source.unlink()

            print()
            print(
                f"ch officer -> mx (bot), {args.rounds} rounds per size after a warm-up, "
                "interleaved raw / coopnet"
            )
            print("| size | raw median | CoopNet median | raw MB/s | CoopNet MB/s | ratio |")
            print("|---|---|---|---|---|---|")
            for size_mb, rows in results.items():
                raw = statistics.median(rows["raw"])
                ours = statistics.median(rows["coopnet"])
                print(
                    f"| {size_mb} MB | {raw:.2f} s | {ours:.2f} s | {size_mb / raw:.1f} | "
                    f"{size_mb / ours:.1f} | **{raw / ours:.2f}** |"
                )
            print()
            print("| size | client peak RSS: list | client peak RSS: send --wait | bot VmHWM |")
            print("|---|---|---|---|")
            for size_mb, m in memory.items():
                print(
                    f"| {size_mb} MB | {m['client_list'] / MB:.0f} MB | "
                    f"{m['client_send'] / MB:.0f} MB | {m['bot'] / MB:.0f} MB |"
                )
            print()
            print("bot's own timing of each document (fetch, decrypt, hash):")
            for line in (Path(tmp) / "bot.log").read_text().splitlines():
                if "document $" in line:
                    print("  " + line.split("bot: ", 1)[-1])
        finally:
            for client in clients:
                await client.close()
            bot.terminate()
            bot.wait(30)
            bot_log.close()
            lifecycle.down(directory)


if __name__ == "__main__":
    asyncio.run(main())
