"""Reading an export never raises on bad input: any JSON, or a valid export with any field
replaced by any JSON value, gives a report or a ParseError/RecordError naming a field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.keys import key_id
from coopnet.protocol.validation import ParseError
from coopnet.records import RecordError, verify_export
from coopnet.records.database import export_case
from coopnet.records.export_format import ExportDocument, read_export
from tests.unit.test_records_support import make_store

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    path = tmp_path_factory.mktemp("export-format") / "records.db"
    store, key = make_store(path, 8, cases=2)
    store.close()
    return json.loads(export_case(path, "CN-2026-0001", signing_key=key)), key


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (objects and arrays), as a tuple of keys/indexes."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for name, inner in value.items():
            found += _paths(inner, (*prefix, name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@settings(max_examples=60, deadline=None)
@given(value=JSON)
def test_any_json_is_read_or_refused(value: Any) -> None:
    read = read_export(json.dumps(value))
    assert isinstance(read, ParseError)  # none of these is an export
    assert str(read).startswith("invalid case export: ")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), replacement=JSON)
def test_any_field_replaced_by_any_value(valid, data: st.DataObject, replacement: Any) -> None:
    document, key = valid
    where = data.draw(st.sampled_from(_paths(document)))
    changed = json.loads(json.dumps(document))
    target = changed
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = replacement
    parsed = ExportDocument.from_dict(changed)
    try:
        report = verify_export(changed, {key_id(key): key.public_key()})
    except RecordError as exc:
        assert isinstance(parsed, ParseError) and str(exc) == str(parsed)
        return
    assert isinstance(parsed, ExportDocument)
    if replacement == document_value(document, where):
        return
    # The whole document is signed (entries, heads, and the export signature over the
    # rest), so any readable change breaks it; only the public key the export signature
    # carries is not used once the verifier has its own key.
    if where == ("export_signature",) and replacement is None:
        # Stripped: an unsigned export (what export_case writes without a key) whose
        # entries and heads still verify, and the report says it is not signed as a whole.
        assert not report.export_signed
        assert "export not signed as a whole" in str(report)
    elif where != ("export_signature", "public_key"):
        assert not report.ok, (where, replacement)


def document_value(document: dict[str, Any], where: tuple[Any, ...]) -> Any:
    value: Any = document
    for step in where:
        value = value[step]
    return value


def test_a_foreign_key_in_the_document_is_no_help(valid) -> None:
    document, key = valid
    forger = Ed25519PrivateKey.generate()
    changed = dict(
        document, public_keys={key_id(forger): forger.public_key().public_bytes_raw().hex()}
    )
    assert not verify_export(changed, {key_id(key): key.public_key()}).ok
    assert not verify_export(changed).ok


def test_the_reader_takes_markdown_too(valid) -> None:
    document, _ = valid
    text = "# notes\n\n## Verification data\n\n```json\n" + json.dumps(document) + "\n```\n"
    assert isinstance(read_export(text), ExportDocument)


def test_a_stripped_export_signature_is_reported_unsigned(valid) -> None:
    # The case hypothesis found: an export without its signature still verifies entry by
    # entry, but no longer claims to be signed as a whole.
    document, key = valid
    stripped = dict(document, export_signature=None)
    report = verify_export(stripped, {key_id(key): key.public_key()})
    assert report.ok and not report.export_signed
    assert verify_export(document, {key_id(key): key.public_key()}).export_signed
