"""A missing system tool skips a test on a developer's machine and fails it on CI."""

from __future__ import annotations

import pytest

from tests.tools import missing


def test_a_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="tmux is not installed"):
        missing("tmux is not installed")


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_a_missing_tool_fails_on_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        missing("PostgreSQL is not installed")
