"""An officer registered on a production homeserver (rendered by ``coopnet admin``)
consults an officer of the lab network: end-to-end encrypted messages both ways.

Shared by the single-process test (test_production_homeserver), the federation gate's
(test_production_gate) and the worker profile's (test_workers); ``then`` runs with both
officers' clients still open.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from coopnet.cli import main
from coopnet.matrix import CoopNetClient, EnrolledDevices, ReceivedEvent
from coopnet.network import Network
from tests.admin.conftest import LAB_ADDRESS
from tests.harness import wait_async, wait_for


@dataclass(frozen=True)
class Officer:
    user_id: str
    password: str
    recovery_key: str
    printed: str  # what register-officer printed


@dataclass
class Consultation:
    """The room both officers are in, their clients, and what each has received."""

    prod: CoopNetClient
    lab: CoopNetClient
    room_id: str
    received: dict[str, list[ReceivedEvent]]  # "prod" / "lab": decrypted events

    def got(self, side: str, text: str) -> ReceivedEvent | None:
        return next(
            (e for e in self.received[side] if e.content.get("body", "").startswith(text)), None
        )


async def wait_healthy(url: str, what: str, explain: Callable[[], str]) -> None:
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            try:
                async with session.get(url) as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        await wait_async(healthy, what, 120, explain=explain)


async def register_officer(
    out: Path, localpart: str, server_name: str, capsys: pytest.CaptureFixture[str]
) -> Officer:
    """``coopnet admin register-officer``; the password and recovery key stay in files."""
    capsys.readouterr()
    code = await asyncio.to_thread(
        main,
        [
            "admin",
            "register-officer",
            "--authority-dir",
            str(out),
            "--localpart",
            localpart,
            "--display-name",
            "Production officer",
        ],
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    password = (out / "secrets" / f"{localpart}.password").read_text().strip()
    assert password not in printed
    key_file = out / "secrets" / f"{localpart}.recovery-key"
    recovery_key = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0 and recovery_key not in printed
    user_id = f"@{localpart}:{server_name}"
    assert user_id in printed
    return Officer(user_id, password, recovery_key, printed)


async def consult_lab(
    out: Path,
    url: str,
    server_name: str,
    officer: Officer,
    lab_network: Network,
    then: Callable[[Consultation], Awaitable[None]] | None = None,
    with_lab_bot: bool = False,
) -> None:
    """Open a consultation room from the production side, exchange a message each way;
    ``with_lab_bot`` invites the lab authority's bot too (a room's power levels are set
    for its invitees at creation, so it is invited then)."""
    lab_authority = lab_network.authority("ch")
    lab_account = lab_authority.officers()[0]
    lab_bot = lab_authority.bot()
    bots = [lab_bot.user_id] if with_lab_bot and lab_bot is not None else []
    lab_devices = {
        acc.user_id: {acc.device_id: acc.ed25519}
        for acc in lab_authority.accounts
        if acc.device_id and acc.ed25519
    }
    prod = await CoopNetClient.open(
        url,
        officer.user_id,
        out / "clients" / officer.user_id.split(":")[0].lstrip("@"),
        policy=EnrolledDevices(lab_devices),
        password=officer.password,
    )
    both = EnrolledDevices({**lab_devices, officer.user_id: {prod.device_id: prod.ed25519_key}})
    lab = await CoopNetClient.open(
        lab_authority.client_url,
        lab_account.user_id,
        Path(lab_account.store_dir or ""),
        policy=both,
    )
    # The production side learns its own device too (trusts itself for its other devices).
    prod.policy = both
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
    unlocked = await prod.recovery.unlock(officer.recovery_key)
    assert unlocked.imported == 0 and prod.key_backup.enabled
    assert prod.cross_signing_status.device_signed
    assert f"its master key {prod.master_key} is listed" in officer.printed or (
        f"set-master-key {officer.user_id} {prod.master_key}" in officer.printed
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
            invite=[lab_account.user_id, *bots],
            servers=[server_name, LAB_ADDRESS],
        )
        await wait_for(lambda: room_id in invited, "the lab officer's invitation")
        await lab.join(room_id)
        await prod.wait_until(
            lambda: lab_account.user_id in prod.joined(room_id), 60, "the lab join"
        )
        await prod.send_text(room_id, "Hello from a PostgreSQL-backed homeserver")
        await lab.send_text(room_id, "Received, thank you")
        consultation = Consultation(prod, lab, room_id, received)
        got = consultation.got

        await wait_for(lambda: got("lab", "Hello from") is not None, "lab to decrypt")
        await wait_for(lambda: got("prod", "Received") is not None, "production to decrypt")
        message = got("lab", "Hello from")
        assert message is not None and message.encrypted and message.decrypted
        assert message.sender == officer.user_id
        reply = got("prod", "Received")
        assert reply is not None and reply.encrypted and reply.decrypted
        assert reply.sender == lab_account.user_id
        if then is not None:
            await then(consultation)
    finally:
        await prod.close()
        await lab.close()
