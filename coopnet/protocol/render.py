"""Readable fallback of a structured event: plain text and simple HTML in one language.

A Matrix client that knows nothing of CoopNet shows the message's ``body`` (or
``formatted_body``); these functions produce them. Field order is the dataclass order;
absent fields are left out; enum values and field names are labelled in ``lang``. Text
stays in logical order (bidi reordering is the terminal client's job).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import fields
from typing import Any

from coopnet.protocol.events import Event
from coopnet.protocol.fields import (
    Boolean,
    Choice,
    Day,
    Instant,
    ListOf,
    Nested,
    Spec,
    format_instant,
    spec_of,
)
from coopnet.protocol.labels import event_label, field_label, label, value_label

MAX_BODY_CHARS = 6000
"""Longer fallbacks are shortened: the structured payload stays complete."""


def _scalar(spec: Spec, value: Any, lang: str) -> str:
    if isinstance(spec, Choice):
        return value_label(value, lang)
    if isinstance(spec, Boolean):
        return label("ui.yes" if value else "ui.no", lang)
    if isinstance(spec, Day):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(spec, Instant):
        return format_instant(value)
    return str(value)


def _items(record: Any) -> list[tuple[str, Spec, Any]]:
    out = []
    for f in fields(record):
        spec = spec_of(f)
        value = getattr(record, f.name)
        if spec is None or value is None or (isinstance(spec, ListOf) and not value):
            continue
        out.append((f.name, spec, value))
    return out


def _inline(record: Any, lang: str) -> str:
    """A nested record on one line: ``Label: value; Label: value``."""
    parts = []
    for name, spec, value in _items(record):
        parts.append(f"{field_label(name, lang)}: {_text_value(spec, value, lang)}")
    return "; ".join(parts)


def _text_value(spec: Spec, value: Any, lang: str) -> str:
    if isinstance(spec, Nested):
        return _inline(value, lang)
    if isinstance(spec, ListOf):
        if isinstance(spec.item, Nested):
            return "".join(f"\n- {_inline(v, lang)}" for v in value)
        return ", ".join(_scalar(spec.item, v, lang) for v in value)
    return _scalar(spec, value, lang)


def _shorten(text: str, lang: str) -> str:
    if len(text) <= MAX_BODY_CHARS:
        return text
    note = label("ui.truncated", lang)
    return text[: MAX_BODY_CHARS - len(note) - 2].rstrip() + "… " + note


def render_text(event: Event, lang: str = "en") -> str:
    """The plain-text ``body`` of an event."""
    lines = [f"[{label('ui.header', lang)}] {event_label(event.TYPE, lang)}"]
    for name, spec, value in _items(event):
        text = _text_value(spec, value, lang).replace("\n", "\n  ")
        if text.startswith("\n"):
            lines.append(f"{field_label(name, lang)}:{text}")
        else:
            lines.append(f"{field_label(name, lang)}: {text}")
    lines.append(label("ui.fallback_hint", lang))
    return _shorten("\n".join(lines), lang)


def _html_value(spec: Spec, value: Any, lang: str) -> str:
    if isinstance(spec, ListOf) and isinstance(spec.item, Nested):
        inner = "".join(f"<li>{html.escape(_inline(v, lang))}</li>" for v in value)
        return f"<ul>{inner}</ul>"
    return html.escape(_text_value(spec, value, lang)).replace("\n", "<br>")


def render_html(event: Event, lang: str = "en") -> str:
    """The ``formatted_body`` (``org.matrix.custom.html``) of an event."""
    title = html.escape(f"{label('ui.header', lang)} · {event_label(event.TYPE, lang)}")
    rows = [
        f"<li><b>{html.escape(field_label(name, lang))}:</b> {_html_value(spec, value, lang)}</li>"
        for name, spec, value in _items(event)
    ]
    hint = html.escape(label("ui.fallback_hint", lang))
    out = f"<p><b>{title}</b></p><ul>{''.join(rows)}</ul><p><i>{hint}</i></p>"
    if len(out) > MAX_BODY_CHARS * 2:
        # Never cut HTML in the middle of a tag: fall back to the escaped short text.
        text = html.escape(render_text(event, lang)).replace("\n", "<br>")
        out = f"<p>{text}</p>"
    return out
