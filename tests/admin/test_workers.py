"""The worker profile, booted here: ``coopnet admin add-authority --workers`` renders a
homeserver split into processes (main, client and federation workers, a federation
sender, an event persister) with Redis and PostgreSQL behind the rendered nginx; an
officer on it consults an officer of the lab network through it, both ways, and the lab
authority's consultation bot certifies the officer's opening event: the signed receipt
comes back through the federation worker to the officer's client worker.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import yaml

from coopnet.admin import workers
from coopnet.admin.settings import load_settings
from coopnet.cli import main
from coopnet.matrix import ReceivedEvent
from coopnet.network import Network, botproc, load_network
from coopnet.network import trust as network_trust
from coopnet.network.process import check_port_free, file_tail
from coopnet.protocol import PAYLOAD_KEY, encode
from coopnet.receipts import keys_from_directory, verify_receipt
from tests.admin.conftest import LAB_ADDRESS, POSTGRES_PORT, WORKERS_ADDRESS, WORKERS_BACKEND
from tests.admin.exchange import (
    Consultation,
    Officer,
    consult_lab,
    register_officer,
    wait_healthy,
)
from tests.admin.helpers import compose_env
from tests.admin.postgres import find_pg_bin, running_postgres
from tests.admin.services import SynapseProcesses, running_nginx, running_redis
from tests.bots.helpers import payload_type
from tests.harness import opened, wait_for
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(find_pg_bin() is not None, "PostgreSQL is not installed"),
]
REDIS_PORT = 6379
GATE_LOADED = "Loaded module <coopnet.federation_gate.DirectoryGate object"


def _render(tmp_path: Path, lab: Network) -> Path:
    steward, out = tmp_path / "steward", tmp_path / "authority"
    ca = Path(lab.ca_cert)
    init = ["admin", "init-network", "--dir", str(steward), "--name", "lab"]
    init += ["--import-ca", str(ca), str(ca.with_suffix(".key"))]
    assert main([*init, "--member", f"ch={LAB_ADDRESS}", "--lab"]) == 0
    add = ["admin", "add-authority", "--steward-dir", str(steward), "--id", "wk"]
    add += ["--server-name", WORKERS_ADDRESS, "--out", str(out), "--target", "host"]
    add += ["--tls", "proxy", "--bind", WORKERS_BACKEND, "--workers", "--lab"]
    add += ["--db-host", WORKERS_BACKEND, "--db-port", str(POSTGRES_PORT)]
    add += ["--redis-host", WORKERS_BACKEND, "--redis-port", str(REDIS_PORT)]
    assert main(add) == 0
    return out


def _logs(out: Path) -> str:
    parts = []
    for path in sorted((out / "data" / "synapse").glob("*.log")) + sorted(out.glob("*.out")):
        lines = path.read_text(errors="replace").splitlines()
        errors = [line for line in lines if " - ERROR - " in line or "Traceback" in line]
        parts.append(f"--- {path.name}\n" + "\n".join((errors or lines)[-15:]))
    return "\n".join(parts)


def _probe(worker: workers.Worker) -> str:
    """A URL that answers once the worker is up (senders have only metrics)."""
    if worker.http_port is not None:
        return f"http://{WORKERS_BACKEND}:{worker.http_port}/health"
    if worker.replication_port is not None:
        return f"http://{WORKERS_BACKEND}:{worker.replication_port}/health"
    return f"http://{WORKERS_BACKEND}:{worker.metrics_port}/metrics"


@pytest.fixture
async def worker_homeserver(
    tmp_path: Path, lab_network: Network
) -> AsyncIterator[tuple[Path, str]]:
    out = _render(tmp_path, lab_network)
    settings = load_settings(out)
    plan = workers.plan(settings)
    for port in (POSTGRES_PORT, REDIS_PORT, settings.client_port, *workers.ports(settings)):
        check_port_free(WORKERS_BACKEND, port, "the worker profile")
    env = compose_env(out)
    config = out / "synapse" / "config"
    processes = SynapseProcesses(out)
    async with AsyncExitStack() as stack:
        stack.enter_context(
            running_postgres(
                WORKERS_BACKEND,
                POSTGRES_PORT,
                env["POSTGRES_USER"],
                env["POSTGRES_PASSWORD"],
                env["POSTGRES_DB"],
            )
        )
        await stack.enter_async_context(
            running_redis(WORKERS_BACKEND, REDIS_PORT, tmp_path / "redis")
        )
        stack.callback(processes.stop)
        # The main process first: it creates the schema the workers check at start.
        processes.start("main", "synapse.app.homeserver", config)
        await wait_healthy(
            f"{settings.admin_url}/health", "the main process", explain=lambda: _logs(out)
        )
        for worker in plan:
            processes.start(worker.name, workers.GENERIC_WORKER, config, out / worker.config_file)
        for worker in plan:
            await wait_healthy(_probe(worker), worker.name, explain=lambda: _logs(out))
        await stack.enter_async_context(
            running_nginx(
                out / "proxy" / "coopnet.conf",
                tmp_path / "nginx",
                WORKERS_ADDRESS,
                [settings.client_port, settings.federation_port],
            )
        )
        yield out, f"http://{WORKERS_ADDRESS}:{settings.client_port}"


async def _list_in_the_lab_directory(lab: Network, officer: Officer) -> str:
    """The lab's steward lists the worker profile's officer with its master key (printed
    by register-officer: the devices it signs are trusted), under the external member
    entry of its server; the lab bot trusts the officer's device from its next tick."""
    directory = network_trust.load_directory(load_network(lab.directory))
    entry = next(a for a in directory.authorities if a.server_name == WORKERS_ADDRESS)
    user_id = officer.user_id
    master = re.search(rf"set-master-key {re.escape(user_id)} (\S+)", officer.printed)
    assert master is not None, "register-officer printed no master key to list"
    net = ["--dir", str(lab.directory)]
    assert await asyncio.to_thread(main, ["directory", "add-officer", entry.id, user_id, *net]) == 0
    set_key = ["directory", "set-master-key", user_id, master.group(1), *net]
    assert await asyncio.to_thread(main, set_key) == 0
    return entry.id


async def _certified_by_the_lab_bot(c: Consultation, lab: Network, external_id: str) -> None:
    """The lab bot (invited with the room) has joined and reloaded the directory: it
    certifies the officer's opening with a receipt signed by its listed key."""
    network = load_network(lab.directory)
    bot = network.authority("ch").bot()
    assert bot is not None
    version = network_trust.load_directory(network).version
    bot_log = botproc.log_file(network.authority("ch"))
    await wait_for(
        lambda: f"server ACLs follow directory v{version}" in bot_log.read_text(errors="replace"),
        "the lab bot to reload the directory that lists the officer",
        120,
        explain=lambda: file_tail(bot_log, 20) or "(no bot log)",
    )
    await c.prod.wait_until(lambda: bot.user_id in c.prod.joined(c.room_id), 120, "the bot's join")
    case_ref = f"WK-CH-{uuid.uuid4().hex[:6]}"
    opening = await c.prod.send(c.room_id, encode(opened(case_ref, external_id, "ch")))

    def receipt() -> ReceivedEvent | None:
        return next(
            (
                e
                for e in c.received["prod"]
                if payload_type(e) == "org.coopnet.consultation.receipt"
                and e.content[PAYLOAD_KEY]["content"].get("event_id") == opening
            ),
            None,
        )

    await wait_for(
        lambda: receipt() is not None,
        "the lab bot's receipt of the opening",
        120,
        explain=lambda: file_tail(bot_log, 20) or "(no bot log)",
    )
    found = receipt()
    assert found is not None and found.sender == bot.user_id and found.decrypted
    sent = next(e for e in c.received["lab"] if e.event_id == opening)
    keys = keys_from_directory(network_trust.load_directory(network))
    check = verify_receipt(found.content, keys, sent.content)
    assert check.ok, check.reason


def _served_by(out: Path, worker: str, path: str) -> bool:
    log = out / "data" / "synapse" / f"{worker}.log"
    return log.exists() and path in log.read_text(errors="replace")


async def test_worker_profile_carries_a_consultation(
    worker_homeserver: tuple[Path, str],
    lab_network: Network,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, url = worker_homeserver
    homeserver = yaml.safe_load((out / "synapse" / "config" / "homeserver.yaml").read_text())
    assert homeserver["database"]["name"] == "psycopg2" and homeserver["redis"]["enabled"]
    assert homeserver["stream_writers"] == {"events": ["event_persister1"]}
    assert homeserver["federation_sender_instances"] == ["federation_sender1"]
    await wait_healthy(f"{url}/_matrix/client/versions", "the proxy", explain=lambda: _logs(out))
    # Every process, main and workers, loaded the federation gate from the shared config
    # (the federation worker is where the lab's transactions meet it).
    names = ["homeserver"] + [w.name for w in workers.plan(load_settings(out))]
    for name in names:
        assert _served_by(out, name, GATE_LOADED), f"{name} did not load the gate"
    officer = await register_officer(out, "officer.wk", WORKERS_ADDRESS, capsys)
    external_id = await _list_in_the_lab_directory(lab_network, officer)
    await consult_lab(
        out,
        url,
        WORKERS_ADDRESS,
        officer,
        lab_network,
        then=lambda c: _certified_by_the_lab_bot(c, lab_network, external_id),
        with_lab_bot=True,
    )
    # The work went where the profile sends it: the officer's /sync and sends to the
    # client workers, the lab's transactions to the federation worker, and the events
    # were persisted by the event persister, sent out by the federation sender.
    client_logs = [f"client{i}" for i in (1, 2)]
    assert any(_served_by(out, w, "/_matrix/client/v3/sync") for w in client_logs), _logs(out)
    assert any(_served_by(out, w, "/send/m.room.encrypted/") for w in client_logs)
    assert _served_by(out, "federation1", "/_matrix/federation/v1/send/"), _logs(out)
    # Events created by the client workers and received by the federation worker reach
    # the persister over replication (Synapse's send_events / fed_send_events).
    assert _served_by(out, "event_persister1", "/_synapse/replication/send_events/"), _logs(out)
    assert _served_by(out, "event_persister1", "/_synapse/replication/fed_send_events/")
    sender = (out / "data" / "synapse" / "federation_sender1.log").read_text(errors="replace")
    sent = [
        line
        for line in sender.splitlines()
        if LAB_ADDRESS in line and "/_matrix/federation/v1/send/" in line
    ]
    assert sent, "the federation sender never sent a transaction to the lab server"
    # The receipt came in through the federation worker (the bot's event in a transaction).
    assert _served_by(out, "federation1", "/_matrix/federation/v1/send/")
