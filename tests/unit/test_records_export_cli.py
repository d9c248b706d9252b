"""``coopnet records verify-export``: trusted keys from the signed directory or by hand,
an unverified signer said plainly (exit 1), and every malformed export answered with the
bad field and exit 2, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.cli import main
from coopnet.keys import load_signing_key, public_key_hex
from coopnet.network import Network, botproc
from coopnet.records.database import export_case
from tests.unit.test_receipt_keys_cli import _laid_out as laid_out_network
from tests.unit.test_records_support import make_store

CASE = "CN-2026-0001"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return laid_out_network(tmp_path_factory.mktemp("export-cli") / "net")


@pytest.fixture(scope="module")
def export_file(net: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = load_signing_key(botproc.signing_key_file(net.authority("cn")))
    folder = tmp_path_factory.mktemp("export-cli-record")
    store, _ = make_store(folder / "records.db", 20, key=key, cases=2)
    store.close()
    path = folder / "case.json"
    path.write_text(export_case(folder / "records.db", CASE), encoding="utf-8")
    return path


def verify(*argv: Any) -> int:
    return main(["records", "verify-export", *(str(a) for a in argv)])


def test_without_a_trusted_key_the_signer_is_unverified(export_file: Path, capsys) -> None:
    assert verify(export_file) == 1
    out = capsys.readouterr().out
    assert "OK: case" in out and "signer UNVERIFIED" in out


def test_the_signed_directory_vouches_for_the_bot(net: Network, export_file, capsys) -> None:
    file = net.directory / "directory.json"
    assert net.steward_key is not None
    assert verify(export_file, "--directory", file, "--steward-key", net.steward_key) == 0
    out = capsys.readouterr().out
    assert "complete:" in out and "signer trusted" in out and "@" in out
    assert verify(export_file, "--network", net.directory) == 0
    assert verify(export_file, "--directory", file, "--steward-key", "ab" * 32) == 2
    assert "coopnet records:" in capsys.readouterr().err


def test_a_key_given_by_hand(net: Network, export_file: Path, tmp_path: Path, capsys) -> None:
    key = load_signing_key(botproc.signing_key_file(net.authority("cn")))
    assert verify(export_file, "--pubkey", public_key_hex(key)) == 0
    pub = tmp_path / "bot.pub"
    pub.write_text(public_key_hex(key) + "\n", encoding="ascii")
    assert verify(export_file, "--pubkey", pub) == 0
    other = public_key_hex(Ed25519PrivateKey.generate())
    assert verify(export_file, "--pubkey", other) == 1
    assert "not a trusted key" in capsys.readouterr().out


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


def _first_key(document: dict[str, Any]) -> None:
    kid = next(iter(document["public_keys"]))
    document["public_keys"][kid] = 5


MALFORMED = [
    (_set(("public_keys",), []), "public_keys: wrong_type"),
    (_first_key, "bad_format"),
    (_set(("entries",), {}), "entries: wrong_type"),
    (_set(("entries", 0, "seq"), "1"), "entries[0].seq: wrong_type"),
    (_set(("entries", 2), 7), "entries[2]: wrong_type"),
    (_set(("entries", 1, "content"), KeyError), "entries[1].content: missing"),
    (_set(("entries", 1, "event_id"), 12), "entries[1].event_id: wrong_type"),
    (_set(("chain_head",), "x"), "chain_head: wrong_type"),
    (_set(("chain_head", "case_heads"), "yes"), "chain_head.case_heads: wrong_type"),
    (_set(("case_head", "count"), "3"), "case_head.count: wrong_type"),
    (_set(("case_head", "seq"), True), "case_head.seq: wrong_type"),
    (_set(("version",), 9), "version: unsupported_version"),
    (_set(("version",), KeyError), "version: missing"),
    (_set(("format",), "other"), "format: bad_format"),
    (_set(("case_ref",), None), "case_ref: wrong_type: expected a string, got null"),
]


@pytest.mark.parametrize("change, where", MALFORMED)
def test_malformed_export_names_the_field(export_file, tmp_path: Path, capsys, change, where):
    document = json.loads(export_file.read_text(encoding="utf-8"))
    change(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    assert verify(bad, "--pubkey", "ab" * 32) == 2
    err = capsys.readouterr().err
    assert where in err and "Traceback" not in err, err


def test_unreadable_texts(export_file: Path, tmp_path: Path, capsys) -> None:
    text = export_file.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    for content in (
        text[: len(text) // 2],  # truncated mid-file
        "{" + '"a":' + "[" * 100_000,  # nested far too deep
        "# a Markdown file without the verification data",
        "[]",
        "{}",
    ):
        bad.write_text(content, encoding="utf-8")
        assert verify(bad) == 2
        err = capsys.readouterr().err
        assert err.startswith("coopnet records:") and "Traceback" not in err
    bad.write_bytes(b"\xff\xfe not utf-8")
    assert verify(bad) == 2
    assert verify(tmp_path / "missing.json") == 2
