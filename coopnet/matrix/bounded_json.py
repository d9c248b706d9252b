"""Bounded JSON decoding of what a homeserver sends.

Python's decoder recurses once per nesting level, and so do jsonschema (nio validates
every event) and most code after it: a 20 kB event nested a few thousand levels deep
would end a sync with ``RecursionError``. :func:`loads` measures the nesting of the text
first with linear byte-level passes outside strings (``bytes.translate``, ``split``,
``replace``: about 1.3 × the time of ``json.loads`` itself on a 3 MB sync answer), and
only when a container lies deeper than the bound does it cut that container out and put
:data:`~coopnet.protocol.bounds.TOO_DEEP` in its place. The rest of the text decodes as
usual; the event holding the cut is later rejected with its reason
(:func:`coopnet.protocol.bounds.content_problem`) while its sync carries on.

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
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")
_OPEN = ord("[")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_CUT = json.dumps(TOO_DEEP)


class BoundsError(json.JSONDecodeError):
    """A text refused before decoding (too large, not UTF-8)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _brackets(text: str | bytes) -> bytes:
    """The brackets of ``text`` outside strings, in order, objects' as arrays' (``[``,
    ``]``). Byte-level passes only: escapes go first (a quote or backslash behind a
    backslash is no structure), then every byte but brackets and quotes
    (``bytes.translate``), then what lies between pairs of quotes."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    structure = _ESCAPE.sub(b"", data).translate(_AS_ARRAYS, _NOT_STRUCTURE)
    return b"".join(structure.split(b'"')[::2])


def nesting_depth(text: str | bytes) -> int:
    """The deepest level of objects/arrays in ``text``, brackets inside strings ignored."""
    brackets = _brackets(text)
    if not brackets:
        return 0
    return max(accumulate(1 if c == _OPEN else -1 for c in brackets))


def deeper_than(text: str | bytes, max_depth: int) -> bool:
    """Whether ``text`` nests objects/arrays deeper than ``max_depth`` (or may, when its
    brackets do not pair up). Each pass removes exactly the innermost pairs, in C, so a
    text of depth d costs d passes over its brackets, never more than ``max_depth``."""
    brackets = _brackets(text)
    for _ in range(max_depth):
        if not brackets:
            return False
        stripped = brackets.replace(b"[]", b"")
        if len(stripped) == len(brackets):  # unbalanced: the decoder reports it,
            return len(brackets) > max_depth  # unless it could recurse that deep
        brackets = stripped
    return bool(brackets)


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
    too_deep = deeper_than(bytes(text) if isinstance(text, bytearray) else text, bounds.max_depth)
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BoundsError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if too_deep:
        text = cut_deeper_than(text, bounds.max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more digits than Python converts
        raise BoundsError(str(exc)) from None
    except RecursionError:  # not expected after the cut; never let it end a sync
        raise BoundsError("nested too deeply to decode") from None


class BoundedJsonModule:
    """Stands in for the ``json`` module in code that decodes remote text with
    ``json.loads``: :func:`loads` is bounded, everything else is the standard module's."""

    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def loads(text: str | bytes | bytearray, **_: Any) -> Any:
        return loads(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)
