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
        "content": {"case_ref": "CN-2026-0042", "kind": "extradition", …},
        "after": "$…",                           # optional: the causal link (AFTER_KEY)
        "revision": 2                            # optional: the rules it was sent under
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
from typing import Any, Literal

from coopnet.canonical import canonical_bytes as canonical_bytes  # re-exported
from coopnet.canonical import content_hash as content_hash  # re-exported
from coopnet.errors import CoopNetError
from coopnet.protocol.attachment import file_of
from coopnet.protocol.events import EVENT_TYPES, NAMESPACE, VERSION, Document, Event, Receipt
from coopnet.protocol.render import render_html, render_text
from coopnet.protocol.validation import (
    MISSING,
    NOT_ALLOWED,
    NOT_JSON,
    TOO_LARGE,
    UNKNOWN_TYPE,
    UNSUPPORTED_VERSION,
    WRONG_TYPE,
    ParseError,
    Problem,
)

PAYLOAD_KEY = NAMESPACE
BOT_MARKER = "org.coopnet.bot"
"""Key in the content of a consultation bot's own notices (``m.notice``), saying what the
notice is: ``{"kind": "reminder", "key": "…"}``, ``{"kind": "answer", "to": EVENT_ID}`` on
the answer to a rejected event, or ``{"kind": "untrusted", "user": USER_ID, "device":
DEVICE_ID}`` on the warning about a device that the device policy does not trust. The
bot reads it back from its record; the client draws each kind of notice as such."""
AFTER_KEY = "after"
"""Payload field beside ``type``/``version``/``content``: the id of the last structured
event its sender had seen (null: none). Inside the encrypted content (the homeserver never sees it)
and covered by the content hash, it gives every reader the same causal order of a
consultation's steps (:mod:`coopnet.consultation.order`). Optional: events sent before it
existed still parse."""
REVISION_KEY = "revision"
REVISION = 4
"""Payload field beside ``type``/``version``/``content``: the revision of the consultation
rules its sender applied. Revision 2 (the law as practitioners apply it) requires, among
others, the grounds and reasons of a refusal (UNTOC art. 18(23), ECE art. 18(2)) and the
appointed date of a surrender (ECE art. 18(4)). Absent means revision 1: records made
before it existed fold under the rules they were sent under, so they still fold the same.
Revision 3 (from draft to decision) requires a "refusal envisaged" step, naming the grounds,
before a refusal (UNTOC art. 16(16), 18(26)). Revision 4 (the practice library) requires
a case-law entry's jurisdiction, date and topics (:mod:`coopnet.protocol.library`).
Like ``after`` it is covered by the content hash and never seen by the homeserver."""
MAX_EVENT_ID = 255
HTML_FORMAT = "org.matrix.custom.html"
MAX_PAYLOAD_BYTES = 24_000
"""Cap on the canonical payload: with the fallback and encryption overhead the event stays
well under Matrix's 64 KiB limit."""


class PayloadTooLargeError(CoopNetError):
    """An event to send does not fit in one Matrix event."""


Link = str | None | Literal[False]
"""The causal link a sender gives a step: the id of the last step it had seen, None when
it had seen none (the payload says ``"after": null``), False for no link at all
(receipts, which are no steps)."""


def payload(event: Event, after: Link = False) -> dict[str, Any]:
    """The structured payload object of an event, with its causal link (:data:`Link`)."""
    body: dict[str, Any] = {
        "type": event.type_name(),
        "version": VERSION,
        "content": event.to_dict(),
        REVISION_KEY: REVISION,
    }
    if after is not False:
        body[AFTER_KEY] = after
    return body


def _checked_payload(event: Event, after: Link) -> dict[str, Any]:
    body = payload(event, after)
    size = len(canonical_bytes(body))
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"{event.type_name()} payload is {size} bytes; at most {MAX_PAYLOAD_BYTES}"
        )
    return body


def encode(event: Event, lang: str = "en", after: Link = False) -> dict[str, Any]:
    """The ``m.room.message`` content for ``event``, with fallback text in ``lang`` and
    the causal link ``after`` (:data:`Link`). A document needs its file:
    :func:`encode_document`."""
    if isinstance(event, Document):
        raise TypeError("a document travels as an m.file: use encode_document()")
    body = _checked_payload(event, after)
    return {
        "msgtype": "m.notice" if isinstance(event, Receipt) else "m.text",
        "body": render_text(event, lang),
        "format": HTML_FORMAT,
        "formatted_body": render_html(event, lang),
        PAYLOAD_KEY: body,
    }


def encode_document(
    document: Document, file: Mapping[str, Any], lang: str = "en", after: Link = False
) -> dict[str, Any]:
    """The ``m.file`` content of a document whose ciphertext was uploaded as ``file`` (the
    spec's ``EncryptedFile``, :func:`coopnet.protocol.attachment.encrypted_file`).

    ``body`` is a caption (the fallback text in ``lang``) because ``filename`` is given, as
    the spec has it for media captions; any Matrix client offers the file for download and
    decrypts it from ``file`` alone. No ``url`` at the top level: the file is encrypted."""
    body = _checked_payload(document, after)
    info: dict[str, Any] = {"size": document.size}
    if document.media_type:
        info["mimetype"] = document.media_type
    return {
        "msgtype": "m.file",
        "body": render_text(document, lang),
        "format": HTML_FORMAT,
        "formatted_body": render_html(document, lang),
        "filename": document.filename or "document",
        "info": info,
        "file": dict(file),
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
    after = value.get(AFTER_KEY)
    if AFTER_KEY in value and after is not None and not _is_event_id(after):
        problems.append(
            Problem(
                f"{path}.{AFTER_KEY}", WRONG_TYPE, "expected an event id ($…, ≤ 255 chars) or null"
            )
        )
    revision = value.get(REVISION_KEY)
    if REVISION_KEY in value and (
        isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= 999
    ):
        problems.append(
            Problem(f"{path}.{REVISION_KEY}", WRONG_TYPE, "expected an integer from 1 to 999")
        )
    if problems or cls is None:
        return ParseError(tuple(problems), type_ if isinstance(type_, str) else None)
    return cls.from_dict(value["content"], f"{path}.content")


def _is_event_id(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$") and 1 < len(value) <= MAX_EVENT_ID


def causal_parent(content: Any) -> Link:
    """The causal link of a message's payload (:data:`Link`): False when it has none
    (events sent before the link existed) or an invalid one."""
    body = content.get(PAYLOAD_KEY) if isinstance(content, Mapping) else None
    if not isinstance(body, Mapping) or AFTER_KEY not in body:
        return False
    after = body[AFTER_KEY]
    return after if after is None or _is_event_id(after) else False


def payload_revision(content: Any) -> int:
    """The rules revision a message was sent under (:data:`REVISION_KEY`): 1 when absent."""
    body = content.get(PAYLOAD_KEY) if isinstance(content, Mapping) else None
    revision = body.get(REVISION_KEY) if isinstance(body, Mapping) else None
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        return 1
    return revision


def parse_content(content: Any) -> Event | ParseError | None:
    """Parse the content of a Matrix message: event, error value, or None (not CoopNet)."""
    if not isinstance(content, Mapping) or PAYLOAD_KEY not in content:
        return None
    parsed = parse_payload(content[PAYLOAD_KEY])
    if isinstance(parsed, Document):
        # A document is only as good as its attachment: check the file before anyone
        # downloads it, and that the message says the size the payload says.
        file = file_of(content)
        if isinstance(file, ParseError):
            return ParseError(file.problems, parsed.type_name())
        info = content.get("info")
        if isinstance(info, Mapping) and "size" in info and info["size"] != parsed.size:
            detail = f"{info['size']!r} differs from the document's size {parsed.size}"
            return ParseError((Problem("info.size", NOT_ALLOWED, detail),), parsed.type_name())
    return parsed
