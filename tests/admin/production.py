"""A production homeserver rendered by ``coopnet admin`` for a lab: its steward imports
the lab network's CA and lists the lab's authority ``ch``; the homeserver runs on a real
PostgreSQL server, Synapse from this venv (CoopNet installed: it loads the federation
gate). Shared by test_production_homeserver and test_production_gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coopnet.cli import main
from coopnet.network import Network
from coopnet.network.process import check_port_free
from tests.admin.conftest import LAB_ADDRESS, POSTGRES_PORT, PRODUCTION_ADDRESS
from tests.admin.helpers import compose_env
from tests.admin.postgres import running_postgres
from tests.admin.services import SynapseProcesses

URL = f"http://{PRODUCTION_ADDRESS}:8008"


def render_production(tmp_path: Path, lab: Network) -> Path:
    steward, out = tmp_path / "steward", tmp_path / "authority"
    ca = Path(lab.ca_cert)
    assert (
        main(
            [
                "admin",
                "init-network",
                "--dir",
                str(steward),
                "--name",
                "lab",
                "--import-ca",
                str(ca),
                str(ca.with_suffix(".key")),
                "--member",
                f"ch={LAB_ADDRESS}",
                "--lab",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "admin",
                "add-authority",
                "--steward-dir",
                str(steward),
                "--id",
                "pr",
                "--server-name",
                PRODUCTION_ADDRESS,
                "--out",
                str(out),
                "--target",
                "host",
                "--tls",
                "synapse",
                "--bind",
                PRODUCTION_ADDRESS,
                "--db-host",
                PRODUCTION_ADDRESS,
                "--db-port",
                str(POSTGRES_PORT),
                "--lab",
            ]
        )
        == 0
    )
    return out


def log_tail(out: Path) -> str:
    parts = []
    for path in (out / "data" / "synapse" / "homeserver.log", out / "synapse.out"):
        if path.exists():
            parts.append(f"--- {path}\n" + "\n".join(path.read_text().splitlines()[-30:]))
    return "\n".join(parts)


@contextmanager
def running_production(tmp_path: Path, lab_network: Network) -> Iterator[tuple[Path, str]]:
    """Render, start PostgreSQL and Synapse; stop both afterwards."""
    out = render_production(tmp_path, lab_network)
    check_port_free(PRODUCTION_ADDRESS, POSTGRES_PORT, "test PostgreSQL")
    env = compose_env(out)
    with running_postgres(
        PRODUCTION_ADDRESS,
        POSTGRES_PORT,
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        env["POSTGRES_DB"],
    ):
        synapse = SynapseProcesses(out)
        synapse.start("synapse", "synapse.app.homeserver", out / "synapse" / "config")
        try:
            yield out, URL
        finally:
            synapse.stop()
