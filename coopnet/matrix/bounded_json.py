"""Bounded JSON decoding of what a homeserver sends.

Python's decoder recurses once per nesting level, and so do jsonschema (nio validates
every event) and most code after it: a 20 kB event nested a few thousand levels deep
would end a sync with ``RecursionError``. :func:`loads` measures the nesting of the text
first with a linear scan outside strings (regular expressions do the scanning, Python
only counts brackets), and only when a container lies deeper than the bound does it cut
that container out and put :data:`~coopnet.protocol.bounds.TOO_DEEP` in its place. The
rest of the text decodes as usual; the event holding the cut is later rejected with its
reason (:func:`coopnet.protocol.bounds.content_problem`) while its sync carries on.

Refusals raise :class:`BoundsError`, a ``json.JSONDecodeError``, so nio's own handling of
undecodable text applies where it calls :func:`loads` (see :mod:`coopnet.matrix.intake`).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from coopnet.protocol.bounds import TEXT, TOO_DEEP, Bounds

# A JSON string: quote, then runs of ordinary characters or escapes (no backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_CUT = json.dumps(TOO_DEEP)


class BoundsError(json.JSONDecodeError):
    """A text refused before decoding (too large, not UTF-8)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def nesting_depth(text: str) -> int:
    """The deepest level of objects/arrays in ``text``, brackets inside strings ignored."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if c in "[{" else -1 for c in brackets))


def cut_deeper_than(text: str, max_depth: int) -> str:
    """``text`` with every container below level ``max_depth`` replaced by the marker."""
    pieces: list[str] = []
    kept_from = 0
    depth = 0
    cut_at: int | None = None
    for token in _TOKEN.finditer(text):
        char = token.group()[0]
        if char == '"':
            continue
        if char in "[{":
            depth += 1
            if depth == max_depth + 1 and cut_at is None:
                cut_at = token.start()
        else:
            if depth == max_depth + 1 and cut_at is not None:
                pieces += (text[kept_from:cut_at], _CUT)
                kept_from = token.end()
                cut_at = None
            depth -= 1
    if cut_at is not None:  # unbalanced: what is left fails to decode, as it should
        pieces += (text[kept_from:cut_at], _CUT)
    else:
        pieces.append(text[kept_from:])
    return "".join(pieces)


def loads(text: str | bytes | bytearray, bounds: Bounds = TEXT) -> Any:
    """Decode JSON within ``bounds``: too-deep containers cut, oversized text refused."""
    if len(text) > bounds.max_bytes:
        raise BoundsError(f"{len(text)} bytes of JSON, at most {bounds.max_bytes}")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BoundsError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if nesting_depth(text) > bounds.max_depth:
        text = cut_deeper_than(text, bounds.max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more digits than Python converts
        raise BoundsError(str(exc)) from None


class BoundedJsonModule:
    """Stands in for the ``json`` module in code that decodes remote text with
    ``json.loads``: :func:`loads` is bounded, everything else is the standard module's."""

    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def loads(text: str | bytes | bytearray, **_: Any) -> Any:
        return loads(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)
