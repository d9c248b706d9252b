"""Fixtures shared by every test directory (one session network for all of them), the
guard that keeps homeservers out of tests without the ``integration`` marker, and the
check of the system tools a test needs (tests/tools.py)."""

from __future__ import annotations

import pytest

from tests.harness import network, open_client, wait_for  # noqa: F401
from tests.homeserver_guard import check_fixtures, no_homeserver_in_unit_tests  # noqa: F401
from tests.tools import check_tools

__all__ = ["network", "no_homeserver_in_unit_tests", "open_client", "wait_for"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture runs, so a session network is never started for a unit test,
    # nor for a test whose tool is missing.
    check_fixtures(item)
    check_tools(item)
