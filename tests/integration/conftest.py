"""Integration tests run against the session network of ``tests/harness.py``."""

from __future__ import annotations

from tests.harness import (  # noqa: F401 - names the tests import from here
    BASE_ADDRESS,
    FAILURE_BASE_ADDRESS,
    OUTSIDER,
    Inbox,
    OpenClient,
    enrolled_devices,
)
