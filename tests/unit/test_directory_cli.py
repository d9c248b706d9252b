"""``coopnet directory`` on a laid-out network (no homeserver needed) and ``net`` glue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from coopnet.cli import main
from coopnet.network import lifecycle, load_network
from coopnet.network import trust as network_trust
from tests.unit.test_trust_directory import device_key


@pytest.fixture
def net_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "net"
    options = lifecycle.NetworkOptions(
        authorities=["ch", "cn"], outsiders=["zz"], base_address="127.0.0.201"
    )
    network = lifecycle.create_network(directory, options)
    ch = network.authority("ch").officers()[0]
    ch.device_id, ch.ed25519 = "CHDEV", device_key()
    network_trust.ensure_directory(network, [], lambda _m: None)
    return directory


def run(*argv: str) -> int:
    return main([str(a) for a in argv])


def test_net_up_layout_pins_the_steward_key_and_lists_members_only(net_dir: Path):
    network = load_network(net_dir)
    assert network.directory_file == str(net_dir / "directory.json")
    assert network.steward_key and len(network.steward_key) == 64
    directory = network_trust.load_directory(network)
    assert directory.server_names() == ["127.0.0.201", "127.0.0.202"]  # not the outsider
    assert directory.device_key("@officer1:127.0.0.201", "CHDEV") is not None
    assert (net_dir / "steward" / "steward.key").stat().st_mode & 0o077 == 0
    # The homeserver configs take their allowlist from the directory.
    lifecycle.write_configs(network)
    config = yaml.safe_load((net_dir / "ch" / "homeserver.yaml").read_text())
    assert config["federation_domain_whitelist"] == ["127.0.0.201", "127.0.0.202"]
    outsider = yaml.safe_load((net_dir / "zz" / "homeserver.yaml").read_text())
    assert "federation_domain_whitelist" not in outsider


def test_show_and_verify(net_dir: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert run("directory", "show", "--dir", net_dir) == 0
    out = capsys.readouterr().out
    assert "Switzerland" in out and "127.0.0.202" in out
    assert run("directory", "show", "--dir", net_dir, "--authority", "ch") == 0
    assert "CHDEV" in capsys.readouterr().out
    assert run("directory", "verify", net_dir / "directory.json", "--dir", net_dir) == 0
    assert "OK: " in capsys.readouterr().out
    assert run("directory", "show", "--dir", net_dir, "--authority", "nope") == 1


def test_steward_operations_re_sign_and_rollback_is_refused(net_dir: Path, capsys):
    path = net_dir / "directory.json"
    v1 = path.read_bytes()
    fr = ["--state", "France", "--name", "Ministry of Justice", "--server-name", "127.0.0.209"]
    assert (
        run(
            "directory",
            "add-authority",
            "fr",
            *fr,
            "--languages",
            "fr,en",
            "--contact",
            "extradition desk;Mon-Fri 09-17 CET",
            "--dir",
            net_dir,
        )
        == 0
    )
    assert run("directory", "add-officer", "fr", "@o1:127.0.0.209", "--dir", net_dir) == 0
    key = device_key()
    assert run("directory", "add-device", "@o1:127.0.0.209", "LAPTOP", key, "--dir", net_dir) == 0
    directory = network_trust.load_directory(load_network(net_dir))
    assert directory.version == 4
    assert directory.device_key("@o1:127.0.0.209", "LAPTOP") == key
    assert run("directory", "remove-device", "@o1:127.0.0.209", "LAPTOP", "--dir", net_dir) == 0
    assert run("directory", "remove-authority", "fr", "--dir", net_dir) == 0
    assert run("directory", "remove-officer", "@officer2:127.0.0.202", "--dir", net_dir) == 0
    directory = network_trust.load_directory(load_network(net_dir))
    assert directory.version == 7 and directory.authority("fr") is None
    capsys.readouterr()
    # A bad edit changes nothing and says why.
    assert run("directory", "add-officer", "ch", "@x:127.0.0.202", "--dir", net_dir) == 1
    assert "not on the authority's homeserver" in capsys.readouterr().err
    # The old version 1 is now refused, and so are a tampered and an unsigned file.
    old = net_dir / "old.json"
    old.write_bytes(v1)
    assert run("directory", "verify", old, "--dir", net_dir) == 1
    assert "rollback" in capsys.readouterr().err
    tampered = net_dir / "tampered.json"
    tampered.write_text(path.read_text().replace("Switzerland", "Switzerlanf"))
    assert run("directory", "verify", tampered, "--dir", net_dir) == 1
    assert "bad signature" in capsys.readouterr().err
    unsigned = net_dir / "unsigned.json"
    unsigned.write_text(json.dumps({"directory": json.loads(path.read_text())["directory"]}))
    assert run("directory", "verify", unsigned, "--dir", net_dir) == 1
    assert "unsigned" in capsys.readouterr().err


def test_verify_with_another_steward_key_is_refused(net_dir: Path, capsys):
    other = "ab" * 32
    path = net_dir / "directory.json"
    assert run("directory", "verify", path, "--steward-key", other, "--dir", net_dir) == 1
    assert "wrong key" in capsys.readouterr().err


def test_set_master_key_lists_shows_and_delists_it(net_dir: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    user, master = "@officer1:127.0.0.201", device_key()
    assert run("directory", "set-master-key", user, master, "--dir", net_dir) == 0
    directory = network_trust.load_directory(load_network(net_dir))
    assert directory.member(user)[1].master_key == master
    capsys.readouterr()
    assert run("directory", "show", "--dir", net_dir, "--authority", "ch") == 0
    assert master in capsys.readouterr().out
    # A malformed key changes nothing and says why.
    assert run("directory", "set-master-key", user, "AAAA", "--dir", net_dir) != 0
    assert "master key: 'AAAA' is not a base64 Ed25519 key" in capsys.readouterr().err
    assert run("directory", "set-master-key", user, "--dir", net_dir) == 0
    directory = network_trust.load_directory(load_network(net_dir))
    assert directory.member(user)[1].master_key is None
