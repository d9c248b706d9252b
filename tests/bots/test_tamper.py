"""Tampering with the bot's real record: one changed byte of one entry is detected and
``coopnet records verify`` names that entry.

The record is snapshotted (SQLite backup API) after a short consultation and the copy is
tampered with: the session's other tests keep verifying the live file.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bots.consultation.runner import records_path
from coopnet.network import Network
from coopnet.records.database import verify_db
from tests.bots.helpers import open_ch_mx_consultation, receipt_for, send_event
from tests.bots.record_reader import room_entries
from tests.harness import wait_for

pytestmark = pytest.mark.integration


def _snapshot(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _flip_one_byte(db: Path, seq: int, column: str) -> None:
    """What an attacker with write access does: drop the guards, change one byte."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
        value = conn.execute(f"SELECT {column} FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
        index = len(value) // 2
        changed = value[:index] + ("0" if value[index] != "0" else "1") + value[index + 1 :]
        assert len(changed.encode()) == len(value.encode()) and changed != value
        conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (changed, seq))
        conn.commit()
    finally:
        conn.close()


def _verify_cli(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coopnet", "records", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_one_changed_byte_is_named(network: Network, open_client, start_bot, tmp_path):
    bot = await start_bot("ch")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    room, case_ref = await open_ch_mx_consultation(ch, mx, bot.user_id, "TAMPER")
    await ch.send_text(room, "Good morning, a short consultation.")
    identity = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.identity",
            "version": 1,
            "content": {"names": [{"family": "Doe", "given": "John"}], "nationalities": ["CH"]},
        },
    )
    await wait_for(lambda: receipt_for(ch_inbox, identity) is not None, "ch's receipt")
    db = records_path(network.authority("ch"))
    await wait_for(lambda: len(room_entries(db, room)) >= 4, "4 entries of the consultation")
    target = next(e for e in room_entries(db, room) if e.event_id == identity)

    for column in ("content", "sender", "signature"):
        copy = tmp_path / f"records-{column}.db"
        _snapshot(db, copy)
        intact = _verify_cli(copy)
        assert intact.returncode == 0, intact.stdout + intact.stderr
        _flip_one_byte(copy, target.seq, column)
        assert not verify_db(copy).ok
        broken = _verify_cli(copy)
        output = broken.stdout + broken.stderr
        assert broken.returncode == 1, output
        assert f"entry {target.seq}:" in output, (column, output)
