"""Case export: complete, signed, verifiable offline; tampering with it is detected."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.keys import key_id
from coopnet.records import NewEntry, RecordError, parse_export, verify_export
from coopnet.records.database import export_case, verify_db
from coopnet.records.export_verify import COMPLETE
from coopnet.records.store import RecordStore
from coopnet.records.verify import BAD_SIGNATURE, CHANGED, DELETED, REORDERED
from tests.unit.test_records_support import FakeClock, make_store

CASE = "CN-2026-0001"


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, Ed25519PrivateKey]:
    path = tmp_path / "records.db"
    store, key = make_store(path, 40, cases=3)  # cases 0000, 0001, 0002 interleaved
    store.close()
    return path, key


def test_json_export_holds_every_entry_of_the_case(db) -> None:
    path, key = db
    document = json.loads(export_case(path, CASE, "json"))
    seqs = [e["seq"] for e in document["entries"]]
    assert seqs == [s for s in range(1, 41) if (s - 1) % 3 == 1]
    assert all(e["case_ref"] == CASE for e in document["entries"])
    assert set(document["entries"][0]) >= {"prev_hash", "entry_hash", "signature", "key_id"}
    assert document["public_keys"] == {key_id(key): key.public_key().public_bytes_raw().hex()}
    assert document["chain_head"]["seq"] == 40
    assert document["case_head"]["count"] == len(seqs)
    assert "export_signature" not in document
    report = verify_export(document)
    assert report.ok and report.entries == len(seqs) and not report.export_signed
    assert report.completeness == COMPLETE and not report.signer_trusted


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_signed_export_verifies_offline(db, fmt: str) -> None:
    path, key = db
    text = export_case(path, CASE, fmt, signing_key=key)
    report = verify_export(text)
    assert report.ok and report.export_signed, str(report)
    assert report.key_ids == {key_id(key)}
    # pinned to the right key: fine; pinned to another key: refused
    assert verify_export(text, {key_id(key): key.public_key()}).ok
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_export(text, {"0" * 16: other}).ok


def test_markdown_is_readable_and_embeds_the_document(db) -> None:
    path, key = db
    text = export_case(path, CASE, "md")
    assert text.startswith(f"# Consultation record — {CASE}")
    assert "引渡" in text and "## Verification data" in text
    assert parse_export(text)["case_ref"] == CASE


def test_export_from_an_open_store(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    with RecordStore(tmp_path / "r.db", key, clock=FakeClock()) as store:
        store.append(NewEntry(CASE, "!r:x", "message", "@a:x", {"body": "hi"}, event_id="$1"))
        assert verify_export(export_case(store, CASE)).ok
        assert verify_export(export_case(store.conn, CASE)).ok


def test_unknown_case_and_bad_format(db) -> None:
    path, _ = db
    with pytest.raises(RecordError, match="no entries"):
        export_case(path, "CN-none")
    with pytest.raises(RecordError, match="format"):
        export_case(path, CASE, "pdf")
    with pytest.raises(RecordError, match="no such"):
        export_case(path.with_name("missing.db"), CASE)


def _tampered(path: Path, key, change) -> dict:
    document = json.loads(export_case(path, CASE, signing_key=key))
    change(document)
    return document


@pytest.mark.parametrize(
    "change, index, reason",
    [
        (lambda d: d["entries"][2].update(content='{"body":"edited"}'), 2, CHANGED),
        (lambda d: d["entries"][3].update(sender="@mallory:x"), 3, CHANGED),
        (lambda d: d["entries"][1].update(origin_ts=d["entries"][1]["origin_ts"] + 1), 1, CHANGED),
        (lambda d: d["entries"][4].update(signature="00" * 64), 4, BAD_SIGNATURE),
        # the first entry now is the last one, signed to follow the one after it here
        (lambda d: d["entries"].reverse(), -1, REORDERED),
    ],
)
def test_tampered_export_names_the_entry(db, change, index: int, reason: str) -> None:
    path, key = db
    original = json.loads(export_case(path, CASE))
    document = _tampered(path, key, change)
    report = verify_export(document)
    assert not report.ok and report.problem is not None
    assert report.problem.reason == reason
    assert report.problem.seq == original["entries"][index]["seq"]


@pytest.mark.parametrize("signed", [True, False])
def test_omitted_entry_is_detected_signed_or_not(db, signed: bool) -> None:
    path, key = db
    document = _tampered(path, key, lambda d: d["entries"].pop(3))
    if not signed:
        del document["export_signature"]
    report = verify_export(document)
    assert not report.ok and report.problem is not None
    assert report.problem.reason == DELETED
    assert "missing" in str(report)


def test_entry_of_another_case_or_foreign_key_is_refused(db) -> None:
    path, key = db
    document = json.loads(export_case(path, CASE))
    document["entries"][0]["case_ref"] = "CN-other"
    assert not verify_export(document).ok
    document = json.loads(export_case(path, CASE))
    forger = Ed25519PrivateKey.generate()
    kid = next(iter(document["public_keys"]))
    document["public_keys"][kid] = forger.public_key().public_bytes_raw().hex()
    assert not verify_export(document).ok


def test_not_an_export() -> None:
    for text in ("hello", "{}", '{"format": "coopnet.records.case-export", "version": 9}'):
        with pytest.raises(RecordError):
            verify_export(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contents=st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_property_any_json_content_round_trips_and_verifies(contents: list) -> None:
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.db"
        with RecordStore(path, key, synchronous="OFF") as store:
            entries = store.append_many(
                [
                    NewEntry(CASE, "!r:x", "event", "@a:x", c, event_id=f"${i}")
                    for i, c in enumerate(contents)
                ]
            )
            assert [e.content_value() for e in entries] == contents
        assert verify_db(path, key.public_key()).ok
        for fmt in ("json", "md"):
            assert verify_export(export_case(path, CASE, fmt, signing_key=key)).ok
