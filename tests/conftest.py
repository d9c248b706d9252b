"""Fixtures shared by every test directory (one session network for all of them)."""

from __future__ import annotations

from tests.harness import network, open_client, wait_for  # noqa: F401

__all__ = ["network", "open_client", "wait_for"]
