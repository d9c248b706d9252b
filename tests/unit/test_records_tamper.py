"""Tampering with the record: every edit, deletion, insertion and reordering is named."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.keys import key_id
from coopnet.records import NewEntry, verify_entries
from coopnet.records.database import verify_db
from coopnet.records.entry import COLUMNS, compute_entry_hash, sign_entry_hash
from coopnet.records.head import Head
from coopnet.records.store import RecordStore
from coopnet.records.verify import (
    BAD_HEAD,
    BAD_SIGNATURE,
    CHANGED,
    DELETED,
    INSERTED,
    REORDERED,
)
from tests.unit.test_records_support import (
    FakeClock,
    attacker_connection,
    flip_char,
    record_fixtures,
    row_of,
)

COUNT = 30


pristine, victim = record_fixtures(COUNT, "records")


def check(path: Path, key: Ed25519PrivateKey, seq: int, reasons: set[str] | str):
    report = verify_db(path, key.public_key())
    assert not report.ok, "tampering was not detected"
    assert report.problem is not None
    wanted = {reasons} if isinstance(reasons, str) else reasons
    assert (report.problem.seq, report.problem.reason) in {(seq, r) for r in wanted}, str(report)
    return report


def test_pristine_copy_verifies(victim) -> None:
    path, key = victim
    report = verify_db(path, key.public_key(), signatures=True)
    assert report.ok and report.entries == COUNT and report.signatures_checked == COUNT
    default = verify_db(path, key.public_key())  # quick: the v2 head covers the signatures
    assert default.ok and default.signatures_checked == 0 and default.head_covers_signatures


# -- one byte changed in each column ---------------------------------------------------

TEXT_COLUMNS = [c for c in COLUMNS if c not in ("seq", "origin_ts", "recorded_at")]


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_changed_character_in_a_text_column(victim, column: str, seed: int) -> None:
    path, key = victim
    rng = random.Random(f"{column}-{seed}")
    seq = rng.randint(1, COUNT)
    conn = attacker_connection(path)
    row = row_of(conn, seq)
    value = row[column]
    new = "x" if value is None else flip_char(str(value), rng.randrange(len(str(value))))
    conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (new, seq))
    conn.close()
    expected = BAD_SIGNATURE if column == "signature" else CHANGED
    check(path, key, seq, expected)


@pytest.mark.parametrize("column", ["origin_ts", "recorded_at"])
def test_one_changed_digit_in_an_integer_column(victim, column: str) -> None:
    path, key = victim
    seq = 17
    conn = attacker_connection(path)
    value = row_of(conn, seq)[column]
    conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (value + 1, seq))
    conn.close()
    check(path, key, seq, CHANGED)


@pytest.mark.parametrize("column", ["origin_ts", "recorded_at", "content", "sender", "seq"])
def test_type_change_only_is_detected(victim, column: str) -> None:
    """The same bytes stored as a blob instead of an integer or text still count as an edit.

    (Text that looks like an integer cannot be stored in an INTEGER column: SQLite's
    affinity converts it back, so that is not an edit.)"""
    path, key = victim
    seq = 9
    conn = attacker_connection(path)
    if column == "seq":
        # seq is the rowid and cannot hold text; renumbering it leaves a gap
        conn.execute("UPDATE entries SET seq = 999 WHERE seq = ?", (seq,))
        conn.close()
        check(path, key, seq, DELETED)
        return
    conn.execute(f"UPDATE entries SET {column} = CAST({column} AS BLOB) WHERE seq = ?", (seq,))
    assert (
        conn.execute(f"SELECT typeof({column}) FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
        == "blob"
    )
    conn.close()
    check(path, key, seq, CHANGED)


def test_event_id_cleared_is_detected(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("UPDATE entries SET event_id = NULL WHERE seq = 2")
    conn.close()
    check(path, key, 2, CHANGED)


def test_uppercased_signature_hex_is_detected(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("UPDATE entries SET signature = upper(signature) WHERE seq = 5")
    conn.close()
    check(path, key, 5, BAD_SIGNATURE)


def test_edit_with_recomputed_hash_fails_on_signature(victim) -> None:
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
    check(path, key, 12, {BAD_SIGNATURE, CHANGED})


def test_chain_rewritten_from_an_entry_on_is_named_at_that_entry(victim) -> None:
    """An attacker rewrites entry 8 and re-chains everything after it with their own key."""
    path, key = victim
    forger = Ed25519PrivateKey.generate()
    conn = attacker_connection(path)
    prev = row_of(conn, 7)["entry_hash"]
    for seq in range(8, COUNT + 1):
        row = row_of(conn, seq)
        if seq == 8:
            row["content"] = '{"body":"forged"}'
        row["prev_hash"] = prev
        fields = [row[c] for c in COLUMNS if c not in ("entry_hash", "signature")]
        row["entry_hash"] = compute_entry_hash(*fields)
        row["signature"] = sign_entry_hash(forger, row["entry_hash"])
        conn.execute(
            "UPDATE entries SET content = ?, prev_hash = ?, entry_hash = ?, signature = ? "
            "WHERE seq = ?",
            (row["content"], row["prev_hash"], row["entry_hash"], row["signature"], seq),
        )
        prev = row["entry_hash"]
    conn.close()
    check(path, key, 8, BAD_SIGNATURE)


# -- deletions -------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 13, COUNT])
def test_deleted_entry(victim, seq: int) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("DELETE FROM entries WHERE seq = ?", (seq,))
    conn.close()
    report = check(path, key, seq, DELETED)
    assert str(seq) in report.problem.detail  # type: ignore[union-attr]


def test_deleted_entry_with_later_ones_renumbered(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("DELETE FROM entries WHERE seq = 10")
    for seq in range(11, COUNT + 1):
        conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (seq - 1, seq))
    conn.close()
    check(path, key, 10, DELETED)


def test_truncated_tail_with_head_rewritten_is_detected(victim) -> None:
    """Deleting the last entries and pointing the head back needs the key."""
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("DELETE FROM entries WHERE seq > 25")
    last = row_of(conn, 25)
    forged = Head.sign(Ed25519PrivateKey.generate(), key_id(key), 25, str(last["entry_hash"]))
    conn.execute("UPDATE metadata SET value = ? WHERE key = 'head'", (forged.to_json(),))
    conn.close()
    check(path, key, 25, BAD_HEAD)


def test_missing_head_is_reported(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("DELETE FROM metadata WHERE key = 'head'")
    conn.close()
    report = verify_db(path, key.public_key())
    assert not report.ok and report.problem.reason == BAD_HEAD  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "sql, says",
    [
        ("DELETE FROM case_heads WHERE case_ref = 'CN-2026-0001'", "'CN-2026-0001' is missing"),
        ("UPDATE case_heads SET count = count - 1 WHERE case_ref = 'CN-2026-0000'", "verify"),
    ],
)
def test_consultation_heads_cannot_be_removed_or_changed(victim, sql: str, says: str) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute(sql)
    conn.close()
    report = verify_db(path, key.public_key())
    assert not report.ok and report.problem.reason == BAD_HEAD  # type: ignore[union-attr]
    assert says in str(report)


# -- insertions ------------------------------------------------------------------------


def _forged_row(conn: sqlite3.Connection, template: int, seq: int, prev_hash: str, signer) -> tuple:
    """A well-formed entry (hash and link right) signed by someone else's key."""
    row = row_of(conn, template)
    row.update(seq=seq, event_id="$forged", content='{"body":"inserted"}', prev_hash=prev_hash)
    fields = [row[c] for c in COLUMNS if c not in ("entry_hash", "signature")]
    row["entry_hash"] = compute_entry_hash(*fields)
    row["signature"] = sign_entry_hash(signer, str(row["entry_hash"]))
    return tuple(row[c] for c in COLUMNS)


@pytest.mark.parametrize("at", [1, 14, COUNT])
def test_inserted_entry_in_the_middle(victim, at: int) -> None:
    path, key = victim
    conn = attacker_connection(path)
    for seq in range(COUNT, at - 1, -1):
        conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (seq + 1, seq))
    prev = row_of(conn, at - 1)["entry_hash"] if at > 1 else "0" * 64
    row = _forged_row(conn, COUNT + 1, at, str(prev), Ed25519PrivateKey.generate())
    conn.execute(f"INSERT INTO entries VALUES ({', '.join('?' * len(COLUMNS))})", row)
    conn.close()
    check(path, key, at, INSERTED)


def test_inserted_entry_at_the_end(victim) -> None:
    path, key = victim
    conn = attacker_connection(path)
    prev = row_of(conn, COUNT)["entry_hash"]
    row = _forged_row(conn, COUNT, COUNT + 1, str(prev), Ed25519PrivateKey.generate())
    conn.execute(f"INSERT INTO entries VALUES ({', '.join('?' * len(COLUMNS))})", row)
    conn.close()
    check(path, key, COUNT + 1, INSERTED)


# -- reordering ------------------------------------------------------------------------


@pytest.mark.parametrize("first, second", [(3, 4), (5, 20), (1, COUNT)])
def test_swapped_entries(victim, first: int, second: int) -> None:
    path, key = victim
    conn = attacker_connection(path)
    conn.execute("UPDATE entries SET seq = -1 WHERE seq = ?", (first,))
    conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (first, second))
    conn.execute("UPDATE entries SET seq = ? WHERE seq = -1", (second,))
    conn.close()
    check(path, key, first, REORDERED)


def test_one_flipped_byte_in_the_file_names_the_entry(victim) -> None:
    """Raw file tampering: change one byte of an entry's content in the database file."""
    path, key = victim
    data = bytearray(path.read_bytes())
    marker = "message 21 —".encode()
    offset = data.find(marker)
    assert offset > 0
    data[offset + len("message 2")] ^= 0x01  # '1' -> '0'
    path.write_bytes(bytes(data))
    report = verify_db(path, key.public_key())
    assert not report.ok
    seq = 22  # new_entry(21) is the 22nd entry
    assert report.problem.seq == seq, str(report)  # type: ignore[union-attr]


def test_wrong_public_key_fails_at_first_entry(victim) -> None:
    path, _ = victim
    report = verify_db(path, Ed25519PrivateKey.generate().public_key())
    assert not report.ok and report.problem.seq == 1  # type: ignore[union-attr]
    assert report.problem.reason == BAD_SIGNATURE  # type: ignore[union-attr]


def test_verification_survives_later_appends(victim) -> None:
    path, key = victim
    with RecordStore(path, key, clock=FakeClock(1_800_000_000_000)) as store:
        store.append(NewEntry("CN-9", "!r:x", "note", "@bot:x", {"later": True}))
    assert verify_db(path, key.public_key()).ok


# -- property: any single-character edit anywhere is found at the right entry -----------


@pytest.fixture(scope="module")
def rows_and_key(pristine) -> tuple[list[tuple], Ed25519PrivateKey, Head]:
    path, key = pristine
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY seq").fetchall()
    head = Head.from_value(
        conn.execute("SELECT value FROM metadata WHERE key='head'").fetchone()[0]
    )
    conn.close()
    return rows, key, head


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seq=st.integers(1, COUNT),
    column=st.sampled_from([c for c in COLUMNS if c != "seq"]),
    position=st.integers(0, 10_000),
    replacement=st.characters(codec="utf-8"),
)
def test_property_any_edited_character_is_named(
    rows_and_key, seq: int, column: str, position: int, replacement: str
) -> None:
    rows, key, head = rows_and_key
    index = COLUMNS.index(column)
    row = list(rows[seq - 1])
    value = row[index]
    if isinstance(value, int):
        new: object = value + 1 + position
    elif value is None:
        new = replacement
    else:
        position %= len(value)
        if value[position] == replacement:
            replacement = flip_char(value[position], 0)
        new = value[:position] + replacement + value[position + 1 :]
    row[index] = new
    tampered = list(rows)
    tampered[seq - 1] = tuple(row)
    report = verify_entries(tampered, key.public_key(), head, workers=1)
    assert not report.ok
    assert report.problem is not None and report.problem.seq == seq, str(report)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_property_deleting_or_swapping_is_named(rows_and_key, data: st.DataObject) -> None:
    rows, key, head = rows_and_key
    first = data.draw(st.integers(1, COUNT - 1))
    tampered = list(rows)
    if data.draw(st.booleans()):
        del tampered[first - 1]
        expected = {DELETED}
    else:
        second = data.draw(st.integers(first + 1, COUNT))
        a, b = list(tampered[first - 1]), list(tampered[second - 1])
        a[0], b[0] = second, first
        tampered[first - 1], tampered[second - 1] = tuple(b), tuple(a)
        expected = {REORDERED}
    report = verify_entries(tampered, key.public_key(), head, workers=1)
    assert not report.ok and report.problem is not None
    assert (report.problem.seq, report.problem.reason) in {(first, r) for r in expected}


# -- the quick check (hashes, links, signed head) ---------------------------------------


def test_quick_check_passes_intact_and_catches_content_edits(victim) -> None:
    path, key = victim
    report = verify_db(path, key.public_key(), signatures=False)
    assert report.ok and report.signatures_checked == 0
    conn = attacker_connection(path)
    conn.execute("UPDATE entries SET sender = '@mallory:x' WHERE seq = 6")
    conn.close()
    report = verify_db(path, key.public_key(), signatures=False)
    assert not report.ok and report.problem.seq == 6  # type: ignore[union-attr]


def test_quick_check_catches_a_rewritten_chain_only_at_the_head(victim) -> None:
    path, key = victim
    forger = Ed25519PrivateKey.generate()
    conn = attacker_connection(path)
    row = row_of(conn, COUNT)
    row["content"] = '{"body":"forged"}'
    fields = [row[c] for c in COLUMNS if c not in ("entry_hash", "signature")]
    new_hash = compute_entry_hash(*fields)
    conn.execute(
        "UPDATE entries SET content = ?, entry_hash = ?, signature = ? WHERE seq = ?",
        (row["content"], new_hash, sign_entry_hash(forger, new_hash), COUNT),
    )
    conn.close()
    quick = verify_db(path, key.public_key(), signatures=False)
    assert not quick.ok  # the head no longer matches: detected ...
    full = verify_db(path, key.public_key())
    assert full.problem.seq == COUNT  # type: ignore[union-attr]  # ... and named by the full check
