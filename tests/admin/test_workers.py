"""The worker profile, booted here: ``coopnet admin add-authority --workers`` renders a
homeserver split into processes (main, client and federation workers, a federation
sender, an event persister) with Redis and PostgreSQL behind the rendered nginx; an
officer on it consults an officer of the lab network through it, both ways.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import yaml

from coopnet.admin import workers
from coopnet.admin.settings import load_settings
from coopnet.cli import main
from coopnet.network import Network
from coopnet.network.process import check_port_free
from tests.admin.conftest import LAB_ADDRESS, POSTGRES_PORT, WORKERS_ADDRESS, WORKERS_BACKEND
from tests.admin.exchange import consult_lab, register_officer, wait_healthy
from tests.admin.helpers import compose_env
from tests.admin.postgres import find_pg_bin, running_postgres
from tests.admin.services import SynapseProcesses, running_nginx, running_redis
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
    await consult_lab(out, url, WORKERS_ADDRESS, officer, lab_network)
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
