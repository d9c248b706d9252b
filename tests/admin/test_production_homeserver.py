"""The production path, proven on one machine: a homeserver rendered by ``coopnet admin``
runs on a real PostgreSQL server, gets an officer through ``register-officer`` and
exchanges end-to-end encrypted messages with an officer of the lab network.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from coopnet.cli import main
from coopnet.matrix import CoopNetClient, EnrolledDevices, ReceivedEvent
from coopnet.network import Network
from coopnet.network.process import check_port_free
from tests.admin.conftest import LAB_ADDRESS, POSTGRES_PORT, PRODUCTION_ADDRESS
from tests.admin.postgres import find_pg_bin, running_postgres
from tests.harness import wait_async, wait_for
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(find_pg_bin() is not None, "PostgreSQL is not installed"),
]


def _render(tmp_path: Path, lab: Network) -> Path:
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


def _env(out: Path) -> dict[str, str]:
    lines = (out / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _log_tail(out: Path) -> str:
    parts = []
    for path in (out / "data" / "synapse" / "homeserver.log", out / "synapse.stdout.log"):
        if path.exists():
            parts.append(f"--- {path}\n" + "\n".join(path.read_text().splitlines()[-30:]))
    return "\n".join(parts)


@pytest.fixture
def production(tmp_path: Path, lab_network: Network) -> Iterator[tuple[Path, str]]:
    """Render, start PostgreSQL and Synapse; stop both afterwards."""
    out = _render(tmp_path, lab_network)
    check_port_free(PRODUCTION_ADDRESS, POSTGRES_PORT, "test PostgreSQL")
    env = _env(out)
    with running_postgres(
        PRODUCTION_ADDRESS,
        POSTGRES_PORT,
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        env["POSTGRES_DB"],
    ):
        stdout = open(out / "synapse.stdout.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(out / "synapse" / "config"),
            ],
            cwd=out,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        stdout.close()
        try:
            yield out, f"http://{PRODUCTION_ADDRESS}:8008"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _config(out: Path) -> dict:
    return yaml.safe_load((out / "synapse" / "config" / "homeserver.yaml").read_text())


async def test_production_homeserver_on_postgresql_federates_encrypted(
    production: tuple[Path, str], lab_network: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    out, url = production
    assert _config(out)["database"]["name"] == "psycopg2"
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            try:
                async with session.get(url + "/health") as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        await wait_async(healthy, "Synapse to start", 120, explain=lambda: _log_tail(out))
    capsys.readouterr()

    # An officer registered through the admin command; the password is not printed.
    code = await asyncio.to_thread(
        main,
        [
            "admin",
            "register-officer",
            "--authority-dir",
            str(out),
            "--localpart",
            "officer.prod",
            "--display-name",
            "Production officer",
        ],
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    password = (out / "secrets" / "officer.prod.password").read_text().strip()
    assert password not in printed
    # Its secret storage and key backup exist already; the recovery key is in a file too.
    key_file = out / "secrets" / "officer.prod.recovery-key"
    recovery_key = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0 and recovery_key not in printed
    assert f"@officer.prod:{PRODUCTION_ADDRESS}" in printed

    lab_authority = lab_network.authority("ch")
    lab_account = lab_authority.officers()[0]
    lab_devices = {
        acc.user_id: {acc.device_id: acc.ed25519}
        for acc in lab_authority.accounts
        if acc.device_id and acc.ed25519
    }
    prod_user = f"@officer.prod:{PRODUCTION_ADDRESS}"
    prod = await CoopNetClient.open(
        url,
        prod_user,
        out / "clients" / "officer.prod",
        policy=EnrolledDevices(lab_devices),
        password=password,
    )
    lab = await CoopNetClient.open(
        lab_authority.client_url,
        lab_account.user_id,
        Path(lab_account.store_dir or ""),
        policy=EnrolledDevices({**lab_devices, prod_user: {prod.device_id: prod.ed25519_key}}),
    )
    # The production side learns its own device too (trusts itself for its other devices).
    prod.policy = EnrolledDevices({**lab_devices, prod_user: {prod.device_id: prod.ed25519_key}})
    received: dict[str, list[ReceivedEvent]] = {"prod": [], "lab": []}
    invited: list[str] = []

    async def on_prod(event: ReceivedEvent) -> None:
        received["prod"].append(event)

    async def on_lab(event: ReceivedEvent) -> None:
        received["lab"].append(event)

    async def on_invite(invitation) -> None:  # type: ignore[no-untyped-def]
        invited.append(invitation.room_id)

    # The officer's device unlocks the key backup once (nothing to restore yet) and takes
    # the cross-signing keys made at registration from secret storage: it signs itself.
    assert not prod.cross_signing_status.device_signed
    unlocked = await prod.recovery.unlock(recovery_key)
    assert unlocked.imported == 0 and prod.key_backup.enabled
    assert prod.cross_signing_status.device_signed
    assert f"its master key {prod.master_key} is listed" in printed or (
        f"set-master-key {prod_user} {prod.master_key}" in printed
    )
    prod.on_event(on_prod)
    lab.on_event(on_lab)
    lab.on_invite(on_invite)
    try:
        await prod.sync_once()
        await lab.sync_once()
        prod.start()
        lab.start()
        room_id = await prod.create_consultation_room(
            f"PR-CH-{uuid.uuid4().hex[:6]}",
            invite=[lab_account.user_id],
            servers=[PRODUCTION_ADDRESS, LAB_ADDRESS],
        )
        await wait_for(lambda: room_id in invited, "the lab officer's invitation")
        await lab.join(room_id)
        await prod.wait_until(
            lambda: lab_account.user_id in prod.joined(room_id), 60, "the lab join"
        )
        await prod.send_text(room_id, "Hello from a PostgreSQL-backed homeserver")
        await lab.send_text(room_id, "Received, thank you")

        def got(side: str, text: str) -> ReceivedEvent | None:
            return next(
                (e for e in received[side] if e.content.get("body", "").startswith(text)), None
            )

        await wait_for(lambda: got("lab", "Hello from") is not None, "lab to decrypt")
        await wait_for(lambda: got("prod", "Received") is not None, "production to decrypt")
        message = got("lab", "Hello from")
        assert message is not None and message.encrypted and message.decrypted
        assert message.sender == prod_user
        # Both room keys (its own session and the lab officer's) are in the backup.
        await prod.back_up_keys()
        version = await prod.recovery.backup_version()
        assert version is not None and version.count >= 2
    finally:
        await prod.close()
        await lab.close()

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
