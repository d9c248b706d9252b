"""Every file-reading command answers a bad file with exit 2 and one clear line, never a
traceback (property test, no homeserver).

Each case is a command and one file it reads, laid out once per module in a valid state.
Hypothesis writes that file as generated JSON, a mutation of the valid file (a value
replaced or removed somewhere in it), the valid file cut short, bytes that are not UTF-8,
or no file at all, and runs the CLI's ``main()`` in-process. A mutation can happen to
leave the file valid (or signed content can fail its signature): such a run may succeed
or report a failed check, but whenever the command exits 2 its message is one line naming
the file, and no run ends in an exception.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.cli import main
from coopnet.keys import public_key_hex
from coopnet.network import botproc, lifecycle
from coopnet.network import trust as network_trust
from coopnet.records import NewEntry
from coopnet.records.database import export_case
from coopnet.records.store import RecordStore
from tests.admin.helpers import render
from tests.unit.test_receipts_cli import opened_content, receipt_content, write
from tests.unit.test_trust_directory import device_key

RULES = Path(__file__).resolve().parents[2] / "coopnet" / "stages" / "deadline_rules.json"
EXAMPLES = int(os.environ.get("COOPNET_BAD_FILE_EXAMPLES", "15"))


@dataclass(frozen=True)
class Case:
    """A command (``argv``) and the file it reads (``path``), valid as laid out."""

    name: str
    path: Path
    argv: list[str]
    form: str = "json"  # how a mutated file is written: json, yaml, or bytes (an archive)
    succeeds: frozenset[int] = frozenset({0})  # exit codes of a run on a valid file


@dataclass(frozen=True)
class Layout:
    cases: dict[str, Case]
    pristine: dict[Path, tuple[bytes, int]]  # content and mode

    def write(self, path: Path, content: bytes) -> None:
        path.write_bytes(content)
        path.chmod(self.pristine[path][1])  # an owner-only file stays owner-only

    def restore(self, path: Path) -> None:
        self.write(path, self.pristine[path][0])


def _quiet_bot_and_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that gets a valid file goes as far as it can without a homeserver: the
    bot's event loop and the terminal client's screen are not started."""
    import bots.consultation.runner as runner
    import coopnet.cli.tui as tui_cli
    import tui.app

    def no_loop(coroutine: Any) -> None:
        coroutine.close()

    monkeypatch.setattr(runner, "asyncio", SimpleNamespace(run=no_loop))
    monkeypatch.setattr(tui.app.CoopNetApp, "run", lambda self, *a, **k: None)
    monkeypatch.setattr(tui_cli, "_log_to_file", lambda service: None)


def _local_network(root: Path) -> Path:
    net = root / "net"
    options = lifecycle.NetworkOptions(authorities=["ch", "cn"], base_address="127.0.0.231")
    network = lifecycle.create_network(net, options)
    officer = network.authority("ch").officers()[0]
    officer.device_id, officer.ed25519 = "CHDEV", device_key()
    botproc.prepare(network.authority("ch"))  # its receipt key is listed in the directory
    network_trust.ensure_directory(network, [], lambda _m: None)
    return net


def _receipt_files(root: Path) -> tuple[Path, Path, str]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    original = opened_content()
    receipt = {"type": "m.room.message", "content": receipt_content(original, key)}
    return (
        write(root / "receipt.json", receipt),
        write(root / "event.json", original),
        (public_key_hex(key)),
    )


def _backup(root: Path, authority: Path) -> Path:
    (authority / "data" / "bot" / "store").mkdir(parents=True, exist_ok=True)
    (authority / "data" / "bot" / "store" / "olm.txt").write_text("state")
    archive = root / "backup.tar.gz"
    assert main(["admin", "backup", "--authority-dir", str(authority), "--out", str(archive)]) == 0
    return archive


def _export(root: Path) -> Path:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with RecordStore(root / "records.db", Ed25519PrivateKey.generate()) as store:
        for i in range(3):
            body = {"body": f"entry {i}"}
            store.append(NewEntry("CH-1", "!r:x", "message", "@a:x", body, event_id=f"${i}"))
        text = export_case(store, "CH-1")
    path = root / "export.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    root = tmp_path_factory.mktemp("bad-files")
    with contextlib.redirect_stdout(io.StringIO()):
        net = _local_network(root)
        steward, authority = render(root)
        backup = _backup(root, authority)
    receipt, event, public_key = _receipt_files(root)
    bot_pub = root / "bot.pub"
    bot_pub.write_text(public_key + "\n")
    rules = root / "rules.json"
    shutil.copyfile(RULES, rules)
    passphrase = root / "passphrase"
    passphrase.write_text("a long cache passphrase\n")
    passphrase.chmod(0o600)
    directory = net / "directory.json"
    accepted = root / "accepted.json"
    accepted.write_bytes((net / "steward" / "accepted.json").read_bytes())
    steward_pub = root / "steward.pub"
    steward_pub.write_text(json.loads((net / "network.json").read_text())["steward_key"] + "\n")
    enrolment = root / "enrolment.json"
    enrolment.write_text(
        json.dumps(
            {
                "type": "coopnet.enrolment_request/1",
                "verification": {
                    "user_id": "@officer2:127.0.0.231",
                    "device_id": "LAPTOP",
                    "ed25519": device_key(),
                    "verified_by": "@officer1:127.0.0.231",
                    "verifier_device": "CHDEV",
                    "verified_at": "2026-03-01T12:00:00+00:00",
                    "method": "sas-emoji",
                },
                "signature": "bm90IGEgc2lnbmF0dXJl",
            }
        )
    )
    export = _export(root)
    fresh = root / "fresh"
    published = root / "published.json"
    published.write_bytes((steward / "directory" / "directory.json").read_bytes())
    signed = root / "signed.json"
    signed.write_bytes(directory.read_bytes())
    store = root / "store"
    at = str
    cases = [
        Case("network.json: net down", net / "network.json", ["net", "down", "--dir", at(net)]),
        Case(
            "network.json: directory show",
            net / "network.json",
            ["directory", "show", "--dir", at(net)],
            succeeds=frozenset({0, 1}),  # a mutated steward key refuses the directory
        ),
        Case(
            "network.json: net status",
            net / "network.json",
            ["net", "status", "--dir", at(net)],
            succeeds=frozenset({3}),  # no homeserver answers
        ),
        Case(
            "network.json: bot run --network",
            net / "network.json",
            ["bot", "run", "--network", at(net), "--authority", "ch"],
            succeeds=frozenset({0, 1}),  # e.g. a mutated account is not ch's bot any more
        ),
        Case(
            "network.json: tui",
            net / "network.json",
            ["tui", "--network", at(net), "--no-cache"],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "directory.json: directory verify",
            directory,
            ["directory", "verify", at(directory), "--dir", at(net)],
            succeeds=frozenset({0, 1}),  # signed content that was changed: refused (exit 1)
        ),
        Case(
            "signed directory: tui --directory",
            signed,
            ["tui", "--homeserver", "http://127.0.0.1:9", "--user", "@officer1:127.0.0.231"]
            + ["--directory", at(signed), "--steward-key", at(steward_pub), "--store", at(store)]
            + ["--no-cache"],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "signed directory: receipts verify --directory",
            signed,
            ["receipts", "verify", at(receipt), "--directory", at(signed)]
            + ["--steward-key", at(steward_pub)],
            succeeds=frozenset({1}),  # the receipt's key is not the directory's bot key
        ),
        Case(
            "signed directory: admin publish-directory --from",
            published,
            ["admin", "publish-directory", "--from", at(published), "--authority-dir"]
            + [at(authority)],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "accepted.json: directory verify --accepted-file",
            accepted,
            ["directory", "verify", at(directory), "--dir", at(net), "--accepted-file"]
            + [at(accepted)],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "steward.pub: directory verify --steward-key",
            steward_pub,
            ["directory", "verify", at(directory), "--dir", at(net), "--steward-key"]
            + [at(steward_pub)],
            form="bytes",
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "enrolment request: directory enrol",
            enrolment,
            ["directory", "enrol", at(enrolment), "--dir", at(net)],
            succeeds=frozenset({1}),  # its signature never matches
        ),
        Case(
            "steward.json: directory show --steward-dir",
            steward / "steward.json",
            ["directory", "show", "--steward-dir", at(steward)],
        ),
        Case(
            "steward.key: directory show --steward-dir",
            steward / "keys" / "steward.key",
            ["directory", "show", "--steward-dir", at(steward)],
            form="bytes",
            succeeds=frozenset({0, 1}),  # a changed byte can make another key: wrong key
        ),
        Case(
            "bot.yaml: bot run --config",
            authority / "bot" / "bot.yaml",
            ["bot", "run", "--config", at(authority / "bot" / "bot.yaml")],
            form="yaml",
            succeeds=frozenset({0, 1}),  # e.g. a mutated user id is not the directory's bot
        ),
        Case(
            "authority.json: admin publish-directory",
            authority / "authority.json",
            ["admin", "publish-directory", "--steward-dir", at(steward), "--authority-dir"]
            + [at(authority)],
        ),
        Case(
            "homeserver.yaml: admin register-officer",
            authority / "synapse" / "config" / "homeserver.yaml",
            ["admin", "register-officer", "--authority-dir", at(authority), "--localpart", "o"]
            + ["--homeserver", "http://127.0.0.1:9"],  # nothing answers: exit 1 when valid
            form="yaml",
            succeeds=frozenset({1}),
        ),
        Case(
            "backup archive: admin restore",
            backup,
            ["admin", "restore", "--authority-dir", at(fresh), "--archive", at(backup)],
            form="bytes",
            succeeds=frozenset({0, 1}),  # the second restore refuses to replace files
        ),
        Case("deadline rules: stages --rules", rules, ["stages", "--rules", at(rules)]),
        Case(
            "receipt: receipts verify",
            receipt,
            ["receipts", "verify", at(receipt), "--event", at(event), "--public-key", public_key],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "receipted event: receipts verify --event",
            event,
            ["receipts", "verify", at(receipt), "--event", at(event), "--public-key", public_key],
            succeeds=frozenset({0, 1}),
        ),
        Case(
            "bot public key file: receipts verify --public-key",
            bot_pub,
            ["receipts", "verify", at(receipt), "--public-key", at(bot_pub)],
            form="bytes",
            succeeds=frozenset({0, 1}),  # a changed key no longer verifies the receipt
        ),
        Case(
            "passphrase file: tui --cache-passphrase-file",
            passphrase,
            ["tui", "--network", at(net), "--cache-passphrase-file", at(passphrase)],
            form="bytes",
        ),
        Case(
            "export: records verify-export",
            export,
            ["records", "verify-export", at(export)],
            succeeds=frozenset({0, 1}),
        ),
    ]
    pristine = {case.path: (case.path.read_bytes(), case.path.stat().st_mode) for case in cases}
    level = logging.getLogger().level  # 'bot run' turns on INFO logging
    with pytest.MonkeyPatch.context() as monkeypatch:
        _quiet_bot_and_client(monkeypatch)
        yield Layout({case.name: case for case in cases}, pristine)
    logging.getLogger().setLevel(level)


# ---------------------------------------------------------------- what gets written
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a decoded document: keys of objects, indexes of lists."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutated(document: Any, place: tuple[Any, ...], new: Any, remove: bool) -> Any:
    if not place:
        return new
    document = copy.deepcopy(document)
    parent = document
    for step in place[:-1]:
        parent = parent[step]
    if remove:
        del parent[place[-1]]
    else:
        parent[place[-1]] = new
    return document


def _decoded(case: Case, data: bytes) -> Any:
    return yaml.safe_load(data) if case.form == "yaml" else json.loads(data)


def _encoded(case: Case, value: Any) -> bytes:
    if case.form == "yaml":
        return yaml.safe_dump(value, allow_unicode=True).encode()
    return json.dumps(value, ensure_ascii=False).encode()


@st.composite
def contents(draw: st.DrawFn, case: Case, pristine: bytes) -> bytes | None:
    """What the file holds for one run; None: the file is missing."""
    kinds = ["truncated", "not utf-8", "missing", "mutated bytes"]
    if case.form != "bytes":
        kinds += ["generated", "mutated", "mutated", "wrong top level"]
    kind = draw(st.sampled_from(kinds))
    if kind == "missing":
        return None
    if kind == "truncated":
        return pristine[: draw(st.integers(0, len(pristine) - 1))]
    if kind == "not utf-8":
        at = draw(st.integers(0, len(pristine)))
        return (
            pristine[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80"]))
            + (pristine[at:])
        )
    if kind == "mutated bytes":
        at = draw(st.integers(0, len(pristine) - 1))
        return pristine[:at] + bytes([draw(st.integers(0, 255))]) + pristine[at + 1 :]
    if kind == "generated":
        return _encoded(case, draw(json_values))
    document = _decoded(case, pristine)
    if kind == "wrong top level":
        return _encoded(case, draw(st.sampled_from([[document], "text", 7, None, []])))
    place = draw(st.sampled_from(_paths(document)))
    remove = bool(place) and draw(st.booleans())
    return _encoded(case, _mutated(document, place, draw(json_values), remove))


# ---------------------------------------------------------------- running the command
def run_cli(argv: list[str]) -> tuple[int, str]:
    """``main(argv)`` in-process: its exit code and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def check_answer(case: Case, code: int, err: str) -> None:
    assert "Traceback" not in err, err
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, f"{case.name}: not one line:\n{err}"
        assert case.path.name in lines[0], f"{case.name}: the file is not named: {lines[0]}"
    else:
        assert code in case.succeeds, f"{case.name}: exit {code}:\n{err}"


def _exercise(layout: Layout, name: str, content: Callable[[Case, bytes], Any]) -> None:
    case = layout.cases[name]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def one_file(data: st.DataObject) -> None:
        written = data.draw(content(case, layout.pristine[case.path][0]), label="content")
        try:
            if written is None:
                case.path.unlink()
            else:
                layout.write(case.path, written)
            code, err = run_cli(case.argv)
            check_answer(case, code, err)
        finally:
            layout.restore(case.path)

    one_file()


CASE_NAMES = [
    "network.json: net down",
    "network.json: directory show",
    "network.json: net status",
    "network.json: bot run --network",
    "network.json: tui",
    "directory.json: directory verify",
    "signed directory: tui --directory",
    "signed directory: receipts verify --directory",
    "signed directory: admin publish-directory --from",
    "accepted.json: directory verify --accepted-file",
    "steward.pub: directory verify --steward-key",
    "enrolment request: directory enrol",
    "steward.json: directory show --steward-dir",
    "steward.key: directory show --steward-dir",
    "bot.yaml: bot run --config",
    "authority.json: admin publish-directory",
    "homeserver.yaml: admin register-officer",
    "backup archive: admin restore",
    "deadline rules: stages --rules",
    "receipt: receipts verify",
    "receipted event: receipts verify --event",
    "bot public key file: receipts verify --public-key",
    "passphrase file: tui --cache-passphrase-file",
]


def test_every_case_is_exercised(layout: Layout) -> None:
    assert set(CASE_NAMES) | {"export: records verify-export"} == set(layout.cases)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_the_valid_file_is_accepted(layout: Layout, name: str) -> None:
    case = layout.cases[name]
    code, err = run_cli(case.argv)
    assert code in case.succeeds and "Traceback" not in err, err


@pytest.mark.parametrize("name", CASE_NAMES)
def test_a_bad_file_is_answered_with_exit_2_and_one_line(layout: Layout, name: str) -> None:
    _exercise(layout, name, contents)


def test_a_bad_export_is_answered_without_a_traceback(layout: Layout) -> None:
    # the export format and its reader belong to coopnet.records: exit 1 or 2, no traceback
    _exercise(layout, "export: records verify-export", contents)


def test_an_archive_that_is_not_gzip_names_the_archive(layout: Layout, tmp_path: Path) -> None:
    case = layout.cases["backup archive: admin restore"]
    with tarfile.open(tmp_path / "plain.tar", "w") as tar:
        tar.add(RULES, arcname="coopnet-backup.json")
    argv = [a if a != str(case.path) else str(tmp_path / "plain.tar") for a in case.argv]
    code, err = run_cli(argv)
    assert code == 2 and "plain.tar" in err and len(err.strip().splitlines()) == 1, err
