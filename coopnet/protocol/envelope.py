"""How a structured event travels in a Matrix room, and its content hash.

Wire format
-----------
A CoopNet event is an ordinary, end-to-end encrypted ``m.room.message`` so that any Matrix
client shows something sensible. Its content is::

    {
      "msgtype": "m.text",                       # "m.notice" for bot output (receipts)
      "body": "[CoopNet] Consultation opened\\nCase reference: CN-2026-0042\\n…",
      "format": "org.matrix.custom.html",
      "formatted_body": "<p><b>CoopNet · Consultation opened</b></p><ul>…</ul>",
      "org.coopnet.consultation": {              # the structured payload (NAMESPACE)
        "type": "org.coopnet.consultation.opened",
        "version": 1,
        "content": {"case_ref": "CN-2026-0042", "kind": "extradition", …}
      }
    }

``body``/``formatted_body`` are only a fallback rendered in the sender's language; CoopNet
programs read the payload and render it in the reader's language. The receiver validates
the payload with :func:`parse_content`, which returns the event, a ``ParseError`` listing
every problem, or ``None`` when the message is not a CoopNet event at all. Versions other
than :data:`~coopnet.protocol.events.VERSION` are refused with ``unsupported_version``.

Nothing sensitive goes in room state, names, topics or reactions: those are not encrypted.

Content hash
------------
A receipt's ``content_hash`` is the SHA-256 (lowercase hex) of the canonical JSON
(:mod:`coopnet.canonical`: sorted keys, no insignificant whitespace, UTF-8) of the payload
object — the value under ``org.coopnet.consultation`` exactly as received.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coopnet.canonical import canonical_bytes as canonical_bytes  # re-exported
from coopnet.canonical import content_hash as content_hash  # re-exported
from coopnet.errors import CoopNetError
from coopnet.protocol.events import EVENT_TYPES, NAMESPACE, VERSION, Event, Receipt
from coopnet.protocol.render import render_html, render_text
from coopnet.protocol.validation import (
    MISSING,
    NOT_JSON,
    TOO_LARGE,
    UNKNOWN_TYPE,
    UNSUPPORTED_VERSION,
    WRONG_TYPE,
    ParseError,
    Problem,
)

PAYLOAD_KEY = NAMESPACE
HTML_FORMAT = "org.matrix.custom.html"
MAX_PAYLOAD_BYTES = 24_000
"""Cap on the canonical payload: with the fallback and encryption overhead the event stays
well under Matrix's 64 KiB limit."""


class PayloadTooLargeError(CoopNetError):
    """An event to send does not fit in one Matrix event."""


def payload(event: Event) -> dict[str, Any]:
    """The structured payload object of an event."""
    return {"type": event.type_name(), "version": VERSION, "content": event.to_dict()}


def encode(event: Event, lang: str = "en") -> dict[str, Any]:
    """The ``m.room.message`` content for ``event``, with fallback text in ``lang``."""
    body = payload(event)
    size = len(canonical_bytes(body))
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"{event.type_name()} payload is {size} bytes; at most {MAX_PAYLOAD_BYTES}"
        )
    return {
        "msgtype": "m.notice" if isinstance(event, Receipt) else "m.text",
        "body": render_text(event, lang),
        "format": HTML_FORMAT,
        "formatted_body": render_html(event, lang),
        PAYLOAD_KEY: body,
    }


def parse_payload(value: Any) -> Event | ParseError:
    """Validate a payload object (``{"type", "version", "content"}``)."""
    path = PAYLOAD_KEY
    if not isinstance(value, Mapping):
        return ParseError((Problem(path, WRONG_TYPE, "expected an object"),))
    try:
        size = len(canonical_bytes(value))
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        return ParseError((Problem(path, NOT_JSON, "not representable as canonical JSON"),))
    if size > MAX_PAYLOAD_BYTES:
        detail = f"{size} bytes, at most {MAX_PAYLOAD_BYTES}"
        return ParseError((Problem(path, TOO_LARGE, detail),))
    problems: list[Problem] = []
    type_ = value.get("type")
    cls = EVENT_TYPES.get(type_) if isinstance(type_, str) else None
    if "type" not in value:
        problems.append(Problem(f"{path}.type", MISSING, "required field"))
    elif cls is None:
        shown = type_[:80] if isinstance(type_, str) else type(type_).__name__
        problems.append(Problem(f"{path}.type", UNKNOWN_TYPE, f"unknown event type {shown!r}"))
    version = value.get("version")
    if "version" not in value:
        problems.append(Problem(f"{path}.version", MISSING, "required field"))
    elif isinstance(version, bool) or version != VERSION:
        problems.append(
            Problem(f"{path}.version", UNSUPPORTED_VERSION, f"this client reads version {VERSION}")
        )
    if "content" not in value:
        problems.append(Problem(f"{path}.content", MISSING, "required field"))
    if problems or cls is None:
        return ParseError(tuple(problems), type_ if isinstance(type_, str) else None)
    return cls.from_dict(value["content"], f"{path}.content")


def parse_content(content: Any) -> Event | ParseError | None:
    """Parse the content of a Matrix message: event, error value, or None (not CoopNet)."""
    if not isinstance(content, Mapping) or PAYLOAD_KEY not in content:
        return None
    return parse_payload(content[PAYLOAD_KEY])
