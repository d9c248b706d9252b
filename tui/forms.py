"""Forms for structured exchanges, driven by the protocol's field specifications (pure).

:func:`walk` lists the inputs a form needs for an event class (nested records become
groups; a list of records gets one group, for its first item); :func:`assemble` turns
the values typed into the ``content`` dict the protocol validates; :func:`validate`
returns the event or problems keyed by field path, so each error is shown in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from coopnet.protocol import EVENT_CLASSES, Event, ParseError, Receipt
from coopnet.protocol.fields import ListOf, Nested, Spec, is_required, spec_of

FORM_CLASSES: tuple[type[Event], ...] = tuple(c for c in EVENT_CLASSES if c is not Receipt)
"""Every structured exchange an officer sends (receipts are the bot's)."""


@dataclass(frozen=True)
class FieldDef:
    path: str  # e.g. "names[0].family"
    name: str  # the field name, for its label
    spec: Spec
    required: bool
    depth: int


@dataclass(frozen=True)
class GroupDef:
    path: str
    name: str
    required: bool
    depth: int


def widget_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def walk(cls: type, prefix: str = "", depth: int = 0) -> Iterator[FieldDef | GroupDef]:
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        path = f"{prefix}.{f.name}" if prefix else f.name
        required = is_required(f)
        if isinstance(spec, Nested):
            yield GroupDef(path, f.name, required, depth)
            yield from walk(spec.cls, path, depth + 1)
        elif isinstance(spec, ListOf) and isinstance(spec.item, Nested):
            yield GroupDef(path, f.name, required, depth)
            yield from walk(spec.item.cls, f"{path}[0]", depth + 1)
        else:
            yield FieldDef(path, f.name, spec, required, depth)


_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[0\])?")


def assemble(values: Mapping[str, Any]) -> dict[str, Any]:
    """Nest ``{"names[0].family": "Doe"}`` into ``{"names": [{"family": "Doe"}]}``.

    Absent values (None, "", empty lists) are left out, and so is a group left empty.
    """
    root: dict[str, Any] = {}
    for path, value in values.items():
        if value is None or value == "" or value == []:
            continue
        node = root
        parts = path.split(".")
        for i, part in enumerate(parts):
            match = _PART.fullmatch(part)
            if match is None:  # pragma: no cover - paths come from walk()
                raise ValueError(path)
            name, listed = match.group(1), match.group(2)
            last = i == len(parts) - 1
            if last:
                node[name] = value
            elif listed:
                items = node.setdefault(name, [{}])
                node = items[0]
            else:
                node = node.setdefault(name, {})
    return root


def convert(spec: Spec, raw: Any) -> Any:
    """A typed-in value as JSON the validator checks (bad input stays, to be reported)."""
    from coopnet.protocol.fields import Integer

    if isinstance(raw, str):
        raw = raw.strip()
        if isinstance(spec, Integer) and re.fullmatch(r"-?[0-9]+", raw):
            return int(raw)
        if isinstance(spec, ListOf):
            return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def validate(cls: type[Event], content: dict[str, Any]) -> Event | dict[str, list[str]]:
    """The event, or ``{field path: [details]}``."""
    parsed = cls.from_dict(content)
    if not isinstance(parsed, ParseError):
        return parsed
    errors: dict[str, list[str]] = {}
    for problem in parsed.problems:
        errors.setdefault(problem.path, []).append(f"{problem.reason}: {problem.detail}")
    return errors


def place(path: str, known: set[str]) -> str:
    """The nearest path that has a widget: ``names[0]`` → ``names``; unknown → ``""``."""
    while path and path not in known:
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return path
