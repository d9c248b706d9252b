"""``coopnet records ...``: exit codes and messages."""

from __future__ import annotations

import argparse
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.cli import COMMAND_MODULES
from coopnet.cli import records as records_cli
from coopnet.keys import key_id, write_public_key
from tests.unit.test_records_support import attacker_connection, make_store

CASE = "CN-2026-0001"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="coopnet")
    records_cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, Ed25519PrivateKey]:
    path = tmp_path / "records.db"
    store, key = make_store(path, 20, cases=2)
    store.close()
    return path, key


def test_registered_in_the_coopnet_command() -> None:
    assert "coopnet.cli.records" in COMMAND_MODULES


def test_verify_ok_uses_stored_key(db, capsys) -> None:
    path, key = db
    assert run("records", "verify", "--db", str(path)) == 0
    out = capsys.readouterr().out
    assert "OK: 20 entries" in out and key_id(key) in out and "stored in db" in out


def test_verify_with_explicit_pubkey(db, tmp_path: Path, capsys) -> None:
    path, key = db
    good = tmp_path / "good.pub"
    write_public_key(key, good)
    assert run("records", "verify", "--db", str(path), "--pubkey", str(good)) == 0
    bad = tmp_path / "bad.pub"
    write_public_key(Ed25519PrivateKey.generate(), bad)
    assert run("records", "verify", "--db", str(path), "--pubkey", str(bad)) == 1
    assert "entry 1: bad signature" in capsys.readouterr().out


def test_verify_names_the_first_broken_entry(db, capsys) -> None:
    path, _ = db
    conn = attacker_connection(path)
    conn.execute('UPDATE entries SET content = \'{"body":"x"}\' WHERE seq = 11')
    conn.execute("DELETE FROM entries WHERE seq = 15")
    conn.close()
    assert run("records", "verify", "--db", str(path)) == 1
    out = capsys.readouterr().out
    assert "BROKEN: first broken entry 11: changed" in out


def test_verify_unreadable_exits_2(tmp_path: Path, capsys) -> None:
    assert run("records", "verify", "--db", str(tmp_path / "missing.db")) == 2
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    assert run("records", "verify", "--db", str(tmp_path / "junk.db")) == 2
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    assert run("records", "verify", "--db", str(empty)) == 2
    assert "coopnet records:" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_export_then_verify_export(db, tmp_path: Path, fmt: str, capsys) -> None:
    path, key = db
    key_file = tmp_path / "bot.key"
    key_file.write_bytes(key.private_bytes_raw())
    os.chmod(key_file, 0o600)
    out = tmp_path / f"case.{fmt}"
    args = ["records", "export", "--db", str(path), "--case", CASE, "--format", fmt]
    assert run(*args, "--out", str(out), "--key", str(key_file)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # consistent, but checked only against the key the export carries: not enough
    assert run("records", "verify-export", str(out)) == 1
    assert "signer UNVERIFIED" in capsys.readouterr().out
    pub = tmp_path / "bot.pub"
    write_public_key(key, pub)
    assert run("records", "verify-export", str(out), "--pubkey", str(pub)) == 0
    assert "export signature valid" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    out.write_text(text.replace('"kind": "event"', '"kind": "receipt"', 1), encoding="utf-8")
    assert run("records", "verify-export", str(out), "--pubkey", str(pub)) == 1
    assert "changed" in capsys.readouterr().out


def test_export_to_stdout_and_errors(db, tmp_path: Path, capsys) -> None:
    path, _ = db
    assert run("records", "export", "--db", str(path), "--case", CASE) == 0
    assert '"format": "coopnet.records.case-export"' in capsys.readouterr().out
    assert run("records", "export", "--db", str(path), "--case", "CN-none") == 2
    assert run("records", "verify-export", str(tmp_path / "nothing.json")) == 2
    (tmp_path / "x.json").write_text("{}")
    assert run("records", "verify-export", str(tmp_path / "x.json")) == 2


def test_keygen(tmp_path: Path, capsys) -> None:
    key_file = tmp_path / "keys" / "bot.key"
    pub = tmp_path / "bot.pub"
    assert run("records", "keygen", "--key", str(key_file), "--pubkey-out", str(pub)) == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "key id" in capsys.readouterr().out and pub.exists()
    assert run("records", "keygen", "--key", str(key_file)) == 2


def test_through_the_main_entry_point(db, capsys) -> None:
    from coopnet.cli import main

    path, _ = db
    assert main(["records", "verify", "--db", str(path)]) == 0


def test_quick_verify(db, capsys) -> None:
    path, _ = db
    assert run("records", "verify", "--db", str(path), "--quick") == 0
    assert "0 signatures checked" in capsys.readouterr().out
    conn = attacker_connection(path)
    conn.execute("DELETE FROM entries WHERE seq = 4")
    conn.close()
    assert run("records", "verify", "--db", str(path), "--quick") == 1
    assert "entry 4: deleted" in capsys.readouterr().out
