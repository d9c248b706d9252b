"""``coopnet receipts verify``: files or a bot's record, trusted keys from a key or a network."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.cli import COMMAND_MODULES, main
from coopnet.keys import generate_signing_key, public_key_hex
from coopnet.network import lifecycle
from coopnet.network.botproc import signing_key_file
from coopnet.protocol import PAYLOAD_KEY, ConsultationOpened, Receipt, content_hash, encode
from coopnet.receipts import sign_receipt
from coopnet.records import NewEntry
from coopnet.records.store import RecordStore
from tests.unit.test_protocol_events import EXAMPLES

EVENT_ID = "$opened1:127.0.0.11"
RECEIVER = "@bot:127.0.0.12"


def opened_content() -> dict[str, Any]:
    event = ConsultationOpened.from_dict(copy.deepcopy(EXAMPLES[ConsultationOpened]))
    assert isinstance(event, ConsultationOpened)
    return encode(event)


def receipt_content(original: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    receipt = Receipt.from_dict(
        {
            "event_id": EVENT_ID,
            "content_hash": content_hash(original[PAYLOAD_KEY]),
            "receiver": RECEIVER,
            "received_at": dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC).isoformat(),
        }
    )
    assert isinstance(receipt, Receipt), receipt
    return sign_receipt(encode(receipt), key)


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def files(tmp_path: Path, key: Ed25519PrivateKey) -> tuple[Path, Path]:
    original = opened_content()
    receipt = receipt_content(original, key)
    # the receipt as a whole event (what "view source" shows), the event as bare content
    event = {"type": "m.room.message", "event_id": "$r", "content": receipt}
    return write(tmp_path / "receipt.json", event), write(tmp_path / "event.json", original)


def run(*argv: str) -> int:
    return main(["receipts", "verify", *argv])


def test_registered() -> None:
    assert "coopnet.cli.receipts" in COMMAND_MODULES


def test_valid_receipt_with_and_without_the_event(files, key, tmp_path: Path, capsys) -> None:
    receipt, event = files
    hexkey = public_key_hex(key)
    assert run(str(receipt), "--event", str(event), "--public-key", hexkey) == 0
    assert "VALID: valid receipt signed by key" in capsys.readouterr().out
    assert run(str(receipt), "--public-key", hexkey) == 0
    assert "not checked" in capsys.readouterr().out
    key_file = tmp_path / "bot.pub"
    key_file.write_text(hexkey + "\n", encoding="ascii")
    assert run(str(receipt), "--public-key", str(key_file)) == 0


def test_untrusted_key_is_refused(files, capsys) -> None:
    receipt, event = files
    other = public_key_hex(Ed25519PrivateKey.generate())
    assert run(str(receipt), "--event", str(event), "--public-key", other) == 1
    assert "not a trusted key" in capsys.readouterr().out


def _tamper(path: Path, change) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    write(path, value)


@pytest.mark.parametrize(
    "change, reason",
    [
        (
            lambda c: c["content"][PAYLOAD_KEY]["content"].update(content_hash="0" * 64),
            "signature does not match",
        ),
        (
            lambda c: c["content"][PAYLOAD_KEY]["content"].update(receiver="@mallory:x"),
            "signature does not match",
        ),
        (
            lambda c: c["content"][PAYLOAD_KEY]["signature"].update(value="ab" * 64),
            "signature does not match",
        ),
        (lambda c: c["content"][PAYLOAD_KEY]["signature"].update(value="zz"), "not hex"),
        (lambda c: c["content"][PAYLOAD_KEY].pop("signature"), "not signed"),
    ],
    ids=["hash", "receiver", "signature", "signature-not-hex", "unsigned"],
)
def test_tampered_receipt_is_refused(files, key, capsys, change, reason: str) -> None:
    receipt, event = files
    _tamper(receipt, change)
    assert run(str(receipt), "--event", str(event), "--public-key", public_key_hex(key)) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and reason in out


def test_changed_event_content_is_refused(files, key, capsys) -> None:
    receipt, event = files
    _tamper(event, lambda c: c[PAYLOAD_KEY]["content"].update(summary="something else"))
    assert run(str(receipt), "--event", str(event), "--public-key", public_key_hex(key)) == 1
    assert "content differs from what was receipted" in capsys.readouterr().out


def test_unreadable_inputs_and_usage(files, key, tmp_path: Path, capsys) -> None:
    receipt, _ = files
    hexkey = public_key_hex(key)
    assert run(str(tmp_path / "missing.json"), "--public-key", hexkey) == 2
    assert run(str(write(tmp_path / "x.json", [1])), "--public-key", hexkey) == 2
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert run(str(tmp_path / "bad.json"), "--public-key", hexkey) == 2
    assert run(str(receipt), "--public-key", str(tmp_path / "nokey")) == 2
    with pytest.raises(SystemExit):
        run(str(receipt))  # no trusted key
    with pytest.raises(SystemExit):
        run("--public-key", hexkey)  # nothing to verify
    with pytest.raises(SystemExit):
        run(str(receipt), "--db", "x.db", "--event-id", EVENT_ID, "--public-key", hexkey)


# -- from a bot's record ------------------------------------------------------------------


def record_with(path: Path, original: dict[str, Any], receipt: dict[str, Any]) -> None:
    with RecordStore(path, Ed25519PrivateKey.generate()) as store:
        for seq, (event_id, kind, sender, content) in enumerate(
            [
                (EVENT_ID, "event", "@officer:127.0.0.11", original),
                ("$chat", "message", "@officer:127.0.0.11", {"msgtype": "m.text", "body": "hi"}),
                ("$receipt1", "receipt", RECEIVER, receipt),
            ]
        ):
            store.append(
                NewEntry(
                    "CN-2026-0042",
                    "!room:127.0.0.11",
                    kind,
                    sender,
                    {"type": "m.room.message", "content": content},
                    event_id,
                    1_760_000_000_000 + seq,
                )
            )


def test_record_mode(tmp_path: Path, key, capsys) -> None:
    original = opened_content()
    db = tmp_path / "records.db"
    record_with(db, original, receipt_content(original, key))
    hexkey = public_key_hex(key)
    assert run("--db", str(db), "--event-id", EVENT_ID, "--public-key", hexkey) == 0
    out = capsys.readouterr().out
    assert "entry 3 (receipt of entry 1): VALID" in out
    assert run("--db", str(db), "--event-id", "$chat", "--public-key", hexkey) == 1
    assert "no receipt of event $chat" in capsys.readouterr().out
    other = public_key_hex(Ed25519PrivateKey.generate())
    assert run("--db", str(db), "--event-id", EVENT_ID, "--public-key", other) == 1
    missing = str(tmp_path / "none.db")
    assert run("--db", missing, "--event-id", EVENT_ID, "--public-key", hexkey) == 2


def test_record_mode_with_a_changed_event(tmp_path: Path, key, capsys) -> None:
    original = opened_content()
    receipt = receipt_content(original, key)
    changed = copy.deepcopy(original)
    changed[PAYLOAD_KEY]["content"]["summary"] = "rewritten"
    db = tmp_path / "records.db"
    record_with(db, changed, receipt)
    assert run("--db", str(db), "--event-id", EVENT_ID, "--public-key", public_key_hex(key)) == 1
    assert "content differs" in capsys.readouterr().out


def test_record_mode_without_the_event(tmp_path: Path, key, capsys) -> None:
    original = opened_content()
    db = tmp_path / "records.db"
    with RecordStore(db, Ed25519PrivateKey.generate()) as store:
        store.append(
            NewEntry(
                "CN-1",
                "!r:x",
                "receipt",
                RECEIVER,
                {"type": "m.room.message", "content": receipt_content(original, key)},
                "$receipt1",
            )
        )
    assert run("--db", str(db), "--event-id", EVENT_ID, "--public-key", public_key_hex(key)) == 1
    assert f"event {EVENT_ID} is not in the record" in capsys.readouterr().out


# -- trusted keys from a network directory --------------------------------------------------


def test_network_keys(tmp_path: Path, capsys) -> None:
    options = lifecycle.NetworkOptions(authorities=["ch", "mx"], base_address="127.0.0.161")
    network = lifecycle.create_network(tmp_path / "net", options)
    ch = network.authority("ch")
    mx_key = generate_signing_key(signing_key_file(network.authority("mx")))
    original = opened_content()
    receipt = write(tmp_path / "r.json", receipt_content(original, mx_key))
    event = write(tmp_path / "e.json", original)
    net = str(tmp_path / "net")
    assert not signing_key_file(ch).exists()  # skipped, not an error
    assert run(str(receipt), "--event", str(event), "--network", net) == 0
    forged = write(tmp_path / "f.json", receipt_content(original, Ed25519PrivateKey.generate()))
    assert run(str(forged), "--event", str(event), "--network", net) == 1
    capsys.readouterr()
    empty = lifecycle.create_network(
        tmp_path / "empty", lifecycle.NetworkOptions(authorities=["cn"], base_address="127.0.0.171")
    )
    assert run(str(receipt), "--network", str(empty.directory)) == 2
    assert "no member bot has a signing key" in capsys.readouterr().err
