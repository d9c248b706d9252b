"""The federation gate's decisions over real signed directory files (no Synapse needed).

The Synapse side (events dropped, invites refused) is tested on real homeservers in
tests/integration/test_growth.py (local network) and tests/admin/test_production_gate.py
(an admin-rendered homeserver).
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.federation_gate import DirectoryGate, ListedServers, module_config, server_of
from coopnet.keys import public_key_hex
from coopnet.trust import directory as d
from coopnet.trust.store import publish, republish
from tests.unit.test_trust_directory import sample

OWN = "127.0.0.11"


@pytest.fixture
def steward() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def touch_later(path: Path) -> None:
    """A rewrite within the same clock tick still shows as a change (size or inode do
    not always differ): move the modification time on."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


def test_listed_servers_pass_and_a_removed_one_is_refused_at_once(
    tmp_path: Path, steward: Ed25519PrivateKey
) -> None:
    path = tmp_path / "directory.json"
    first = sample()
    publish(first, steward, path)
    listed = ListedServers(path, public_key_hex(steward), OWN)
    assert listed.allows("127.0.0.12") and listed.allows(OWN)
    assert not listed.allows("127.0.0.99")
    republish(d.without_authority(first, "cn"), steward, path)
    touch_later(path)
    assert not listed.allows("127.0.0.12")
    assert listed.version == 2


def test_before_any_directory_only_the_own_server_is_allowed(
    tmp_path: Path, steward: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "directory.json"
    listed = ListedServers(path, public_key_hex(steward), OWN)
    with caplog.at_level(logging.INFO, "coopnet.federation_gate"):
        assert listed.allows(OWN)
        assert not listed.allows("127.0.0.12")
    assert "no signed directory at" in caplog.text and "only 127.0.0.11 is allowed" in caplog.text
    assert "ERROR" not in caplog.text
    path.write_text("{}")  # one that exists and does not verify is an error
    with caplog.at_level(logging.ERROR, "coopnet.federation_gate"):
        assert not listed.allows("127.0.0.12")
    assert "refused" in caplog.text
    publish(sample(), steward, path)  # the network's first directory, written later
    assert listed.allows("127.0.0.12")


@pytest.mark.parametrize("damage", ["forged", "older", "garbage", "removed"])
def test_a_directory_that_does_not_hold_leaves_the_last_one_in_force(
    tmp_path: Path, steward: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    path = tmp_path / "directory.json"
    publish(sample(version=3), steward, path)
    listed = ListedServers(path, public_key_hex(steward), OWN)
    assert listed.allows("127.0.0.12")
    without_cn = d.without_authority(sample(version=4), "cn")
    if damage == "forged":  # a valid-looking directory signed by another key
        publish(without_cn, Ed25519PrivateKey.generate(), path)
    elif damage == "older":
        publish(d.without_authority(sample(version=2), "cn"), steward, path)
    elif damage == "garbage":
        path.write_text('{"directory": ')
    else:
        path.unlink()
    if path.exists():
        touch_later(path)
    with caplog.at_level(logging.WARNING, "coopnet.federation_gate"):
        assert listed.allows("127.0.0.12")
    assert "v3 stays in force" in caplog.text
    assert listed.version == 3


def test_configuration_names_the_module_and_is_checked(
    tmp_path: Path, steward: Ed25519PrivateKey
) -> None:
    from synapse.module_api.errors import ConfigError

    entry = module_config(tmp_path / "directory.json", public_key_hex(steward))
    assert entry["module"] == "coopnet.federation_gate.DirectoryGate"
    parsed = DirectoryGate.parse_config(entry["config"])
    assert parsed.directory == tmp_path / "directory.json"
    with pytest.raises(ConfigError, match="steward"):
        DirectoryGate.parse_config({"directory": str(tmp_path), "steward_key": "not hex"})
    with pytest.raises(ConfigError, match="directory"):
        DirectoryGate.parse_config({"steward_key": public_key_hex(steward)})


def test_server_of_keeps_a_port() -> None:
    assert server_of("@officer1:127.0.0.12") == "127.0.0.12"
    assert server_of("@officer1:matrix.example:8448") == "matrix.example:8448"


def _distributions_imported_by_the_gate() -> set[str]:
    """The installed distributions whose modules ``import coopnet.federation_gate`` loads
    (in a fresh interpreter: this test process has imported much more)."""

    def loaded(statement: str) -> set[str]:
        code = f"import sys, json{statement}; print(json.dumps(sorted(sys.modules)))"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        ).stdout
        return {name.split(".")[0] for name in json.loads(out)}

    # What the interpreter loads before any import (site's .pth hooks) is not the gate's.
    tops = loaded(", coopnet.federation_gate") - loaded("") - set(sys.stdlib_module_names)
    owners = importlib.metadata.packages_distributions()
    return {_normal(d) for top in tops for d in owners.get(top, [])} - {"coopnet"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_gate_imports_only_what_synapse_itself_depends_on() -> None:
    """deploy/synapse.Dockerfile installs CoopNet into Synapse's image without its
    dependencies: that works only while the gate needs nothing Synapse lacks."""
    requirements = importlib.metadata.requires("matrix-synapse") or []
    synapse_needs = {
        _normal(re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0])
        for r in requirements
        if "extra ==" not in r
    }
    imported = _distributions_imported_by_the_gate()
    assert "cryptography" in imported  # the check sees third-party imports at all
    assert imported <= synapse_needs, imported - synapse_needs
