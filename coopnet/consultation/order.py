"""The causal order of a consultation's steps (pure): the same on every homeserver.

Homeservers may deliver concurrent events in different orders, so the order in which a
program received the steps of a consultation cannot be its order. Each structured event
names, inside its encrypted payload, the last step its sender had seen
(:data:`coopnet.protocol.AFTER_KEY`; null when it had seen none). A step's *depth* is one
more than its parent's (0 without one), and steps are ordered by ``(depth, event id)``: a
step always comes after what its sender had seen, and steps sent without seeing each
other are ordered by their event ids, which every reader sees alike. Once every linked
step's parent is held, the order is a function of the set of steps alone, whatever order
they arrived in.

A step without the link (sent before it existed), or whose parent this reader does not
hold yet, hangs on the step received just before it: a consultation of such steps folds in
the order it was received, as it did before the link existed. When a missing parent
arrives, the depths are computed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from coopnet.protocol import Link

Key = tuple[int, str]


@dataclass
class _Step:
    link: Link  # the step's own causal link (False: none)
    previous: str | None  # the step received just before it (the fallback parent)
    depth: int = 0


class CausalOrder:
    """The steps of one consultation and their order."""

    def __init__(self) -> None:
        self._steps: dict[str, _Step] = {}
        self._last_received: str | None = None
        self._waiting: set[str] = set()  # parents named by held steps but not held
        self._ordered: list[str] = []
        self._sorted = True

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._steps

    def __len__(self) -> int:
        return len(self._steps)

    def _parent_for(self, link: Link, previous: str | None) -> str | None:
        if link is None:
            return None  # its sender had seen no step
        if link is not False and link in self._steps:
            return link
        return previous

    def parent(self, event_id: str) -> str | None:
        """The step that ``event_id`` hangs on (see the module's text)."""
        step = self._steps[event_id]
        return self._parent_for(step.link, step.previous)

    def key(self, event_id: str) -> Key:
        return (self._steps[event_id].depth, event_id)

    def key_of_new(self, event_id: str, link: Link) -> Key:
        """The key a step not yet held would get if it were added now."""
        parent = self._parent_for(link, self._last_received)
        return (self._steps[parent].depth + 1 if parent is not None else 0, event_id)

    def awaited(self, event_id: str) -> bool:
        """Whether held steps name ``event_id`` as their parent (it is not held yet)."""
        return event_id in self._waiting

    def head(self) -> str | None:
        """The last step in the order: what a step sent now names as seen."""
        ordered = self.ordered()
        return ordered[-1] if ordered else None

    def add(self, event_id: str, link: Link) -> bool:
        """Add a step; True when it lands after every step held (the order grew at its
        end), False when the order changed before its end (fold it again)."""
        if event_id in self._steps:
            return True
        at_end = self._sorted and (
            not self._ordered or self.key_of_new(event_id, link) > self.key(self._ordered[-1])
        )
        step = _Step(link, self._last_received)
        self._steps[event_id] = step
        self._last_received = event_id
        if isinstance(link, str) and link not in self._steps:
            self._waiting.add(link)
        if event_id in self._waiting:  # steps that name this one were placed without it
            self._waiting.discard(event_id)
            self._relink()
            return False
        parent = self.parent(event_id)
        step.depth = self._steps[parent].depth + 1 if parent is not None else 0
        if at_end:
            self._ordered.append(event_id)
        else:
            self._sorted = False
        return at_end

    def ordered(self) -> list[str]:
        """Every step, in the consultation's order."""
        if not self._sorted:
            self._ordered = sorted(self._steps, key=self.key)
            self._sorted = True
        return self._ordered

    def _relink(self) -> None:
        """Compute every depth again (a parent arrived after steps that name it)."""
        done: dict[str, int] = {}
        for event_id in self._steps:
            chain: list[str] = []
            on_chain: set[str] = set()
            current: str | None = event_id
            # Walk up to a step whose depth is known; a loop (links that contradict the
            # order of receipt) is cut where it closes.
            while current is not None and current not in done and current not in on_chain:
                chain.append(current)
                on_chain.add(current)
                current = self.parent(current)
            depth = done[current] + 1 if current is not None and current in done else 0
            for step_id in reversed(chain):
                done[step_id] = depth
                depth += 1
        for event_id, depth in done.items():
            self._steps[event_id].depth = depth
        self._sorted = False

    def seen(self, link: Link, other: str) -> bool:
        """Whether the sender of a step with causal link ``link`` had seen the step
        ``other`` when sending it, as far as the order tells: ``other`` comes no later
        than the step it names. A step without a link this reader holds is taken to have
        seen everything before it; one that names no step had seen none."""
        if link is None:
            return False
        if link is False or link not in self._steps:
            return True
        return self.key(other) <= self.key(link)
