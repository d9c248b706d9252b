"""JSON Schema (draft 2020-12) of every event type, generated from the field specs.

The schema accepts exactly what the validator accepts, with two notes for integrators:
``format: date`` and our ``format: date-time`` / ``partial-date`` must be *asserted*
(calendar validity, e.g. no 31 April) to match fully; and the envelope's size cap
(``MAX_PAYLOAD_BYTES``) cannot be expressed in JSON Schema.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from coopnet.protocol.events import EVENT_CLASSES, NAMESPACE, VERSION, Event
from coopnet.protocol.fields import (
    DATE_PATTERN,
    FORBIDDEN_LINE,
    INSTANT_PATTERN,
    PARTIAL_DATE_PATTERN,
    Boolean,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    Nested,
    PartialDay,
    Spec,
    Text,
    is_required,
    spec_of,
)
from coopnet.protocol.labels import event_label, field_label, label
from coopnet.protocol.vocab import enum_key

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://coopnet.example/schema/"


def _date_like(pattern: str, fmt: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": fmt,
        "pattern": pattern,
        "not": {"pattern": FORBIDDEN_LINE},
    }


def spec_schema(spec: Spec, lang: str, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(spec, Text):
        out: dict[str, Any] = {
            "type": "string",
            "minLength": spec.min_len,
            "maxLength": spec.max_len,
            "not": {"pattern": spec.forbidden},
        }
        if spec.pattern:
            out["pattern"] = spec.pattern
        return out
    if isinstance(spec, Choice):
        values = [m.value for m in spec.enum]
        names = [label(f"{enum_key(spec.enum)}.{v}", lang) for v in values]
        return {"type": "string", "enum": values, "description": " | ".join(names)}
    if isinstance(spec, Integer):
        return {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
    if isinstance(spec, Boolean):
        return {"type": "boolean"}
    if isinstance(spec, Day):
        return _date_like(DATE_PATTERN, "date")
    if isinstance(spec, PartialDay):
        return _date_like(PARTIAL_DATE_PATTERN, "partial-date")
    if isinstance(spec, Instant):
        return _date_like(INSTANT_PATTERN, "date-time")
    if isinstance(spec, ListOf):
        return {
            "type": "array",
            "items": spec_schema(spec.item, lang, defs),
            "minItems": spec.min_items,
            "maxItems": spec.max_items,
        }
    if isinstance(spec, Nested):
        name = spec.cls.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = record_schema(spec.cls, lang, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"unknown spec {spec!r}")


def record_schema(cls: type, lang: str, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        prop = spec_schema(spec, lang, defs)
        if "$ref" in prop:
            prop = {"$ref": prop["$ref"], "title": field_label(f.name, lang)}
        else:
            prop = {"title": field_label(f.name, lang), **prop}
        properties[f.name] = prop
        if is_required(f):
            required.append(f.name)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    out["additionalProperties"] = True  # unknown fields are kept, not refused
    return out


def event_schema(cls: type[Event], lang: str = "en") -> dict[str, Any]:
    """A standalone schema of one event type's ``content`` object."""
    defs: dict[str, Any] = {}
    body = record_schema(cls, lang, defs)
    out: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"{SCHEMA_BASE}{cls.type_name()}.v{VERSION}.json",
        "title": event_label(cls.TYPE, lang),
        "description": f"content of {cls.type_name()} (version {VERSION})",
        **body,
    }
    if defs:
        out["$defs"] = defs
    return out


def envelope_schema(lang: str = "en") -> dict[str, Any]:
    """Schema of the payload object under the ``org.coopnet.consultation`` key."""
    variants = []
    for cls in EVENT_CLASSES:
        variants.append(
            {
                "if": {"properties": {"type": {"const": cls.type_name()}}},
                "then": {"properties": {"content": {"$ref": f"{cls.type_name()}.v{VERSION}.json"}}},
            }
        )
    return {
        "$schema": DIALECT,
        "$id": f"{SCHEMA_BASE}{NAMESPACE}.v{VERSION}.json",
        "title": label("ui.header", lang),
        "type": "object",
        "required": ["type", "version", "content"],
        "properties": {
            "type": {"enum": [cls.type_name() for cls in EVENT_CLASSES]},
            "version": {"const": VERSION},
            "content": {"type": "object"},
        },
        "allOf": variants,
    }


def all_schemas(lang: str = "en") -> dict[str, Any]:
    """Every schema, keyed by ``$id``-style name: the envelope and one per event type."""
    out = {f"{NAMESPACE}": envelope_schema(lang)}
    for cls in EVENT_CLASSES:
        out[cls.type_name()] = event_schema(cls, lang)
    return out
