"""The fault cases run only when ``bench/reliability.py`` (``make reliability``) asks:
each takes minutes and provokes real failures (kill -9, a full disk, a stopped
homeserver), so the default test run skips them."""

from __future__ import annotations

import os

import pytest

from tests.reliability.figures import ENABLE_VARIABLE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(ENABLE_VARIABLE):
        return
    skip = pytest.mark.skip(
        reason="a fault case: run it with bench/reliability.py (make reliability)"
    )
    for item in items:
        if item.get_closest_marker("reliability") is not None:
            item.add_marker(skip)
