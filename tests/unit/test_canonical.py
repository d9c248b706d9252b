"""One canonical JSON module: every public name gives the same bytes and hashes."""

from __future__ import annotations

import hashlib

import pytest

import coopnet.protocol as protocol
import coopnet.records as records
from coopnet import canonical
from coopnet.records import canonical as records_canonical

VALUE = {"z": [1, 2.5, None, True], "a": {"é": "引渡 تسليم", "b": ""}}
EXPECTED = '{"a":{"b":"","é":"引渡 تسليم"},"z":[1,2.5,null,true]}'


def test_the_one_encoding() -> None:
    assert canonical.canonical_text(VALUE) == EXPECTED
    assert canonical.canonical_bytes(VALUE) == EXPECTED.encode("utf-8")
    assert canonical.content_hash(VALUE) == hashlib.sha256(EXPECTED.encode()).hexdigest()
    assert canonical.sha256_hex(EXPECTED) == canonical.sha256_hex(EXPECTED.encode())


def test_old_names_are_the_shared_functions() -> None:
    # one meaning per name: canonical_bytes is bytes everywhere, canonical_json is text
    assert protocol.canonical_bytes is canonical.canonical_bytes
    assert not hasattr(protocol, "canonical_json")
    assert protocol.content_hash is canonical.content_hash
    assert records.canonical_json is canonical.canonical_text
    assert records_canonical.canonical_json is canonical.canonical_text
    assert records_canonical.canonical_bytes is canonical.canonical_bytes
    assert records.sha256_hex is canonical.sha256_hex


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1j: 1}, object()])
def test_values_json_cannot_carry_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonical.canonical_bytes(bad)


def test_lone_surrogate_is_refused_as_bytes() -> None:
    assert canonical.canonical_text("\ud800") == '"\ud800"'
    with pytest.raises(UnicodeEncodeError):
        canonical.canonical_bytes("\ud800")
