"""The federation gate in production: a homeserver rendered by ``coopnet admin`` loads
``coopnet.federation_gate`` (Synapse from this venv, where CoopNet is installed), and an
authority removed from the directory that ``publish-directory`` installs is cut off at
once — its officer's next message is dropped, an invite to it refused — while Synapse
keeps running with the old allowlist (no restart).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coopnet.cli import main
from coopnet.errors import MatrixError
from coopnet.network import Network
from tests.admin.conftest import LAB_ADDRESS, PRODUCTION_ADDRESS
from tests.admin.exchange import Consultation, consult_lab, register_officer, wait_healthy
from tests.admin.postgres import find_pg_bin
from tests.admin.production import log_tail, running_production
from tests.harness import wait_for
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(find_pg_bin() is not None, "PostgreSQL is not installed"),
]
TIMEOUT = 120.0
log = logging.getLogger(__name__)


@pytest.fixture
def production(tmp_path: Path, lab_network: Network) -> Iterator[tuple[Path, str]]:
    with running_production(tmp_path, lab_network) as running:
        yield running


def _synapse_log(out: Path) -> str:
    path = out / "data" / "synapse" / "homeserver.log"
    return path.read_text(errors="replace") if path.exists() else ""


LOADED = "Loaded module <coopnet.federation_gate.DirectoryGate object"  # once per start


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_a_removed_authority_is_cut_off_by_the_gate_without_a_restart(
    production: tuple[Path, str], lab_network: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    out, url = production
    steward = out.parent / "steward"
    await wait_healthy(url + "/health", "Synapse to start", explain=lambda: log_tail(out))
    # Synapse loaded the module, which verified the installed directory at start.
    in_force = f"v2 in force: federating with {LAB_ADDRESS}, {PRODUCTION_ADDRESS}"
    await wait_for(lambda: in_force in _synapse_log(out), "the gate's first verification")
    assert _synapse_log(out).count(LOADED) == 1
    officer = await register_officer(out, "officer.gate", PRODUCTION_ADDRESS, capsys)

    async def cut_off(consultation: Consultation) -> None:
        room_id = consultation.room_id
        capsys.readouterr()
        assert await _cli("directory", "remove-authority", "ch", "--steward-dir", str(steward)) == 0
        publish = ["admin", "publish-directory", "--steward-dir", str(steward)]
        assert await _cli(*publish, "--authority-dir", str(out)) == 0
        published_at = time.monotonic()
        printed = capsys.readouterr().out
        assert f"removed: {LAB_ADDRESS} (refused by the gate from now on)" in printed, printed

        dropped = await consultation.lab.send_text(room_id, "sent after the removal")
        await wait_for(
            lambda: f"dropped event {dropped} from {LAB_ADDRESS}" in _synapse_log(out),
            "the production homeserver's gate to drop the lab's event",
            TIMEOUT,
            explain=lambda: log_tail(out),
        )
        log.info(
            "the removed authority's first message dropped %.2f s after publish-directory",
            time.monotonic() - published_at,
        )
        # Never stored: the production side's history of the room does not hold it.
        history = await consultation.prod.history(room_id)
        assert dropped not in {e.event_id for e in history}
        assert consultation.got("prod", "sent after the removal") is None
        # An invite to the removed server is refused by the gate, naming why.
        with pytest.raises(MatrixError) as refused:
            await consultation.prod.invite(room_id, f"@another.officer:{LAB_ADDRESS}")
        assert f"{LAB_ADDRESS} is not a member of the network" in str(refused.value)
        assert "signed directory v3 does not list it" in str(refused.value)

    await consult_lab(out, url, PRODUCTION_ADDRESS, officer, lab_network, then=cut_off)
    # The running process re-read the directory; Synapse never restarted, so its
    # allowlist (read at start) still lists the lab: the gate alone refused it.
    assert f"v3 in force: federating with {PRODUCTION_ADDRESS}\n" in _synapse_log(out)
    assert _synapse_log(out).count(LOADED) == 1
