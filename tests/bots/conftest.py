"""Consultation bots running in-process against the session network."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot
from coopnet.network import Network, load_network

StartBot = Callable[[str], Awaitable[ConsultationBot]]


@pytest.fixture(autouse=True)
def bot_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Show what the bots did when a test fails."""
    caplog.set_level(logging.INFO, logger="bots")
    caplog.set_level(logging.INFO, logger="coopnet")


@pytest.fixture
async def start_bot(network: Network) -> AsyncIterator[StartBot]:
    started: list[ConsultationBot] = []

    async def start(authority_id: str) -> ConsultationBot:
        bot = build_bot(load_network(network.directory), authority_id, tick_seconds=0.5)
        await bot.start()
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.stop()
