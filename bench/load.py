"""Load: concurrent consultations, send -> certified receipt, against a bare echo bot.

Brings up a fresh network of three authorities (Switzerland, China, Mexico) without
bots, opens one officer client per authority in this process, then runs phases one
after the other on the same network:

* ``coopnet``: the consultation bots of this tree as processes (``coopnet bot run``).
  N consultations (rooms of two authorities: both officers, both bots), spread over the
  three pairs of authorities, each opened and then carrying M structured identity
  exchanges from the requesting officer, all consultations at once, each waiting for
  the answer to its exchange before the next one. Latency = send called -> the
  counterpart bot's signed receipt for it decrypted at the sender (its signature is
  checked with that bot's key);
* ``before`` (with ``--before-tree DIR``): the same with the bots of another tree (e.g.
  ``git archive`` of the commit before a change), for a before/after in one run;
* ``echo``: the same rooms and load with ``bench/echo_bot.py`` on the bots' devices
  instead (plain matrix-nio: no record, no signature, no validation); latency = send ->
  the counterpart echo bot's answer decrypted at the sender.

For every phase: p50, p95 and mean latency, exchanges per second, and the bots' CPU time
(user + system, all three processes, from /proc) and resident memory (VmRSS at the end,
VmHWM peak). The ratios coopnet / echo are printed; ``--json`` writes everything.
The machine is shared: compare the ratios of one run, not absolute times.

    .venv/bin/python bench/load.py [--consultations 20] [--exchanges 50]
        [--base-address 127.0.4.1] [--before-tree DIR] [--json bench/load.json]
        [--phases before,coopnet,echo] [--profile DIR] [--plot bench/load.png]
    .venv/bin/python bench/load.py --plot-only bench/load.json --plot bench/load.png

``--profile DIR`` samples each bot with py-spy during the load (``pip install py-spy``),
as collapsed stacks in DIR/<phase>-<authority>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coopnet.keys import key_id, load_signing_key  # noqa: E402
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent  # noqa: E402
from coopnet.network import Network, botproc, lifecycle  # noqa: E402
from coopnet.network.trust import device_policy  # noqa: E402
from coopnet.protocol import (  # noqa: E402
    PAYLOAD_KEY,
    ConsultationOpened,
    PersonIdentity,
    encode,
)
from coopnet.receipts import verify_receipt  # noqa: E402

AUTHORITIES = ("ch", "cn", "mx")
# Requesting -> requested, in turn: every pair, both directions.
PAIRS = (("ch", "mx"), ("cn", "ch"), ("mx", "cn"), ("ch", "cn"), ("mx", "ch"), ("cn", "mx"))
RECEIPT = "org.coopnet.consultation.receipt"
ECHO_KEY = "org.coopnet.bench.echo"  # bench/echo_bot.py
ECHO_BOT = Path(__file__).resolve().parent / "echo_bot.py"
TIMEOUT = 300.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and its peak (VmRSS, VmHWM), MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


class Answers:
    """When the answer (receipt or echo) to each event id reached one officer's client."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.events: dict[str, ReceivedEvent] = {}
        self.changed = asyncio.Condition()

    async def arrived(self, answered: str, event: ReceivedEvent) -> None:
        if answered not in self.times:
            self.times[answered] = time.perf_counter()
            self.events[answered] = event
        async with self.changed:
            self.changed.notify_all()

    async def wait(self, answered: str, what: str) -> float:
        async with self.changed:
            try:
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: answered in self.times), TIMEOUT
                )
            except TimeoutError:
                raise TimeoutError(f"{what} not received within {TIMEOUT:.0f} s") from None
        return self.times[answered]


@dataclass
class Officer:
    authority: str
    client: CoopNetClient
    answers: Answers = field(default_factory=Answers)
    invited: set[str] = field(default_factory=set)


@dataclass
class PhaseResult:
    name: str
    consultations: int
    exchanges: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    wall_s: float
    exchanges_per_s: float
    bot_cpu_s: float
    bot_cpu_ms_per_exchange: float
    bot_rss_mb: dict[str, float]
    bot_peak_rss_mb: dict[str, float]
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    """Every exchange's send -> answer, sorted: what the plot draws."""


def answered_event(event: ReceivedEvent, bots: set[str]) -> str | None:
    """The event id a bot's receipt or echo answers (None: not an answer)."""
    if event.sender not in bots or not event.decrypted:
        return None
    echo = event.content.get(ECHO_KEY)
    if isinstance(echo, str):
        return echo
    payload = event.content.get(PAYLOAD_KEY)
    if isinstance(payload, dict) and payload.get("type") == RECEIPT:
        inner = payload.get("content")
        if isinstance(inner, dict) and isinstance(inner.get("event_id"), str):
            return str(inner["event_id"])
    return None


async def open_officers(network: Network) -> dict[str, Officer]:
    bots = {network.authority(a).bot().user_id for a in AUTHORITIES}  # type: ignore[union-attr]
    officers: dict[str, Officer] = {}
    for authority_id in AUTHORITIES:
        authority = network.authority(authority_id)
        account = authority.officers()[0]
        store = Path(account.store_dir or "")
        client = await CoopNetClient.open(
            authority.client_url, account.user_id, store, device_policy(network, store)
        )
        officer = Officer(authority_id, client)

        async def on_event(event: ReceivedEvent, officer: Officer = officer) -> None:
            answered = answered_event(event, bots)
            if answered is not None:
                # Keyed by answering bot too: both bots of a room answer an echo.
                await officer.answers.arrived(f"{event.sender} {answered}", event)

        async def on_invite(invitation: Invitation, officer: Officer = officer) -> None:
            officer.invited.add(invitation.room_id)

        client.on_event(on_event)
        client.on_invite(on_invite)
        await client.sync_once()
        client.start()
        officers[authority_id] = officer
    return officers


def bot_user(network: Network, authority_id: str) -> str:
    account = network.authority(authority_id).bot()
    assert account is not None
    return account.user_id


async def open_room(
    network: Network, officers: dict[str, Officer], requesting: str, requested: str, phase: str
) -> tuple[str, str]:
    """A consultation room of two authorities with both officers and both bots."""
    sender, receiver = officers[requesting], officers[requested]
    case_ref = f"LOAD-{phase[:2].upper()}-{uuid.uuid4().hex[:6]}"
    bots = [bot_user(network, requesting), bot_user(network, requested)]
    room = await sender.client.create_consultation_room(
        case_ref,
        [receiver.client.user_id, *bots],
        [network.authority(requesting).server_name, network.authority(requested).server_name],
    )
    await receiver.client.wait_until(lambda: room in receiver.invited, TIMEOUT, "invitation")
    await receiver.client.join(room)
    everyone = {receiver.client.user_id, *bots}
    await sender.client.wait_until(
        lambda: everyone <= sender.client.joined(room), TIMEOUT, f"joins of {room}"
    )
    return room, case_ref


IDENTITY = PersonIdentity.from_dict(
    {"names": [{"family": "Doe", "given": "John"}], "date_of_birth": "1980-02-29"}
)


async def consult(
    network: Network,
    officers: dict[str, Officer],
    requesting: str,
    requested: str,
    phase: str,
    exchanges: int,
    ready: asyncio.Event,
    go: asyncio.Event,
) -> list[float]:
    """Open a consultation, wait for ``go``, then M exchanges, each until its answer."""
    room, case_ref = await open_room(network, officers, requesting, requested, phase)
    sender = officers[requesting]
    answerer = bot_user(network, requested)
    if phase == "echo":
        first = await sender.client.send_text(room, f"warm-up {case_ref}")
    else:
        opened = ConsultationOpened.from_dict(
            {
                "case_ref": case_ref,
                "kind": "extradition",
                "requesting_authority": requesting,
                "requested_authority": requested,
                "legal_basis": {"basis": "untoc"},
            }
        )
        assert isinstance(opened, ConsultationOpened), opened
        first = await sender.client.send(room, encode(opened))
    # Not timed: the opening (or warm-up) is answered before the load starts.
    await sender.answers.wait(f"{answerer} {first}", f"the answer to the opening of {room}")
    ready.set()
    print(f"  {phase}: {case_ref} {requesting} -> {requested} opened", flush=True)
    await go.wait()
    assert isinstance(IDENTITY, PersonIdentity)
    latencies = []
    for _ in range(exchanges):
        t0 = time.perf_counter()
        event_id = await sender.client.send(room, encode(IDENTITY))
        arrived = await sender.answers.wait(
            f"{answerer} {event_id}", f"the answer of {answerer} to {event_id}"
        )
        latencies.append(arrived - t0)
    if phase != "echo":
        check_receipt(network, sender, requested, answerer, event_id)
    return latencies


def check_receipt(
    network: Network, sender: Officer, requested: str, answerer: str, event_id: str
) -> None:
    """The receipts measured are the real thing: signed by the counterpart bot's key."""
    key = load_signing_key(botproc.signing_key_file(network.authority(requested))).public_key()
    event = sender.answers.events[f"{answerer} {event_id}"]
    assert isinstance(IDENTITY, PersonIdentity)
    check = verify_receipt(event.content, {key_id(key): key}, encode(IDENTITY))
    if not check.ok:
        raise AssertionError(f"the receipt of {event_id} does not verify: {check.reason}")


# ---------------------------------------------------------------- the bots of a phase
def start_bots(
    network: Network, phase: str, tree: Path | None
) -> dict[str, subprocess.Popen[bytes]]:
    """Start the three bots of a phase (the caller waits until they are ready)."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for authority_id in AUTHORITIES:
        authority = network.authority(authority_id)
        if phase == "echo":
            account = authority.bot()
            assert account is not None and account.store_dir
            botproc.ready_file(authority).unlink(missing_ok=True)
            with open(botproc.log_file(authority), "ab") as log:
                procs[authority_id] = subprocess.Popen(
                    [
                        sys.executable,
                        str(ECHO_BOT),
                        "--homeserver",
                        authority.client_url,
                        "--user-id",
                        account.user_id,
                        "--store",
                        account.store_dir,
                        "--ready-file",
                        str(botproc.ready_file(authority)),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        else:
            # ``-m coopnet`` imports from the working directory first: the tree's code.
            cwd, env = os.getcwd(), dict(os.environ)
            root = tree or Path(__file__).resolve().parent.parent
            os.chdir(root)
            os.environ["PYTHONPATH"] = str(root)
            try:
                procs[authority_id] = botproc.start(network, authority)
            finally:
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env)
    return procs


async def wait_bots_ready(network: Network, procs: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + TIMEOUT
    for authority_id, proc in procs.items():
        ready = botproc.ready_file(network.authority(authority_id))
        while True:
            try:
                if int(ready.read_text()) == proc.pid:
                    break
            except (OSError, ValueError):
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"the {authority_id} bot exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {authority_id} bot was not ready")
            await asyncio.sleep(0.2)


def stop_bots(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_profiles(
    procs: dict[str, subprocess.Popen[bytes]], profile: Path | None, phase: str
) -> list[subprocess.Popen[bytes]]:
    """py-spy on each bot during the load (collapsed stacks, sampled without pausing it)."""
    if profile is None:
        return []
    profile.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    return [
        subprocess.Popen(
            [str(spy), "record", "--pid", str(proc.pid), "--format", "raw", "--rate", "100"]
            + ["--nonblocking", "-o", str(profile / f"{phase}-{authority}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for authority, proc in procs.items()
    ]


def stop_profiles(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    for spy in spies:
        try:
            spy.wait(60)
        except subprocess.TimeoutExpired:
            spy.kill()


async def opened(readies: list[asyncio.Event], tasks: list[asyncio.Task[list[float]]]) -> None:
    """Until every consultation so far is open; a consultation that failed says why."""
    waiting = asyncio.ensure_future(asyncio.gather(*(r.wait() for r in readies)))
    pending: set[asyncio.Future[object]] = {waiting, *tasks}  # type: ignore[arg-type]
    while not waiting.done():
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # a consultation that ended before the start: its error


async def run_phase(
    network: Network,
    officers: dict[str, Officer],
    phase: str,
    consultations: int,
    exchanges: int,
    tree: Path | None,
    profile: Path | None,
) -> PhaseResult:
    procs = start_bots(network, phase, tree)
    try:
        await wait_bots_ready(network, procs)
        print(f"{phase}: bots ready", flush=True)
        go = asyncio.Event()
        readies = [asyncio.Event() for _ in range(consultations)]
        tasks = []
        for i in range(consultations):
            requesting, requested = PAIRS[i % len(PAIRS)]
            tasks.append(
                asyncio.create_task(
                    consult(
                        network, officers, requesting, requested, phase, exchanges, readies[i], go
                    )
                )
            )
            # Rooms are opened a few at a time: the set-up is not what is measured.
            if i % 4 == 3 or i == consultations - 1:
                await opened(readies[: i + 1], tasks)
        cpu0 = {a: cpu_seconds(p.pid) for a, p in procs.items()}
        t0 = time.perf_counter()
        spies = start_profiles(procs, profile, phase)
        go.set()
        print(f"{phase}: load started", flush=True)
        try:
            results = await asyncio.gather(*tasks)
        finally:
            stop_profiles(spies)
        wall = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) - cpu0[a] for a, p in procs.items())
        memory = {a: memory_mb(p.pid) for a, p in procs.items()}
    finally:
        stop_bots(procs)
    latencies = [value for result in results for value in result]
    total = len(latencies)
    return PhaseResult(
        name=phase,
        consultations=consultations,
        exchanges=total,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        mean_ms=statistics.mean(latencies) * 1000,
        wall_s=wall,
        exchanges_per_s=total / wall,
        bot_cpu_s=cpu,
        bot_cpu_ms_per_exchange=cpu / total * 1000,
        bot_rss_mb={a: round(m[0], 1) for a, m in memory.items()},
        bot_peak_rss_mb={a: round(m[1], 1) for a, m in memory.items()},
        latencies_ms=sorted(round(v * 1000, 1) for v in latencies),
    )


def show(result: PhaseResult) -> None:
    rss = sum(result.bot_rss_mb.values())
    print(
        f"{result.name:<8} n={result.exchanges:>5}  p50={result.p50_ms:7.1f} ms  "
        f"p95={result.p95_ms:7.1f} ms  mean={result.mean_ms:7.1f} ms  "
        f"{result.exchanges_per_s:5.1f}/s  bot CPU {result.bot_cpu_s:6.1f} s "
        f"({result.bot_cpu_ms_per_exchange:5.1f} ms/exchange)  bot RSS {rss:6.1f} MB "
        f"(peak {sum(result.bot_peak_rss_mb.values()):6.1f})",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--consultations", type=int, default=20)
    parser.add_argument("--exchanges", type=int, default=50)
    parser.add_argument("--base-address", default="127.0.4.1")
    parser.add_argument("--before-tree", type=Path, default=None)
    parser.add_argument("--phases", default=None, help="default: [before,]coopnet,echo")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy each bot during the load (DIR)"
    )
    parser.add_argument(
        "--plot", type=Path, default=None, help="draw each phase's latencies as a PNG (matplotlib)"
    )
    parser.add_argument(
        "--plot-only",
        type=Path,
        default=None,
        metavar="JSON",
        help="draw --plot from the JSON of an earlier run, run nothing",
    )
    args = parser.parse_args()
    if args.plot_only is not None:
        if args.plot is None:
            parser.error("--plot-only: say where the picture goes with --plot PNG")
        plot(json.loads(args.plot_only.read_text()), args.plot)
        return
    phases = (args.phases or ("before,coopnet,echo" if args.before_tree else "coopnet,echo")).split(
        ","
    )
    for phase in phases:
        if phase not in ("before", "coopnet", "echo"):
            parser.error(f"--phases: unknown phase {phase!r} (before, coopnet, echo)")
    if "before" in phases and args.before_tree is None:
        parser.error("--phases: the phase 'before' needs --before-tree DIR")
    if "echo" in phases and (phases[-1] != "echo" or phases.count("echo") > 1):
        parser.error("--phases: echo comes once, last (it takes over the bots' devices)")

    results: list[PhaseResult] = []
    load_avg: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="coopnet-bench-load-") as tmp:
        directory = Path(tmp) / "net"
        options = lifecycle.NetworkOptions(base_address=args.base_address)
        network = await lifecycle.up(directory, options, with_bots=False)
        officers: dict[str, Officer] = {}
        try:
            officers = await open_officers(network)
            for phase in phases:
                tree = args.before_tree if phase == "before" else None
                load_avg.append(os.getloadavg())
                result = await run_phase(
                    network, officers, phase, args.consultations, args.exchanges, tree, args.profile
                )
                results.append(result)
                show(result)
        finally:
            for officer in officers.values():
                await officer.client.close()
            await asyncio.to_thread(lifecycle.down, directory)

    ratios: dict[str, float] = {}
    echo = next((r for r in results if r.name == "echo"), None)
    print(
        f"{args.consultations} consultations x {args.exchanges} exchanges, "
        f"load average at each phase's start: "
        + ", ".join(f"{r.name} {a[0]:.1f}" for r, a in zip(results, load_avg, strict=True))
    )
    for i, measured in enumerate(results):
        if measured.name == "echo" or echo is None:
            continue
        name = phase_label(phases, i)
        ratios[f"{name}_p50"] = measured.p50_ms / echo.p50_ms
        ratios[f"{name}_p95"] = measured.p95_ms / echo.p95_ms
        ratios[f"{name}_cpu"] = measured.bot_cpu_s / echo.bot_cpu_s
        print(
            f"ratio {name} / echo: p50 {ratios[f'{name}_p50']:.2f} (target <= 1.1), "
            f"p95 {ratios[f'{name}_p95']:.2f}, bot CPU {ratios[f'{name}_cpu']:.2f}"
        )
    report = {
        "command": " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_phase_start": [
            [r.name, a[0]] for r, a in zip(results, load_avg, strict=True)
        ],
        "phases": [asdict(r) for r in results],
        "ratios_to_echo": ratios,
    }
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.plot is not None:
        plot(report, args.plot)


def phase_label(names: list[str], i: int) -> str:
    """The ``i``-th phase's name; a phase run more than once (--phases
    before,coopnet,before,coopnet,echo) is named by its place in the run."""
    return names[i] if names.count(names[i]) == 1 else f"{names[i]}-{i + 1}"


def plot(report: dict[str, Any], path: Path) -> None:
    """Each phase's send -> answer latencies as a distribution (share of exchanges
    answered within a time), with the p50 and p95 marked, and the bots' CPU per
    exchange: the echo baseline next to the receipt path of the same run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases = report["phases"]
    figure, (latency, cpu) = plt.subplots(
        1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 1]}
    )
    names = []
    for i, phase in enumerate(phases):
        values = phase.get("latencies_ms") or []
        name = phase_label([p["name"] for p in phases], i)
        names.append(name)
        if not values:
            continue
        shares = [(k + 1) / len(values) for k in range(len(values))]
        (line,) = latency.plot(
            [v / 1000 for v in values],
            shares,
            label=f"{name}: p50 {phase['p50_ms'] / 1000:.2f} s, p95 {phase['p95_ms'] / 1000:.2f} s",
        )
        for q in ("p50_ms", "p95_ms"):
            latency.axvline(phase[q] / 1000, color=line.get_color(), linestyle=":", linewidth=1)
    latency.set_xlabel("send -> certified receipt (echo: -> echo answer), s")
    latency.set_ylabel("share of exchanges answered")
    latency.set_title(
        f"{phases[0]['consultations']} concurrent consultations, "
        f"{phases[0]['exchanges']} exchanges a phase ({report['date']})"
    )
    latency.grid(alpha=0.3)
    latency.legend(loc="lower right")
    cpu.bar(names, [p["bot_cpu_ms_per_exchange"] for p in phases])
    cpu.set_ylabel("bot CPU per exchange, ms (3 bots)")
    cpu.set_title("bot CPU")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
