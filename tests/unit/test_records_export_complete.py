"""A case export proves that it is complete: emptied, cut or head-less exports fail,
signed as a whole or not; records made before consultation heads say what they carry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.keys import key_id, public_key_hex
from coopnet.records import verify_export
from coopnet.records.case_head import CaseHead
from coopnet.records.database import export_case
from coopnet.records.entry import Entry, sign_entry_hash
from coopnet.records.export_format import export_message
from coopnet.records.export_verify import ATTESTED, CHAIN_ONLY, COMPLETE, SignerKey
from coopnet.records.head import Head
from coopnet.records.store import RecordStore
from coopnet.records.verify import BAD_HEAD, BAD_SIGNATURE, DELETED
from tests.unit.test_records_support import (
    FakeClock,
    make_legacy_record,
    make_store,
    new_entry,
)

CASE = "CN-2026-0001"


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
    path = tmp_path_factory.mktemp("export-complete") / "records.db"
    store, key = make_store(path, 40, cases=3)
    store.close()
    return path, key


def exported(record: tuple[Path, Ed25519PrivateKey], signed: bool) -> dict[str, Any]:
    path, key = record
    return json.loads(export_case(path, CASE, signing_key=key if signed else None))


def trusted(key: Ed25519PrivateKey) -> dict[str, Any]:
    return {key_id(key): key.public_key()}


def resign(document: dict[str, Any], key: Ed25519PrivateKey) -> None:
    """Sign the document as a whole again (what a forger holding *key* can do)."""
    document["export_signature"] = {
        "key_id": key_id(key),
        "public_key": public_key_hex(key),
        "signature": key.sign(export_message(document)).hex(),
    }


@pytest.mark.parametrize("signed", [True, False])
def test_the_intact_export_is_complete(record, signed: bool) -> None:
    report = verify_export(exported(record, signed), trusted(record[1]))
    assert report.ok and report.completeness == COMPLETE and report.signer_trusted, str(report)
    assert report.export_signed is signed
    assert "complete: the bot's signed consultation head counts 13 entries" in str(report)


@pytest.mark.parametrize("signed", [True, False])
def test_emptied_export_fails(record, signed: bool) -> None:
    document = exported(record, signed)
    document["entries"] = []
    report = verify_export(document, trusted(record[1]))
    assert not report.ok and report.problem is not None and report.problem.reason == DELETED
    document["case_head"] = None  # and its head removed too
    report = verify_export(document, trusted(record[1]))
    assert not report.ok and report.problem is not None and report.problem.reason == BAD_HEAD


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("cut", [1, 2, 5, 12])
def test_cut_export_fails(record, signed: bool, cut: int) -> None:
    document = exported(record, signed)
    kept = document["entries"][:-cut]
    document["entries"] = kept
    report = verify_export(document, trusted(record[1]))
    assert not report.ok and report.problem is not None, str(report)
    assert report.problem.reason == DELETED
    assert f"entries after entry {kept[-1]['seq']} were cut" in str(report)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("head", ["case_head", "chain_head"])
def test_head_removed_fails(record, signed: bool, head: str) -> None:
    document = exported(record, signed)
    for cut in (0, 3):  # the head alone, or the head and the entries it would expose
        document["entries"] = document["entries"][: len(document["entries"]) - cut]
        document[head] = None
        report = verify_export(document, trusted(record[1]))
        assert not report.ok and report.problem is not None
        assert report.problem.reason == BAD_HEAD and "missing" in str(report)
        del document[head]
        assert not verify_export(document, trusted(record[1])).ok


def forge_without(document: dict[str, Any], index: int, forger: Ed25519PrivateKey) -> None:
    """Drop entry *index*, then re-link and re-sign everything with the forger's key."""
    kid = key_id(forger)
    del document["entries"][index]
    previous = None
    for item in document["entries"]:
        if previous is not None:
            item["case_prev_hash"] = previous["entry_hash"]
        item["key_id"] = kid
        entry = Entry.from_row(item)
        item["entry_hash"] = entry.computed_hash()
        item["signature"] = sign_entry_hash(forger, item["entry_hash"])
        previous = item
    last = document["entries"][-1]
    count = len(document["entries"])
    head = CaseHead.sign(forger, kid, CASE, count, last["seq"], last["entry_hash"])
    document["case_head"] = head.to_dict()
    chain = document["chain_head"]
    document["chain_head"] = Head.sign(
        forger, kid, chain["seq"], chain["entry_hash"], chain["signatures"], case_heads=True
    ).to_dict()
    document["public_keys"] = {kid: public_key_hex(forger)}
    resign(document, forger)


def test_entry_removed_and_resigned_by_a_foreign_key_fails_against_the_trusted_key(
    record,
) -> None:
    _, key = record
    document = exported(record, signed=True)
    forge_without(document, 4, Ed25519PrivateKey.generate())
    # consistent in itself: only the key the verifier trusts tells it apart
    assert verify_export(document).ok and not verify_export(document).signer_trusted
    report = verify_export(document, trusted(key))
    assert not report.ok and report.problem is not None
    assert report.problem.reason == BAD_SIGNATURE and "not a trusted key" in str(report)


def test_revoked_and_retired_keys(record) -> None:
    _, key = record
    document = exported(record, signed=False)
    kid = key_id(key)
    revoked = {kid: SignerKey(key.public_key(), revoked=True)}
    report = verify_export(document, revoked)
    assert not report.ok and "revoked" in str(report)
    first_ts = document["entries"][0]["recorded_at"]
    retired = {kid: SignerKey(key.public_key(), retired_ms=first_ts)}
    report = verify_export(document, retired)
    assert not report.ok and "retired" in str(report)
    current = {kid: SignerKey(key.public_key(), retired_ms=first_ts + 10**9)}
    assert verify_export(document, current).ok


# -- records made before consultation links and heads ---------------------------------


@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "old.db"
    make_legacy_record(path, 12, key, cases=3)
    return path, key


def test_old_record_exports_chain_only(legacy) -> None:
    path, key = legacy
    document = json.loads(export_case(path, CASE))  # read-only: the record is not upgraded
    assert document["case_head"] is None
    report = verify_export(document, trusted(key))
    assert report.ok and report.completeness == CHAIN_ONLY, str(report)
    assert "completeness is not provable for entries up to #11" in str(report)
    signed = verify_export(export_case(path, CASE, signing_key=key), trusted(key))
    assert signed.ok and signed.completeness == ATTESTED, str(signed)


def test_old_version_1_export_still_verifies(legacy) -> None:
    path, key = legacy
    document = json.loads(export_case(path, CASE))
    document["version"] = 1
    for name in ("case_head", "case_head_rule"):
        del document[name]
    for item in document["entries"]:
        del item["case_prev_hash"]
    report = verify_export(document, trusted(key))
    assert report.ok and report.completeness == CHAIN_ONLY, str(report)
    resign(document, key)
    assert verify_export(document, trusted(key)).completeness == ATTESTED


def test_upgraded_old_record_exports_complete(legacy) -> None:
    path, key = legacy
    RecordStore(path, key, clock=FakeClock()).close()  # the upgrade signs every case's head
    report = verify_export(export_case(path, CASE), trusted(key))
    assert report.ok and report.completeness == COMPLETE, str(report)
    assert "all its entries predate consultation links" in str(report)
    with RecordStore(path, key, clock=FakeClock()) as store:
        store.append(new_entry(50, CASE))
    document = json.loads(export_case(path, CASE))
    report = verify_export(document, trusted(key))
    assert report.ok and report.linked_from == 13, str(report)
    assert "entries before #13 predate consultation links" in str(report)
    # an old entry left out is noticed: the signed count covers the old entries too
    del document["entries"][1]
    report = verify_export(document, trusted(key))
    assert not report.ok and report.problem is not None and report.problem.reason == DELETED


def test_upgraded_record_cannot_pass_for_an_old_one(legacy) -> None:
    """Dropping the consultation head and the linked entries leaves a version-3 chain head,
    which says that the consultation has a head."""
    path, key = legacy
    with RecordStore(path, key, clock=FakeClock()) as store:
        store.append(new_entry(50, CASE))
    document = json.loads(export_case(path, CASE))
    document["entries"] = [e for e in document["entries"] if e["case_prev_hash"] is None]
    document["case_head"] = None
    report = verify_export(document, trusted(key))
    assert not report.ok and report.problem is not None and report.problem.reason == BAD_HEAD
