"""Keep homeservers out of the unit run (``pytest -m "not integration"``).

Two checks, so the unit run provably starts no Synapse: a test without the ``integration``
marker that asks (directly or through other fixtures) for a fixture that starts homeservers
fails at set-up, and any attempt by such a test to start a Synapse process fails at once.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

# The fixtures that start homeservers: tests/harness.py's session network and tests/admin's.
HOMESERVER_FIXTURES = frozenset({"network", "lab_network"})
SYNAPSE_MODULE = "synapse.app"


def is_integration(item: pytest.Item) -> bool:
    return item.get_closest_marker("integration") is not None


def check_fixtures(item: pytest.Item) -> None:
    """Fail a unit test whose fixtures would start homeservers."""
    if is_integration(item):
        return
    wanted = HOMESERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
    if wanted:
        pytest.fail(
            f"{item.nodeid} uses {', '.join(sorted(wanted))}, which starts homeservers, "
            "but is not marked integration (add pytestmark = pytest.mark.integration)",
            pytrace=False,
        )


def _starts_synapse(args: Any) -> bool:
    words = [args] if isinstance(args, (str, bytes)) else list(args)
    return any(SYNAPSE_MODULE in str(word) for word in words)


class RefusingSynapsePopen(subprocess.Popen):  # type: ignore[type-arg]
    """``subprocess.Popen`` that refuses to start Synapse (used only in unit tests)."""

    def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
        if _starts_synapse(args):
            raise AssertionError(
                "a test without the integration marker tried to start Synapse: "
                + " ".join(map(str, [args] if isinstance(args, str) else args))
            )
        super().__init__(args, *rest, **options)


@pytest.fixture(autouse=True)
def no_homeserver_in_unit_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if not is_integration(request.node):
        monkeypatch.setattr(subprocess, "Popen", RefusingSynapsePopen)
    yield
