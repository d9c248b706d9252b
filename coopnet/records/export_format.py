"""The case export file: its fields, and reading one from its JSON or Markdown text.

No I/O. Reading never raises on a bad file: :func:`read_export` returns an
:class:`ExportDocument` or a :class:`~coopnet.protocol.validation.ParseError` whose
problems name the field path (``entries[3].seq: wrong_type: expected an integer``), as
:mod:`coopnet.protocol` does for events. What the fields *prove* is checked afterwards by
:func:`coopnet.records.export_verify.verify_export`.

Version 2 adds ``case_head`` (the signed head of the exported consultation) and each
entry's ``case_prev_hash``; version 1 exports (made before them) are still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coopnet.canonical import canonical_text
from coopnet.protocol.validation import (
    BAD_FORMAT,
    MISSING,
    NOT_JSON,
    UNSUPPORTED_VERSION,
    WRONG_TYPE,
    ParseError,
    Problem,
    join,
)
from coopnet.protocol.validation import _type_name as type_name
from coopnet.records.case_head import CaseHead
from coopnet.records.entry import Entry
from coopnet.records.head import Head

EXPORT_FORMAT = "coopnet.records.case-export"
EXPORT_VERSION = 2
READABLE_VERSIONS = (1, 2)
EXPORT_DOMAIN = "coopnet.records.export/1"
WHAT = "case export"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MD_BLOCK = re.compile(r"## Verification data\s*```json\n(.*?)\n```", re.S)


def export_message(document: Mapping[str, Any]) -> bytes:
    """The bytes an export signature covers: the document without ``export_signature``."""
    body = {k: v for k, v in document.items() if k != "export_signature"}
    return canonical_text([EXPORT_DOMAIN, body]).encode("utf-8")


@dataclass(frozen=True)
class ExportSignature:
    key_id: str
    public_key: str
    signature: str


@dataclass(frozen=True)
class ExportDocument:
    """A case export as read: typed fields, and the document itself (``source``), which
    the export signature covers."""

    version: int
    case_ref: str
    exported_at: str
    public_keys: Mapping[str, str]
    """Key id -> 64 lowercase hex characters, as the export lists them (self-asserted)."""
    chain_head: Head | None
    case_head: CaseHead | None
    entries: tuple[Entry, ...]
    export_signature: ExportSignature | None
    source: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> ExportDocument | ParseError:
        """Validate *data*; never raises on bad input, returns a ParseError instead."""
        fields = _Fields(data, path)
        if not fields.is_object():
            return fields.error()
        if data.get("format") != EXPORT_FORMAT:
            return _error(join(path, "format"), BAD_FORMAT, f"not {EXPORT_FORMAT!r}")
        version = fields.integer("version")
        if version is not None and version not in READABLE_VERSIONS:
            readable = " and ".join(str(v) for v in READABLE_VERSIONS)
            return _error(join(path, "version"), UNSUPPORTED_VERSION, f"this reads {readable}")
        case_ref = fields.text("case_ref")
        exported_at = fields.text("exported_at")
        public_keys = fields.public_keys("public_keys")
        chain_head = fields.nested("chain_head", _head, optional=True)
        case_head = fields.nested("case_head", _case_head, optional=True)
        entries = fields.entries("entries")
        signature = fields.nested("export_signature", _export_signature, optional=True)
        if fields.problems:
            return fields.error()
        assert version is not None and case_ref is not None and exported_at is not None
        assert public_keys is not None and entries is not None
        return cls(
            version,
            case_ref,
            exported_at,
            public_keys,
            chain_head,
            case_head,
            entries,
            signature,
            data,
        )


def read_export(text: str) -> ExportDocument | ParseError:
    """Read an export given as its JSON or its Markdown text (the JSON is embedded)."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        matches = list(_MD_BLOCK.finditer(text))
        if not matches:
            return _error(
                "", NOT_JSON, "neither JSON nor Markdown with a 'Verification data' block"
            )
        stripped = matches[-1].group(1)
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        return _error("", NOT_JSON, f"invalid JSON: {exc}")
    except RecursionError:
        return _error("", NOT_JSON, "JSON nested too deeply")
    return ExportDocument.from_dict(data)


def _error(path: str, reason: str, detail: str) -> ParseError:
    return ParseError((Problem(path, reason, detail),), WHAT)


class _Fields:
    """Reads the fields of one JSON object, collecting a problem per bad field."""

    def __init__(self, data: Any, path: str, problems: list[Problem] | None = None) -> None:
        self.data = data
        self.path = path
        self.problems: list[Problem] = [] if problems is None else problems

    def error(self) -> ParseError:
        return ParseError(tuple(self.problems), WHAT)

    def is_object(self) -> bool:
        if isinstance(self.data, dict):
            return True
        self.problems.append(
            Problem(self.path, WRONG_TYPE, f"expected an object, got {type_name(self.data)}")
        )
        return False

    def _get(self, name: str, optional: bool) -> tuple[bool, Any]:
        if name not in self.data or (optional and self.data[name] is None):
            if not optional:
                self.problems.append(Problem(join(self.path, name), MISSING, "required field"))
            return False, None
        return True, self.data[name]

    def _wrong(self, name: str, expected: str, value: Any) -> None:
        detail = f"expected {expected}, got {type_name(value)}"
        self.problems.append(Problem(join(self.path, name), WRONG_TYPE, detail))

    def text(self, name: str, *, optional: bool = False) -> str | None:
        present, value = self._get(name, optional)
        if not present:
            return None
        if not isinstance(value, str):
            self._wrong(name, "a string", value)
            return None
        return value

    def hex_key(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not _HEX64.fullmatch(value):
            detail = "expected 64 lowercase hex characters"
            self.problems.append(Problem(join(self.path, name), BAD_FORMAT, detail))
            return None
        return value

    def integer(self, name: str) -> int | None:
        present, value = self._get(name, False)
        if not present:
            return None
        if type(value) is not int:
            self._wrong(name, "an integer", value)
            return None
        return value

    def flag(self, name: str) -> bool:
        present, value = self._get(name, True)
        if present and not isinstance(value, bool):
            self._wrong(name, "true or false", value)
        return value is True

    def nested(self, name: str, build: Callable[[_Fields], Any], *, optional: bool = False) -> Any:
        present, value = self._get(name, optional)
        if not present:
            return None
        inner = _Fields(value, join(self.path, name), self.problems)
        return build(inner) if inner.is_object() else None

    def public_keys(self, name: str) -> dict[str, str] | None:
        present, value = self._get(name, False)
        if not present:
            return None
        if not isinstance(value, dict):
            self._wrong(name, "an object of key id -> public key", value)
            return None
        keys: dict[str, str] = {}
        for kid, hexkey in value.items():
            if not isinstance(hexkey, str) or not _HEX64.fullmatch(hexkey):
                self.problems.append(
                    Problem(
                        join(join(self.path, name), kid),
                        BAD_FORMAT,
                        f"expected 64 lowercase hex characters, got {type_name(hexkey)}",
                    )
                )
                continue
            keys[kid] = hexkey
        return keys

    def entries(self, name: str) -> tuple[Entry, ...] | None:
        present, value = self._get(name, False)
        if not present:
            return None
        if not isinstance(value, list):
            self._wrong(name, "an array", value)
            return None
        entries = []
        for index, item in enumerate(value):
            inner = _Fields(item, join(join(self.path, name), index), self.problems)
            if inner.is_object():
                entries.append(_entry(inner))
            if len(self.problems) >= 20:  # enough to fix the file; stop reading it
                return None
        return tuple(entries)


def _entry(f: _Fields) -> Entry:
    values = (
        f.integer("seq"),
        f.text("case_ref"),
        f.text("room_id"),
        f.text("event_id", optional=True),
        f.text("kind"),
        f.text("sender"),
        f.integer("origin_ts"),
        f.integer("recorded_at"),
        f.text("content"),
        f.text("prev_hash"),
        f.text("entry_hash"),
        f.text("signature"),
        f.text("key_id"),
        f.text("case_prev_hash", optional=True),  # absent: recorded before the link existed
    )
    return Entry(*values)  # type: ignore[arg-type]  # checked: None only with a problem


def _head(f: _Fields) -> Head:
    values = (
        f.integer("seq"),
        f.text("entry_hash"),
        f.text("key_id"),
        f.text("signature"),
        f.text("signatures", optional=True),
        f.flag("case_heads"),
    )
    return Head(*values)  # type: ignore[arg-type]


def _case_head(f: _Fields) -> CaseHead:
    values = (
        f.text("case_ref"),
        f.integer("count"),
        f.integer("seq"),
        f.text("entry_hash"),
        f.text("key_id"),
        f.text("signature"),
    )
    return CaseHead(*values)  # type: ignore[arg-type]


def _export_signature(f: _Fields) -> ExportSignature:
    values = (f.text("key_id"), f.hex_key("public_key"), f.text("signature"))
    return ExportSignature(*values)  # type: ignore[arg-type]
