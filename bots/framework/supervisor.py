"""Keep a bot running: restart it with backoff when it fails, never on the same event twice.

A bot ends with an exception only when something it did not foresee happened. The event
whose handling raised (:attr:`Bot.handling`) is remembered in its state database and
skipped when it comes again (the bot records it as rejected, "made the bot fail"), so a
restart cannot loop on it. A process killed from outside (``kill -9``, out of memory) is
brought back by ``coopnet net up``, which restarts only the bots that are down.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bots.framework.base import Bot
from bots.framework.state import BotState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    longest: float = 60.0
    # A bot that ran this long before failing starts again from ``first``.
    healthy_after: float = 300.0

    def delay(self, failures: int) -> float:
        return min(self.longest, self.first * 2 ** max(0, failures - 1))


async def supervise(
    make_bot: Callable[[], Bot],
    ready_file: Path | None = None,
    backoff: Backoff = Backoff(),
    max_failures: int | None = None,
) -> None:
    """Run bots made by ``make_bot`` until one stops cleanly (SIGTERM/SIGINT or ``stop``)."""
    loop = asyncio.get_running_loop()
    failures = 0
    while True:
        bot = make_bot()
        started = loop.time()
        try:
            await bot.run(ready_file)
            return
        except Exception as exc:  # noqa: BLE001 - the supervisor's whole job
            failure = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("the bot failed; restarting it")
            if bot.handling is not None:
                _remember(bot, failure)
        failures = 1 if loop.time() - started > backoff.healthy_after else failures + 1
        if max_failures is not None and failures >= max_failures:
            raise RuntimeError(f"the bot failed {failures} times in a row; giving up")
        if await _stopped_during(backoff.delay(failures)):
            return


def _remember(bot: Bot, failure: str) -> None:
    event = bot.handling
    assert event is not None
    log.error("%s in %s made the bot fail; it will be skipped", event.event_id, event.room_id)
    state = BotState(bot.config.state_db)
    try:
        state.mark_failing(event.event_id, event.room_id, failure)
    finally:
        state.close()


async def _stopped_during(seconds: float) -> bool:
    """Wait ``seconds``; True when SIGTERM/SIGINT came meanwhile."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
