"""The guard of the unit run: no homeserver starts in a test without the integration marker."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from tests.homeserver_guard import check_fixtures


@dataclass
class FakeItem:
    fixturenames: list[str]
    markers: set[str] = field(default_factory=set)
    nodeid: str = "tests/x.py::test_x"

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def test_a_unit_test_cannot_start_synapse() -> None:
    with pytest.raises(AssertionError, match="without the integration marker"):
        subprocess.Popen([sys.executable, "-m", "synapse.app.homeserver", "--help"])
    # Other programs still start.
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


def test_a_unit_test_asking_for_the_network_fails_before_it_starts() -> None:
    with pytest.raises(pytest.fail.Exception, match="not marked integration"):
        check_fixtures(FakeItem(["tmp_path", "open_client", "network"]))  # type: ignore[arg-type]
    with pytest.raises(pytest.fail.Exception, match="lab_network"):
        check_fixtures(FakeItem(["lab_network"]))  # type: ignore[arg-type]
    check_fixtures(FakeItem(["network"], {"integration"}))  # type: ignore[arg-type]
    check_fixtures(FakeItem(["tmp_path"]))  # type: ignore[arg-type]
