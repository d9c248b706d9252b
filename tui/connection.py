"""Whether the homeserver answers: a small state machine (pure: no I/O, no Textual).

nio retries a failed request by itself, so a homeserver that went away shows up as
silence, not as an error. The service feeds this machine with what it observes — a
sync arrived, a probe was answered, a probe timed out — and shows the state it returns:

``starting`` → ``online`` on the first answer; ``online`` → ``reconnecting`` on the first
unanswered probe; → ``offline`` once nothing has answered for :attr:`offline_after`
seconds; any answer → ``online`` again (and what was sent meanwhile is retried by nio).
"""

from __future__ import annotations

from enum import StrEnum


class Connection(StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


class ConnectionWatch:
    def __init__(self, offline_after: float = 20.0) -> None:
        self.offline_after = offline_after
        self.state = Connection.STARTING
        self.last_answer: float | None = None
        self.failing_since: float | None = None

    def _to(self, state: Connection) -> Connection | None:
        """The new state if it changed, else None."""
        if state is self.state:
            return None
        self.state = state
        return state

    def answered(self, now: float) -> Connection | None:
        """A sync or a probe was answered at ``now``."""
        self.last_answer = now
        self.failing_since = None
        return self._to(Connection.ONLINE)

    def unanswered(self, now: float) -> Connection | None:
        """A probe got no answer (timed out or could not connect) at ``now``."""
        if self.failing_since is None:
            self.failing_since = now
        if now - self.failing_since >= self.offline_after:
            return self._to(Connection.OFFLINE)
        return self._to(Connection.RECONNECTING)

    def needs_probe(self, now: float, interval: float) -> bool:
        """Probe only when nothing was answered for ``interval`` seconds."""
        return self.last_answer is None or now - self.last_answer >= interval
