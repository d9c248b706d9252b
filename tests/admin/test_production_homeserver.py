"""The production path, proven on one machine: a homeserver rendered by ``coopnet admin``
runs on a real PostgreSQL server, gets an officer through ``register-officer`` and
exchanges end-to-end encrypted messages with an officer of the lab network.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from coopnet.cli import main
from coopnet.network import Network
from tests.admin.conftest import PRODUCTION_ADDRESS
from tests.admin.exchange import Consultation, consult_lab, register_officer, wait_healthy
from tests.admin.postgres import find_pg_bin
from tests.admin.production import log_tail, running_production
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(find_pg_bin() is not None, "PostgreSQL is not installed"),
]


@pytest.fixture
def production(tmp_path: Path, lab_network: Network) -> Iterator[tuple[Path, str]]:
    with running_production(tmp_path, lab_network) as running:
        yield running


def _config(out: Path) -> dict:
    return yaml.safe_load((out / "synapse" / "config" / "homeserver.yaml").read_text())


async def test_production_homeserver_on_postgresql_federates_encrypted(
    production: tuple[Path, str], lab_network: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    out, url = production
    assert _config(out)["database"]["name"] == "psycopg2"
    await wait_healthy(url + "/health", "Synapse to start", explain=lambda: log_tail(out))
    # An officer registered through the admin command; the password is not printed.
    officer = await register_officer(out, "officer.prod", PRODUCTION_ADDRESS, capsys)
    prod_user, password = officer.user_id, officer.password

    async def backed_up(consultation: Consultation) -> None:
        # Both room keys (its own session and the lab officer's) are in the backup.
        prod = consultation.prod
        await prod.back_up_keys()
        version = await prod.recovery.backup_version()
        assert version is not None and version.count >= 2

    await consult_lab(out, url, PRODUCTION_ADDRESS, officer, lab_network, then=backed_up)

    # Deactivation through the admin API: the account cannot log in any more.
    code = await asyncio.to_thread(
        main, ["admin", "deactivate-officer", "--authority-dir", str(out), "--user", prod_user]
    )
    assert code == 0, capsys.readouterr()
    async with aiohttp.ClientSession() as session:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": prod_user},
            "password": password,
        }
        async with session.post(f"{url}/_matrix/client/v3/login", json=body) as resp:
            assert resp.status in (401, 403)
    assert os.path.exists(out / "secrets" / "coopnet-admin.password")
