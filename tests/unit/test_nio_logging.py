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
