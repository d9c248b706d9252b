"""nio's log, told apart from CoopNet's: what nio says at warning level on the normal path
is lowered to debug, so a console shows only what needs someone's attention.

nio warns "Missing session for device …" for every device it has no Olm session with
when it is about to share a room key: the first step of sharing with a new device (it
claims a one-time key next), not a problem. A device that really gets no key is reported
by CoopNet's own device decisions (:mod:`coopnet.matrix.devices`).
"""

from __future__ import annotations

import logging

NORMAL_PATH = ("Missing session for device ",)


class NormalPathToDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith(NORMAL_PATH):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            # As if nio had logged it at debug: only where debug is on (a handler at the
            # default level would show it otherwise).
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def install() -> None:
    """Once per process (idempotent): on the logger of nio's crypto package."""
    logger = logging.getLogger("nio.crypto.log")
    if not any(isinstance(f, NormalPathToDebug) for f in logger.filters):
        logger.addFilter(NormalPathToDebug())
