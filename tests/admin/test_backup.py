"""coopnet admin backup / restore: consistent, checked, refuses to clobber or to trust damage."""

from __future__ import annotations

import sqlite3
import stat
import tarfile
from pathlib import Path

from coopnet.cli import main
from coopnet.records.database import verify_db
from tests.admin.helpers import render
from tests.unit.test_records_support import make_store


def _authority_with_state(tmp_path: Path) -> Path:
    _, out = render(tmp_path, target="host")
    store, _ = make_store(out / "data/bot/records.db", 25, cases=2)
    store.close()
    (out / "data/bot/store").mkdir()
    (out / "data/bot/store/olm.txt").write_text("olm account pickle")
    (out / "secrets/bot.password").write_text("pw\n")
    return out


def test_backup_and_restore_round_trip(tmp_path: Path, capsys) -> None:
    out = _authority_with_state(tmp_path)
    archive = tmp_path / "b.tar.gz"
    assert main(["admin", "backup", "--authority-dir", str(out), "--out", str(archive)]) == 0
    printed = capsys.readouterr().out
    assert "data/bot/records.db: verified, 25 entries" in printed
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert main(["admin", "restore", "--authority-dir", str(fresh), "--archive", str(archive)]) == 0
    assert verify_db(fresh / "data/bot/records.db").ok
    assert (fresh / "data/bot/store/olm.txt").read_text() == "olm account pickle"
    assert (fresh / "synapse/signing.key").read_bytes() == (
        out / "synapse/signing.key"
    ).read_bytes()
    assert stat.S_IMODE((fresh / "data/bot").stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "secrets/bot.password").stat().st_mode) == 0o600


def test_backup_refuses_to_overwrite_and_restore_refuses_to_clobber(tmp_path: Path, capsys):
    out = _authority_with_state(tmp_path)
    archive = tmp_path / "b.tar.gz"
    assert main(["admin", "backup", "--authority-dir", str(out), "--out", str(archive)]) == 0
    assert main(["admin", "backup", "--authority-dir", str(out), "--out", str(archive)]) == 1
    capsys.readouterr()
    assert main(["admin", "restore", "--authority-dir", str(out), "--archive", str(archive)]) == 1
    assert "use --force" in capsys.readouterr().err
    assert (
        main(
            ["admin", "restore", "--authority-dir", str(out), "--archive", str(archive), "--force"]
        )
        == 0
    )


def test_restore_refuses_a_damaged_archive(tmp_path: Path, capsys) -> None:
    out = _authority_with_state(tmp_path)
    archive = tmp_path / "b.tar.gz"
    main(["admin", "backup", "--authority-dir", str(out), "--out", str(archive)])
    # Rebuild the archive with one file changed but the original manifest.
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "data/bot/store/olm.txt").write_text("tampered")
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(forged, "w:gz") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(unpacked).as_posix())
    fresh = tmp_path / "fresh"
    capsys.readouterr()
    assert main(["admin", "restore", "--authority-dir", str(fresh), "--archive", str(forged)]) == 1
    assert "does not match its SHA-256" in capsys.readouterr().err
    assert not (fresh / "data").exists()


def test_restore_of_something_else_is_a_clear_error(tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not a tar")
    assert (
        main(["admin", "restore", "--authority-dir", str(tmp_path), "--archive", str(bogus)]) == 2
    )
    assert "x.tar.gz: is not a readable backup (tar.gz)" in capsys.readouterr().err


def test_backup_copies_sqlite_consistently_while_open(tmp_path: Path) -> None:
    out = _authority_with_state(tmp_path)
    writer = sqlite3.connect(out / "data/bot/records.db")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("BEGIN IMMEDIATE")  # a writer holds the database
    try:
        assert (
            main(
                [
                    "admin",
                    "backup",
                    "--authority-dir",
                    str(out),
                    "--out",
                    str(tmp_path / "b.tar.gz"),
                ]
            )
            == 0
        )
    finally:
        writer.rollback()
        writer.close()
