"""Bounds on what a homeserver may hand a CoopNet program (no I/O).

Two layers use them:

- :mod:`coopnet.matrix.bounded_json` decodes every JSON text a homeserver sends (HTTP
  bodies, decrypted Olm/Megolm plaintext) within :data:`TEXT`: a text larger than
  ``max_bytes`` is refused, and any object or array nested deeper than ``max_depth`` is cut
  and replaced by :data:`TOO_DEEP` before Python's parser or recursion limit is reached, so
  one event nested thousands deep cannot stop a sync.
- :func:`content_problem` then checks each event's content against :data:`CONTENT`
  (nesting, items per container, string length, total size) without recursion; an
  event that exceeds one is rejected with that reason and handed on like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOO_DEEP = "\u0000org.coopnet.too_deep"
"""What stands in for a container that was nested too deeply to decode."""


@dataclass(frozen=True)
class Bounds:
    max_depth: int
    """Levels of objects/arrays (the outermost object is level 1)."""
    max_items: int
    """Members of one object or array."""
    max_string: int
    """Code points in one string (keys included)."""
    max_nodes: int
    """Values in the whole document."""
    max_bytes: int
    """Size of the encoded text."""


TEXT = Bounds(
    # A sync body puts event content at level 8 (rooms.join.ID.timeline.events[i].content):
    # content keeps far more levels than CONTENT allows, so the event is still rejected
    # by content_problem, with its reason, rather than silently cut.
    max_depth=64,
    max_items=1 << 30,
    max_string=1 << 30,
    max_nodes=1 << 30,
    # A sync answer may carry many rooms; this only keeps memory within reach.
    max_bytes=256 * 1024 * 1024,
)
"""Bounds of a whole JSON text (decoding is linear in its size, so only depth and size)."""

CONTENT = Bounds(
    max_depth=32,
    max_items=2_048,
    # Matrix caps an event at 64 KiB (the ciphertext, base64: 4/3 of the plaintext), and a
    # structured event's payload at 24 kB: no honest string comes near.
    max_string=40_000,
    max_nodes=20_000,
    max_bytes=65_536,
)
"""Bounds of one event's content, the same for the bot and the client."""


def content_problem(value: Any, bounds: Bounds = CONTENT) -> str | None:
    """Why ``value`` (decoded JSON) exceeds ``bounds``, or None. Iterative: any depth is safe.
    The size counted is a lower bound of the value's JSON text (strings in code points)."""
    nodes = 0
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > bounds.max_nodes:
            return f"more than {bounds.max_nodes} values"
        if isinstance(item, str):
            if item == TOO_DEEP:
                return f"nested more than {bounds.max_depth} levels deep"
            if len(item) > bounds.max_string:
                return f"a string of {len(item)} characters (at most {bounds.max_string})"
            size += len(item) + 2
        elif isinstance(item, dict | list):
            if depth > bounds.max_depth:
                return f"nested more than {bounds.max_depth} levels deep"
            if len(item) > bounds.max_items:
                what = "members" if isinstance(item, dict) else "items"
                return f"{len(item)} {what} in one value (at most {bounds.max_items})"
            if isinstance(item, dict):
                for key, member in item.items():
                    stack.append((key, depth))
                    stack.append((member, depth + 1))
            else:
                stack.extend((member, depth + 1) for member in item)
            size += 2
        else:
            size += 2  # numbers, booleans, null: at least a digit and a comma
        if size > bounds.max_bytes:
            return f"more than {bounds.max_bytes} bytes"
    return None
