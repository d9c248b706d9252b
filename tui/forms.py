"""Forms for structured exchanges, driven by the protocol's field specifications (pure).

:func:`walk` lists what a form needs for an event class: nested records become groups,
and a list of records or of single values becomes a :class:`ListDef` whose entries
(:func:`entry_defs`) the officer adds and removes; :func:`expand` lays out a whole form
for the entries present. Lists of choices stay one multi-select field.

Values are keyed by their path, list indexes included (``names[1].family``).
:func:`collect` turns the values typed in into the ``content`` dict the protocol
validates, leaving blank fields and blank entries out; because leaving an entry out
renumbers the ones after it, :meth:`Collected.form_path` takes an error path of the
content (``names[0].family``) back to the entry the officer typed it in (``names[1]``).
:func:`validate` returns the event or problems keyed by field path, and :func:`place`
finds the nearest path that has a widget, so each error is shown in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from coopnet.protocol import (
    EVENT_CLASSES,
    AccessEnded,
    AccessGranted,
    CoordinationOpened,
    CoordinationTask,
    Document,
    DraftChecklist,
    Event,
    ParseError,
    Receipt,
    SharedItem,
)
from coopnet.protocol.fields import Choice, Integer, ListOf, Nested, Spec, is_required, spec_of

FORM_CLASSES: tuple[type[Event], ...] = tuple(
    c
    for c in EVENT_CLASSES
    if c
    not in (
        Receipt,
        Document,
        DraftChecklist,
        CoordinationOpened,
        CoordinationTask,
        SharedItem,
        AccessGranted,
        AccessEnded,
    )
)
"""Every structured exchange an officer fills in as a form (receipts and checklists are
the bots'; a document travels with its file: ``coopnet documents send``; the internal
coordination room's events are never sent to a counterpart: ``coopnet coordination``; an
expert's access names the expert's enrolled device keys: ``coopnet access``)."""


@dataclass(frozen=True)
class FieldDef:
    """One input: a single value, or a multi-select for a list of choices."""

    path: str  # e.g. "names[0].family"
    name: str  # the field name, for its label
    spec: Spec
    required: bool
    depth: int


@dataclass(frozen=True)
class GroupDef:
    """A nested record: a heading over its fields."""

    path: str
    name: str
    required: bool
    depth: int


@dataclass(frozen=True)
class ListDef:
    """A list of records or of single values, filled one entry at a time."""

    path: str
    name: str
    spec: ListOf
    required: bool
    depth: int

    @property
    def records(self) -> bool:
        """Whether each entry is a record (several fields) rather than one value."""
        return isinstance(self.spec.item, Nested)


@dataclass(frozen=True)
class EntryDef:
    """One entry of a list (in :func:`expand`'s layout), numbered from 0."""

    path: str  # e.g. "names[1]"
    list_path: str
    index: int
    depth: int


Form = FieldDef | GroupDef | ListDef
"""What :func:`walk` yields."""

Def = FieldDef | GroupDef | ListDef | EntryDef
"""What :func:`expand` yields."""


def widget_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def is_entry_list(spec: Spec) -> bool:
    """A list filled entry by entry (every list but a list of choices)."""
    return isinstance(spec, ListOf) and not isinstance(spec.item, Choice)


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def walk(cls: type, prefix: str = "", depth: int = 0) -> Iterator[Form]:
    """The form of a record class; lists are yielded as :class:`ListDef`, entries not."""
    for f in fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        path = join(prefix, f.name)
        required = is_required(f)
        if isinstance(spec, Nested):
            yield GroupDef(path, f.name, required, depth)
            yield from walk(spec.cls, path, depth + 1)
        elif isinstance(spec, ListOf) and is_entry_list(spec):
            yield ListDef(path, f.name, spec, required, depth)
        else:
            yield FieldDef(path, f.name, spec, required, depth)


def entry_defs(d: ListDef, index: int, depth: int | None = None) -> list[Form]:
    """The form of entry ``index`` of a list: the record's fields, or its one value."""
    path = f"{d.path}[{index}]"
    depth = d.depth + 1 if depth is None else depth
    if isinstance(d.spec.item, Nested):
        return list(walk(d.spec.item.cls, path, depth))
    return [FieldDef(path, d.name, d.spec.item, True, depth)]


def count_of(d: ListDef, counts: Mapping[str, int]) -> int:
    """How many entries a list shows: as many as given, at least its minimum."""
    return max(counts.get(d.path, 0), d.spec.min_items)


def expand(cls: type, counts: Mapping[str, int] | None = None) -> list[Def]:
    """The whole layout of a form, each list with ``counts[path]`` entries (:func:`count_of`)."""
    return list(_expand(walk(cls), counts or {}))


def _expand(defs: Iterable[Form], counts: Mapping[str, int]) -> Iterator[Def]:
    for d in defs:
        yield d
        if isinstance(d, ListDef):
            for i in range(count_of(d, counts)):
                yield EntryDef(f"{d.path}[{i}]", d.path, i, d.depth + 1)
                yield from _expand(entry_defs(d, i), counts)


_INDEX = re.compile(r"\[([0-9]+)\]")


def counts_from(paths: Iterable[str]) -> dict[str, int]:
    """Entries per list implied by value paths: ``names[2].family`` means ``names`` has 3."""
    counts: dict[str, int] = {}
    for path in paths:
        for match in _INDEX.finditer(path):
            list_path = path[: match.start()]
            counts[list_path] = max(counts.get(list_path, 0), int(match.group(1)) + 1)
    return counts


def drop_entry(values: Mapping[str, Any], list_path: str, index: int) -> dict[str, Any]:
    """The values without entry ``index`` of a list, the entries after it moved up one."""
    prefix = f"{list_path}["
    out: dict[str, Any] = {}
    for path, value in values.items():
        if path.startswith(prefix):
            match = re.match(r"([0-9]+)\]", path[len(prefix) :])
            if match is not None:
                i = int(match.group(1))
                if i == index:
                    continue
                if i > index:
                    path = f"{list_path}[{i - 1}]{path[len(prefix) + match.end() :]}"
        out[path] = value
    return out


def spec_at(cls: type, path: str) -> Spec | None:
    """The spec of the value at ``path`` (``names[1].family`` → its ``Text``), or None."""
    spec: Spec | None = None
    current: type | None = cls
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None or current is None:
            return None
        found = [spec_of(f) for f in fields(current) if f.name == match.group(1)]
        spec = found[0] if found else None
        for _ in _INDEX.finditer(match.group(2)):
            spec = spec.item if isinstance(spec, ListOf) else None
        if spec is None:
            return None
        current = spec.cls if isinstance(spec, Nested) else None
    return spec


def flatten(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """Prefill values by path: nested content (``{"names": [{...}, {...}]}``, a list of
    single values, an event's ``to_dict()``) becomes ``names[0].family``…; paths stay."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        _flatten_into(out, path, spec_at(cls, path), value)
    return out


def _flatten_into(out: dict[str, Any], path: str, spec: Spec | None, value: Any) -> None:
    if isinstance(spec, Nested) and isinstance(value, Mapping):
        for f in fields(spec.cls):
            if f.name in value:
                _flatten_into(out, join(path, f.name), spec_of(f), value[f.name])
    elif spec is not None and is_entry_list(spec) and isinstance(value, list | tuple):
        assert isinstance(spec, ListOf)
        for i, item in enumerate(value):
            _flatten_into(out, f"{path}[{i}]", spec.item, item)
    else:
        out[path] = value


def convert(spec: Spec | None, raw: Any) -> Any:
    """A typed-in value as JSON the validator checks (bad input stays, to be reported)."""
    if isinstance(raw, str):
        raw = raw.strip()
        if isinstance(spec, Integer) and re.fullmatch(r"-?[0-9]+", raw):
            return int(raw)
    return raw


@dataclass(frozen=True)
class Collected:
    """The content to validate, and where its renumbered list entries came from."""

    content: dict[str, Any]
    moved: Mapping[str, str] = field(default_factory=dict)  # "aliases[1]" → "aliases[2]"

    def form_path(self, path: str) -> str:
        """The form's path of a content path (an error's), entries renumbered back."""
        best = ""
        for content_path in self.moved:
            if len(content_path) > len(best) and (
                path == content_path or path.startswith((content_path + ".", content_path + "["))
            ):
                best = content_path
        return self.moved[best] + path[len(best) :] if best else path


def collect(cls: type, raw: Mapping[str, Any]) -> Collected:
    """Values as typed (by path) → the content to validate (see :func:`assemble`)."""
    return _assemble({path: convert(spec_at(cls, path), value) for path, value in raw.items()})


def assemble(values: Mapping[str, Any]) -> dict[str, Any]:
    """Nest ``{"names[0].family": "Doe"}`` into ``{"names": [{"family": "Doe"}]}``.

    Absent values (None, "", empty lists) are left out, and so is a group or a list
    entry left empty; the entries after a left-out one move up.
    """
    return _assemble(values).content


_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]+\])*)")


class _Entries(dict[int, Any]):
    """A list under construction: entries by their index in the form."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _assemble(values: Mapping[str, Any]) -> Collected:
    root: dict[Any, Any] = {}
    for path, value in values.items():
        if _blank(value):
            continue
        keys: list[str | int] = []
        for segment in path.split("."):
            match = _SEGMENT.fullmatch(segment)
            if match is None:
                raise ValueError(f"not a field path: {path!r}")
            keys.append(match.group(1))
            keys.extend(int(i) for i in _INDEX.findall(match.group(2)))
        node: dict[Any, Any] = root
        for key, after in zip(keys, keys[1:], strict=False):
            node = node.setdefault(key, _Entries() if isinstance(after, int) else {})
        node[keys[-1]] = value
    moved: dict[str, str] = {}
    content = _finish(root, "", "", moved)
    return Collected(content if isinstance(content, dict) else {}, moved)


def _finish(node: Any, content_path: str, form_path: str, moved: dict[str, str]) -> Any:
    if isinstance(node, _Entries):
        items: list[Any] = []
        for index in sorted(node):
            at, was = f"{content_path}[{len(items)}]", f"{form_path}[{index}]"
            value = _finish(node[index], at, was, moved)
            if not _blank(value):
                if at != was:
                    moved[at] = was
                items.append(value)
        return items
    if isinstance(node, dict):
        out = {}
        for key, child in node.items():
            value = _finish(child, join(content_path, key), join(form_path, key), moved)
            if not _blank(value):
                out[key] = value
        return out
    return node


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
