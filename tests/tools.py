"""System tools the tests drive (PostgreSQL, tmux, systemd-analyze): skipped when missing on
a developer's machine, a failure on CI (``CI=true``), so a missing tool never leaves CI green.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

MARKER = "needs_tool"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(what: str) -> NoReturn:
    """Skip the test, or fail it on CI, because ``what`` is not installed."""
    if on_ci():
        pytest.fail(
            f"{what}; with CI=true a missing tool fails the run (tests/system-deps.sh installs it)",
            pytrace=False,
        )
    pytest.skip(what)


def needs(found: bool, what: str) -> pytest.MarkDecorator:
    """Mark a test (or module) that needs a tool; checked before any fixture starts."""
    return getattr(pytest.mark, MARKER)(found=found, what=what)


def check_tools(item: pytest.Item) -> None:
    for mark in item.iter_markers(MARKER):
        if not mark.kwargs["found"]:
            missing(mark.kwargs["what"])
