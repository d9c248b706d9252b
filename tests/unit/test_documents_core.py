"""Documents in the pure core: the m.file wire format, the spec's EncryptedFile checks,
versions, translations and certification folded into the consultation."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest

from coopnet.consultation import Consultation, DocumentState, Message, Topic, versions
from coopnet.protocol import (
    PAYLOAD_KEY,
    Document,
    Link,
    ParseError,
    Receipt,
    content_hash,
    encode,
    encode_document,
    encrypted_file,
    parse_content,
)
from tests.unit.test_consultation_core import (
    CH_BOT,
    CH_OFFICER,
    DAY_MS,
    MX_BOT,
    MX_OFFICER,
    ROSTER,
    opened,
)

FILE = encrypted_file("mxc://127.0.0.11/AbCdEf123", b"k" * 32, b"i" * 8 + bytes(8), b"h" * 32)


def document(link: Link, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "document_kind": "arrest_warrant",
        "title": "Arrest warrant",
        "language": "es",
        "size": 11,
        "sha256": hashlib.sha256(b"hello world").hexdigest(),
        "filename": "warrant.pdf",
        **fields,
    }
    parsed = Document.from_dict(values)
    assert isinstance(parsed, Document), parsed
    return encode_document(parsed, FILE, "en", after=link)


def receipt_for(event_id: str, content: dict[str, Any], bot: str, **changes: Any) -> dict:
    values = {
        "event_id": event_id,
        "content_hash": content_hash(content[PAYLOAD_KEY]),
        "receiver": bot,
        "received_at": "2026-11-20T10:00:00Z",
        "document_sha256": content[PAYLOAD_KEY]["content"]["sha256"],
        "document_size": content[PAYLOAD_KEY]["content"]["size"],
        **changes,
    }
    receipt = Receipt.from_dict(values)
    assert isinstance(receipt, Receipt), receipt
    return encode(receipt)


def consultation(*messages: tuple[str, str, dict[str, Any]]) -> Consultation:
    c = Consultation(ROSTER)
    for i, (event_id, sender, content) in enumerate(messages):
        c.add(Message.of(event_id, sender, DAY_MS + i, json.loads(json.dumps(content))))
    return c


# ------------------------------------------------------------------ wire format
def test_a_document_is_an_m_file_with_the_spec_encrypted_file() -> None:
    content = document(None)
    assert content["msgtype"] == "m.file"
    assert content["filename"] == "warrant.pdf"
    assert content["info"] == {"size": 11}
    assert "url" not in content  # encrypted: the url is inside ``file`` only
    assert content["file"]["key"] == {
        "kty": "oct",
        "key_ops": ["encrypt", "decrypt"],
        "alg": "A256CTR",
        "k": FILE["key"]["k"],
        "ext": True,
    }
    assert content["file"]["v"] == "v2"
    assert "=" not in content["file"]["iv"] + content["file"]["hashes"]["sha256"]
    assert isinstance(parse_content(json.loads(json.dumps(content))), Document)


def test_encode_refuses_a_document_without_its_file() -> None:
    parsed = parse_content(document(None))
    assert isinstance(parsed, Document)
    with pytest.raises(TypeError):
        encode(parsed)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("file", "key", "alg"), "A128CTR", "file.key.alg"),
        (("file", "key", "kty"), "RSA", "file.key.kty"),
        (("file", "key", "ext"), False, "file.key.ext"),
        (("file", "key", "key_ops"), ["decrypt"], "file.key.key_ops"),
        (("file", "key", "k"), "c2hvcnQ", "file.key.k"),
        (("file", "iv"), "AAAA", "file.iv"),
        (("file", "hashes", "sha256"), "not base64!", "file.hashes.sha256"),
        (("file", "v"), "v1", "file.v"),
        (("file", "url"), "https://example.org/x", "file.url"),
        (("msgtype",), "m.text", "msgtype"),
        (("info", "size"), 12, "info.size"),
    ],
)
def test_a_bad_attachment_is_refused_naming_the_field(
    path: tuple[str, ...], value: Any, field: str
) -> None:
    content = copy.deepcopy(document(None))
    target = content
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    parsed = parse_content(content)
    assert isinstance(parsed, ParseError)
    assert any(p.path == field for p in parsed.problems), parsed


def test_a_missing_file_is_refused() -> None:
    content = document(None)
    del content["file"]
    parsed = parse_content(content)
    assert isinstance(parsed, ParseError) and parsed.problems[0].path == "file"


@pytest.mark.parametrize("name", ["../etc/passwd", "dir/file.pdf", ".hidden", "a\\b.pdf"])
def test_a_file_name_with_a_directory_part_is_refused(name: str) -> None:
    assert isinstance(Document.from_dict({**document_fields(), "filename": name}), ParseError)


def document_fields() -> dict[str, Any]:
    return dict(document(None)[PAYLOAD_KEY]["content"])


# ------------------------------------------------------------------ the fold
def test_certified_only_by_the_receiving_bots_receipt_of_the_same_hash() -> None:
    doc = document("$open")
    c = consultation(("$open", CH_OFFICER, opened()), ("$doc", CH_OFFICER, doc))
    [held] = c.documents()
    assert held.state is DocumentState.PENDING
    # The sender's own bot does not certify what its officer sent.
    c.add(Message.of("$r-own", CH_BOT, DAY_MS + 5, receipt_for("$doc", doc, CH_BOT)))
    assert c.documents()[0].state is DocumentState.PENDING
    c.add(Message.of("$r-mx", MX_BOT, DAY_MS + 6, receipt_for("$doc", doc, MX_BOT)))
    held = c.documents()[0]
    assert held.state is DocumentState.CERTIFIED
    assert held.certified_by == (MX_BOT,)


def test_a_receipt_of_another_hash_is_a_mismatch() -> None:
    doc = document("$open")
    wrong = receipt_for("$doc", doc, MX_BOT, document_sha256="0" * 64)
    c = consultation(
        ("$open", CH_OFFICER, opened()), ("$doc", CH_OFFICER, doc), ("$r", MX_BOT, wrong)
    )
    assert c.documents()[0].state is DocumentState.MISMATCH


def test_versions_and_translations_link_to_their_original() -> None:
    c = consultation(
        ("$open", CH_OFFICER, opened()),
        ("$v1", CH_OFFICER, document("$open")),
        ("$v2", CH_OFFICER, document("$v1", replaces="$v1", title="Arrest warrant (corrected)")),
        (
            "$tr",
            MX_OFFICER,
            document("$v2", document_kind="translation", language="fr", translation_of="$v2"),
        ),
    )
    by_id = {d.event_id: d for d in c.documents()}
    assert by_id["$v1"].replaced_by == "$v2" and not by_id["$v1"].is_latest
    assert by_id["$v2"].is_latest and by_id["$v2"].translations == ("$tr",)
    assert [d.event_id for d in versions(c.documents(), "$v1")] == ["$v1", "$v2"]
    assert [d.event_id for d in versions(c.documents(), "$v2")] == ["$v1", "$v2"]


@pytest.mark.parametrize(
    ("sender", "fields", "code"),
    [
        (CH_OFFICER, {"replaces": "$nothing"}, "unknown_document"),
        (MX_OFFICER, {"replaces": "$v1"}, "not_own_document"),
        (CH_OFFICER, {"translation_of": "$nothing"}, "unknown_document"),
    ],
)
def test_bad_links_are_refused(sender: str, fields: dict[str, Any], code: str) -> None:
    c = consultation(("$open", CH_OFFICER, opened()), ("$v1", CH_OFFICER, document("$open")))
    candidate = Message.of("$new", sender, DAY_MS + 9, document("$v1", **fields))
    refusal = c.check(candidate)
    assert refusal is not None and refusal.code == code and refusal.topic is Topic.DOCUMENT
    c.add(candidate)
    assert "$new" not in {d.event_id for d in c.documents()}


def test_a_version_replaced_twice_concurrently_is_a_conflict() -> None:
    c = consultation(
        ("$open", CH_OFFICER, opened()),
        ("$v1", CH_OFFICER, document("$open")),
        ("$a", CH_OFFICER, document("$v1", replaces="$v1", title="A")),
        ("$b", CH_OFFICER, document("$v1", replaces="$v1", title="B")),
    )
    conflicts = c.conflicts()
    assert len(conflicts) == 1 and conflicts[0].code == "already_replaced"
    assert [d.event_id for d in versions(c.documents(), "$v1")][-1] == conflicts[0].conflict_with
