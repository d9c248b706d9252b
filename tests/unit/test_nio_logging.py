"""nio's normal-path warnings are lowered to debug; its other warnings stay warnings."""

from __future__ import annotations

import logging

import pytest

import coopnet.matrix  # noqa: F401 - installs the filter


def test_a_missing_olm_session_is_debug_and_other_warnings_stay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nio_log = logging.getLogger("nio.crypto.log")
    with caplog.at_level(logging.DEBUG, "nio.crypto.log"):
        nio_log.warning("Missing session for device ABCDEFGHIJ")
        nio_log.warning("Error decrypting megolm event")
    levels = {r.getMessage(): r.levelname for r in caplog.records}
    assert levels == {
        "Missing session for device ABCDEFGHIJ": "DEBUG",
        "Error decrypting megolm event": "WARNING",
    }


def test_it_is_not_shown_where_debug_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    nio_log = logging.getLogger("nio.crypto.log")
    handler = logging.StreamHandler()  # level NOTSET, as a console's handler often is
    nio_log.addHandler(handler)
    level = nio_log.level
    nio_log.setLevel(logging.WARNING)
    try:
        nio_log.warning("Missing session for device ABCDEFGHIJ")
        nio_log.warning("Error decrypting megolm event")
    finally:
        nio_log.removeHandler(handler)
        nio_log.setLevel(level)
    shown = capsys.readouterr().err
    assert "Missing session" not in shown and "Error decrypting megolm event" in shown
