"""The record's filesystem full (issue 19, part 4).

The Swiss bot (in-process) writes its record on a small tmpfs mounted for the case
(we run as root; without the right to mount the case is skipped, and fails on CI like a
missing tool). Once the consultation runs, a filler file takes every free byte; the
Mexican officer sends structured exchanges and the Swiss officer plain messages. The
bot must stop recording (none of them recorded, nothing half-written: the record
verifies), say so in the room (a notice in the authorities' languages) and in its log,
and, once the filler is gone, record every event once, receipt every exchange once, and
match the room's history.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot
from bots.consultation.texts import text
from coopnet.keys import tighten_private
from coopnet.matrix.audit import audit_room
from coopnet.network import Network, botproc, load_network
from coopnet.protocol import LANGUAGES, PAYLOAD_KEY
from coopnet.records.audit import AuditReport
from coopnet.records.database import verify_db
from tests.bots.burst import IDENTITY, held_count
from tests.bots.helpers import open_ch_mx_consultation
from tests.bots.record_reader import receipted_event, room_entries
from tests.harness import Inbox, OpenClient, wait_async, wait_for
from tests.reliability.figures import CaseResult, record_case
from tests.tools import missing

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

CASE = "disk_full"
TITLE = "the record's filesystem full"
SIZE_MB = 64  # room for the record of the session so far, copied in first
BEFORE = 10  # structured exchanges recorded before the disk fills
DURING = 40  # structured exchanges sent while it is full
PLAIN = 20  # plain messages sent while it is full


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own, unmounted at the end whatever happened."""
    mount = tmp_path / "record-fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        missing(f"cannot mount a small filesystem for the record (root needed): {done.stderr}")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path) -> Path:
    """Take every free byte of the filesystem; returns the filler file."""
    filler = mount / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            while True:
                try:
                    out.write(block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return filler


def copy_record(source: Path, target: Path) -> None:
    """What the bot recorded so far in this session (SQLite's backup: one snapshot)."""
    if not source.exists():
        return
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    tighten_private(target)


@pytest.fixture
async def bot_on_small_fs(
    network: Network, small_filesystem: Path
) -> AsyncIterator[ConsultationBot]:
    net = load_network(network.directory)
    authority = net.authority("ch")
    assert botproc.read_pid(authority) is None, "a ch bot process is already running"
    bot = build_bot(net, "ch", tick_seconds=0.5)
    bot.records_path = small_filesystem / "record.db"
    copy_record(botproc.records_db(authority), bot.records_path)
    bot.recording.retry_seconds = 1.0
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def notices(inbox: Inbox, bot: str, key: str) -> list[str]:
    """The bot's notices that say ``key`` (in any of the six languages)."""
    said = [text(key, lang) for lang in LANGUAGES]
    return [
        e.event_id
        for e in {e.event_id: e for e in inbox.events}.values()
        if e.sender == bot
        and e.content.get("msgtype") == "m.notice"
        and any(s in str(e.content.get("body")) for s in said)
    ]


def notice_body(inbox: Inbox, event_id: str) -> str:
    return str(next(e for e in inbox.events if e.event_id == event_id).content.get("body"))


async def test_a_full_record_filesystem_pauses_recording_and_catches_up(
    network: Network,
    open_client: OpenClient,
    bot_on_small_fs: ConsultationBot,
    small_filesystem: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bots")
    bot = bot_on_small_fs
    db = bot.records_path
    ch, ch_inbox = await open_client(network.authority("ch").officers()[0].user_id)
    mx, _ = await open_client(network.authority("mx").officers()[0].user_id)
    room, _ = await open_ch_mx_consultation(ch, mx, bot.user_id, "DISKFULL")
    structured = {PAYLOAD_KEY: IDENTITY, "msgtype": "m.text", "body": "identity"}

    before = [await mx.send(room, structured) for _ in range(BEFORE)]
    await wait_for(lambda: held_count(db, before) == BEFORE, "the exchanges before the fill", 120)

    filler = fill(small_filesystem)
    filled_at = time.monotonic()
    during = [await mx.send(room, structured) for _ in range(DURING)]
    plain = [
        await ch.send(room, {"msgtype": "m.text", "body": f"while full {i}"}) for i in range(PLAIN)
    ]
    await wait_for(
        lambda: notices(ch_inbox, bot.user_id, "record.paused"),
        "the bot's notice of the pause",
        120,
    )
    assert bot.recording.paused
    logged = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and "recording paused" in r.getMessage()
    ]
    assert logged, "the pause is not in the bot's log"
    recorded_while_full = held_count(db, during + plain)
    paused_report = verify_db(db)
    syncing = bot.matrix._sync_task is not None and not bot.matrix._sync_task.done()  # noqa: SLF001
    assert recorded_while_full == 0, f"{recorded_while_full} events recorded on a full disk"
    assert paused_report.ok, f"the record on the full disk: {paused_report.problem}"
    assert syncing, "the bot stopped"

    filler.unlink()
    freed_at = time.monotonic()
    sent = [*before, *during, *plain]

    def complete() -> bool:
        entries = room_entries(db, room)
        return set(sent) <= {e.event_id for e in entries} and set(before + during) <= {
            receipted_event(e) for e in entries
        }

    await wait_for(complete, "every event recorded and receipted once space is back", 300)
    caught_up = time.monotonic() - freed_at
    await wait_for(
        lambda: notices(ch_inbox, bot.user_id, "record.resumed"),
        "the notice that recording goes on",
        120,
    )
    last: list[AuditReport] = []

    async def audited() -> bool:  # the pause notice too, recorded once it synced back
        last[:] = [await audit_room(ch, db, room)]
        return last[0].ok

    try:
        await wait_async(audited, "the record to match the room", 180)
    except AssertionError:
        raise AssertionError(str(last[0])) from None
    entries = room_entries(db, room)
    recorded = Counter(e.event_id for e in entries)
    receipts = Counter(r for r in map(receipted_event, entries) if r is not None)
    report = verify_db(db)
    assert all(recorded[e] == 1 for e in sent)
    assert all(receipts[e] == 1 for e in before + during)
    assert report.ok, report.problem
    paused_notices = notices(ch_inbox, bot.user_id, "record.paused")
    resumed_notices = notices(ch_inbox, bot.user_id, "record.resumed")
    record_case(
        CaseResult(
            case=CASE,
            title=TITLE,
            held=True,
            figures={
                "filesystem (tmpfs, MB)": SIZE_MB,
                "events sent while full": DURING + PLAIN,
                "recorded while full": recorded_while_full,
                "record verified while full": "yes",
                "full for (s)": round(freed_at - filled_at, 1),
                "notices of the pause / of the resumption": (
                    f"{len(paused_notices)} / {len(resumed_notices)}"
                ),
                "recorded once space was back": sum(1 for e in sent if recorded[e] == 1),
                "lost / doubled": f"{sum(1 for e in sent if not recorded[e])} / "
                f"{sum(1 for e in sent if recorded[e] > 1)}",
                "receipts (once each)": sum(receipts[e] for e in before + during),
                "time to catch up after space was back (s)": round(caught_up, 1),
            },
            observed=[
                f"the bot's notice in the room: {notice_body(ch_inbox, paused_notices[0])!r}",
                f"the bot's log: {logged[0].getMessage()}",
                f"record audit against the room: {last[0]}",
                "record verification after the catch-up: ok",
            ],
        )
    )
