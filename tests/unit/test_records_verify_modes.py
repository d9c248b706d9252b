"""Default verification: quick check, per-entry signature pass only when it is needed."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.cli import records as records_cli
from coopnet.keys import key_id
from coopnet.records import NewEntry
from coopnet.records.database import verify_db
from coopnet.records.entry import COLUMNS, compute_entry_hash, sign_entry_hash
from coopnet.records.head import Head, signatures_digest
from coopnet.records.store import RecordStore
from coopnet.records.verify import (
    BAD_HEAD,
    BAD_SIGNATURE,
    CHANGED,
    FULL,
    QUICK,
    QUICK_THEN_FULL,
)
from tests.unit.test_records_support import (
    FakeClock,
    attacker_connection,
    record_fixtures,
    row_of,
)

COUNT = 24


pristine, victim = record_fixtures(COUNT, "modes")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="coopnet")
    records_cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def rewrite_chain_from(path: Path, start: int, forger: Ed25519PrivateKey) -> None:
    """Edit entry *start*, re-chain (hash, link, signature) everything after it and
    re-sign the head, all with the forger's key: the chain itself is then intact."""
    conn = attacker_connection(path)
    prev = row_of(conn, start - 1)["entry_hash"]
    signatures = [
        r[0]
        for r in conn.execute("SELECT signature FROM entries WHERE seq < ? ORDER BY seq", (start,))
    ]
    for seq in range(start, COUNT + 1):
        row = row_of(conn, seq)
        if seq == start:
            row["content"] = '{"body":"forged"}'
        row["prev_hash"] = prev
        fields = [row[c] for c in COLUMNS if c not in ("entry_hash", "signature")]
        row["entry_hash"] = compute_entry_hash(*fields)
        row["signature"] = sign_entry_hash(forger, str(row["entry_hash"]))
        conn.execute(
            "UPDATE entries SET content = ?, prev_hash = ?, entry_hash = ?, signature = ? "
            "WHERE seq = ?",
            (row["content"], row["prev_hash"], row["entry_hash"], row["signature"], seq),
        )
        prev = row["entry_hash"]
        signatures.append(row["signature"])
    digest = signatures_digest(signatures)
    head = Head.sign(forger, key_id(forger), COUNT, str(prev), digest)
    conn.execute("UPDATE metadata SET value = ? WHERE key = 'head'", (head.to_json(),))
    conn.close()


def test_intact_record_needs_no_per_entry_signature(victim) -> None:
    path, key = victim
    report = verify_db(path, key.public_key())
    assert report.ok and report.mode == QUICK and report.signatures_checked == 0
    assert report.head_covers_signatures
    assert "covers every entry signature" in str(report)
    full = verify_db(path, key.public_key(), signatures=True)
    assert full.ok and full.mode == FULL and full.signatures_checked == COUNT


def test_head_carries_the_signatures_digest(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    value = conn.execute("SELECT value FROM metadata WHERE key='head'").fetchone()[0]
    head = Head.from_value(value)
    signatures = [r[0] for r in conn.execute("SELECT signature FROM entries ORDER BY seq")]
    conn.close()
    assert head.signatures == signatures_digest(signatures)
    key.public_key().verify(bytes.fromhex(head.signature), head.message())


def test_rewritten_chain_falls_back_and_names_the_first_forged_entry(victim) -> None:
    path, key = victim
    rewrite_chain_from(path, 9, Ed25519PrivateKey.generate())
    quick = verify_db(path, key.public_key(), signatures=False)
    assert not quick.ok and quick.problem.reason == BAD_HEAD  # type: ignore[union-attr]
    report = verify_db(path, key.public_key())
    assert report.mode == QUICK_THEN_FULL
    assert (report.problem.seq, report.problem.reason) == (9, BAD_SIGNATURE)  # type: ignore[union-attr]
    assert report.signatures_checked == 9  # stops at the first bad signature


def test_wrong_key_falls_back_to_entry_one(victim) -> None:
    path, _ = victim
    report = verify_db(path, Ed25519PrivateKey.generate().public_key())
    assert report.mode == QUICK_THEN_FULL
    assert (report.problem.seq, report.problem.reason) == (1, BAD_SIGNATURE)  # type: ignore[union-attr]


def test_edited_signature_digit_is_caught_by_the_quick_check(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    signature = str(row_of(conn, 7)["signature"])
    digit = "1" if signature[10] != "1" else "2"
    conn.execute(
        "UPDATE entries SET signature = ? WHERE seq = 7",
        (signature[:10] + digit + signature[11:],),
    )
    conn.close()
    quick = verify_db(path, key.public_key(), signatures=False)
    assert not quick.ok
    assert (quick.problem.seq, quick.problem.reason) == (None, BAD_SIGNATURE)  # type: ignore[union-attr]
    report = verify_db(path, key.public_key())
    assert report.mode == QUICK_THEN_FULL
    assert (report.problem.seq, report.problem.reason) == (7, BAD_SIGNATURE)  # type: ignore[union-attr]


def test_edit_with_recomputed_hash_is_named_at_the_edited_entry(victim) -> None:
    """The quick check sees the link break at entry 13; the fallback names entry 12."""
    path, key = victim
    conn = attacker_connection(path)
    row = row_of(conn, 12)
    row["content"] = '{"body":"forged"}'
    fields = [row[c] for c in COLUMNS if c not in ("entry_hash", "signature")]
    conn.execute(
        "UPDATE entries SET content = ?, entry_hash = ? WHERE seq = 12",
        (row["content"], compute_entry_hash(*fields)),
    )
    conn.close()
    quick = verify_db(path, key.public_key(), signatures=False)
    assert (quick.problem.seq, quick.problem.reason) == (13, CHANGED)  # type: ignore[union-attr]
    report = verify_db(path, key.public_key())
    assert (report.problem.seq, report.problem.reason) == (12, BAD_SIGNATURE)  # type: ignore[union-attr]


def _downgrade_head(path: Path, key: Ed25519PrivateKey) -> None:
    """Replace the head by a version-1 head (as written before the signatures digest)."""
    conn = attacker_connection(path)
    last = row_of(conn, COUNT)
    old = Head.sign(key, key_id(key), COUNT, str(last["entry_hash"]))
    conn.execute("UPDATE metadata SET value = ? WHERE key = 'head'", (old.to_json(),))
    conn.close()


def test_version_1_head_gets_the_full_check_then_is_upgraded(victim) -> None:
    path, key = victim
    _downgrade_head(path, key)
    report = verify_db(path, key.public_key())
    assert report.ok and report.mode == QUICK_THEN_FULL and report.signatures_checked == COUNT
    assert not report.head_covers_signatures
    with RecordStore(path, key, clock=FakeClock(1_800_000_000_000)) as store:
        store.append(NewEntry("CN-9", "!r:x", "note", "@bot:x", {"later": True}))
        assert store.head() is not None and store.head().signatures is not None  # type: ignore[union-attr]
    upgraded = verify_db(path, key.public_key())
    assert upgraded.ok and upgraded.mode == QUICK and upgraded.entries == COUNT + 1


def test_version_1_head_with_edited_signature_is_still_named(victim) -> None:
    path, key = victim
    _downgrade_head(path, key)
    conn = attacker_connection(path)
    conn.execute("UPDATE entries SET signature = ? WHERE seq = 5", ("0" * 128,))
    conn.close()
    report = verify_db(path, key.public_key())
    assert (report.problem.seq, report.problem.reason) == (5, BAD_SIGNATURE)  # type: ignore[union-attr]


def test_cli_modes(victim, capsys) -> None:
    path, _ = victim
    assert run("records", "verify", "--db", str(path)) == 0
    assert "[quick check]" in capsys.readouterr().out
    assert run("records", "verify", "--db", str(path), "--full") == 0
    assert f"{COUNT} signatures checked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run("records", "verify", "--db", str(path), "--full", "--quick")
    capsys.readouterr()
    rewrite_chain_from(path, 3, Ed25519PrivateKey.generate())
    assert run("records", "verify", "--db", str(path)) == 1
    out = capsys.readouterr().out
    assert "entry 3: bad signature" in out and "[quick, then full check]" in out
