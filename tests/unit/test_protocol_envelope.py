"""Wire format in m.room.message, fallback rendering, canonical JSON and content hash."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from coopnet.protocol import (
    EVENT_CLASSES,
    LANGUAGES,
    MAX_PAYLOAD_BYTES,
    PAYLOAD_KEY,
    ConsultationOpened,
    Document,
    Event,
    ParseError,
    PayloadTooLargeError,
    PersonIdentity,
    Receipt,
    canonical_bytes,
    content_hash,
    encode,
    encode_document,
    encrypted_file,
    parse_content,
    render_html,
    render_text,
)
from tests.unit.test_protocol_events import EXAMPLES

# A file object as the sender's client makes it (the key and hashes are only examples).
EXAMPLE_FILE = encrypted_file(
    "mxc://127.0.0.11/AbCdEf123", b"k" * 32, b"i" * 8 + bytes(8), b"h" * 32
)


def encode_any(event: Event, lang: str = "en") -> dict:
    """encode(), or encode_document() with an example file for a document."""
    if isinstance(event, Document):
        return encode_document(event, EXAMPLE_FILE, lang)
    return encode(event, lang)


def make(cls: type[Event]) -> Event:
    event = cls.from_dict(copy.deepcopy(EXAMPLES[cls]))
    assert isinstance(event, cls)
    return event


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_encode_then_parse(cls: type[Event], lang: str) -> None:
    event = make(cls)
    content = encode_any(event, lang)
    expected = {Receipt: "m.notice", Document: "m.file"}.get(cls, "m.text")
    assert content["msgtype"] == expected
    assert content["format"] == "org.matrix.custom.html"
    assert content[PAYLOAD_KEY]["type"] == cls.type_name()
    assert content[PAYLOAD_KEY]["version"] == 1
    wire = json.loads(json.dumps(content))  # what the other side decrypts
    assert parse_content(wire) == event


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_fallback_is_labelled_in_the_language(cls: type[Event], lang: str) -> None:
    event = make(cls)
    text, html = render_text(event, lang), render_html(event, lang)
    assert text.startswith("[CoopNet] ")
    assert "field." not in text and "event." not in text  # no unlabelled keys leak
    assert html.startswith("<p><b>CoopNet · ")
    assert html.count("<ul>") == html.count("</ul>")


def test_fallback_content_in_french() -> None:
    text = render_text(make(ConsultationOpened), "fr")
    assert "Consultation ouverte" in text
    assert "Référence du dossier: CN-2026-0042" in text
    assert "Extradition" in text and "Urgente" in text


def test_html_fallback_escapes_user_text() -> None:
    data = {**EXAMPLES[ConsultationOpened], "summary": "<script>alert(1)</script> & co"}
    event = ConsultationOpened.from_dict(data)
    assert isinstance(event, ConsultationOpened)
    html = render_html(event)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co" in html


def test_long_fallback_is_shortened_but_payload_complete() -> None:
    data = {
        **EXAMPLES[PersonIdentity],
        "offence_facts": "word " * 799,
        "physical_description": "x" * 2000,
        "aliases": ["y" * 200] * 20,
    }
    event = PersonIdentity.from_dict(data)
    assert isinstance(event, PersonIdentity)
    content = encode(event)
    assert len(content["body"]) <= 6000 and "shortened" in content["body"]
    assert parse_content(content) == event


def test_not_coopnet_gives_none() -> None:
    assert parse_content({"msgtype": "m.text", "body": "hello"}) is None
    assert parse_content("not a dict") is None
    assert parse_content(None) is None


@pytest.mark.parametrize(
    ("payload", "path", "reason"),
    [
        ("string", PAYLOAD_KEY, "wrong_type"),
        ({"version": 1, "content": {}}, f"{PAYLOAD_KEY}.type", "missing"),
        (
            {"type": "org.coopnet.consultation.nope", "version": 1, "content": {}},
            f"{PAYLOAD_KEY}.type",
            "unknown_type",
        ),
        (
            {"type": "org.coopnet.consultation.opened", "version": 2, "content": {}},
            f"{PAYLOAD_KEY}.version",
            "unsupported_version",
        ),
        (
            {"type": "org.coopnet.consultation.opened", "version": True, "content": {}},
            f"{PAYLOAD_KEY}.version",
            "unsupported_version",
        ),
        (
            {"type": "org.coopnet.consultation.opened", "version": 1},
            f"{PAYLOAD_KEY}.content",
            "missing",
        ),
        (
            {"type": "org.coopnet.consultation.opened", "version": 1, "content": []},
            f"{PAYLOAD_KEY}.content",
            "wrong_type",
        ),
        (
            {
                "type": "org.coopnet.consultation.opened",
                "version": 1,
                "content": {**EXAMPLES[ConsultationOpened], "kind": "war"},
            },
            f"{PAYLOAD_KEY}.content.kind",
            "not_allowed",
        ),
    ],
)
def test_bad_payloads_are_error_values(payload: Any, path: str, reason: str) -> None:
    result = parse_content({PAYLOAD_KEY: payload})
    assert isinstance(result, ParseError)
    assert (path, reason) in {(p.path, p.reason) for p in result.problems}


def test_oversized_payload_refused_both_ways() -> None:
    event = make(ConsultationOpened)
    big = {**event.to_dict(), "x-padding": "z" * MAX_PAYLOAD_BYTES}
    result = parse_content({PAYLOAD_KEY: {"type": event.type_name(), "version": 1, "content": big}})
    assert isinstance(result, ParseError) and result.problems[0].reason == "too_large"
    padded = ConsultationOpened.from_dict(big)
    assert isinstance(padded, ConsultationOpened)
    with pytest.raises(PayloadTooLargeError):
        encode(padded)


def test_deeply_nested_or_non_json_input_does_not_raise() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    content = {
        PAYLOAD_KEY: {
            "type": "org.coopnet.consultation.opened",
            "version": 1,
            "content": {"x": deep},
        }
    }
    result = parse_content(content)
    assert isinstance(result, ParseError) and result.problems[0].reason == "not_json"
    odd = {PAYLOAD_KEY: {"type": "x", "version": 1, "content": {"x": float("nan")}}}
    assert isinstance(parse_content(odd), ParseError)


def test_canonical_bytes_and_hash() -> None:
    a = {"b": [1, {"z": "é", "a": None}], "a": True}
    b = json.loads('{"a": true, "b": [1, {"a": null, "z": "é"}]}')
    assert canonical_bytes(a) == '{"a":true,"b":[1,{"a":null,"z":"é"}]}'.encode()
    assert content_hash(a) == content_hash(b)
    assert len(content_hash(a)) == 64
    assert content_hash(a) != content_hash({**a, "a": False})
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("inf")})


def test_hash_of_received_payload_survives_json_transport() -> None:
    content = encode(make(Receipt))
    received = json.loads(json.dumps(content, indent=3))
    assert content_hash(received[PAYLOAD_KEY]) == content_hash(content[PAYLOAD_KEY])
