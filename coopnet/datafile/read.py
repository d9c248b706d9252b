"""Reading a data file from disk: the one place a file becomes decoded JSON or YAML.

Every failure is a :class:`~coopnet.errors.BadFileError` whose one-line message names
the file and what is wrong: missing, unreadable, too large, not UTF-8 (at which byte),
not JSON or YAML (at which line and column; a file cut short says so), nested too deeply,
or a field that does not fit its record (the field path and why). Reading is bounded by
size before any parsing, and by depth during it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml

from coopnet.datafile.spec import FileRecord
from coopnet.errors import BadFileError
from coopnet.protocol.validation import ParseError

MAX_FILE_BYTES = 16 * 1024 * 1024  # far above any settings file or signed directory

R = TypeVar("R", bound=FileRecord)


def read_text(path: Path, hint: str = "", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's UTF-8 text; ``hint`` is added when the file does not exist."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise BadFileError(str(path), "does not exist" + (f": {hint}" if hint else "")) from None
    except IsADirectoryError:
        raise BadFileError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise BadFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise BadFileError(str(path), f"is larger than {max_bytes} bytes")
    return decode_text(data, str(path))


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text (a byte order mark is tolerated), or a :class:`BadFileError` naming the
    first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFileError(where, f"is not UTF-8 text (byte {exc.start})") from None


def _cut_short(text: str, position: int, unterminated: bool = False) -> str:
    """A note when the syntax breaks at the very end: the file was likely cut short.
    (An unterminated JSON string always runs to the end of the text.)"""
    ends_early = unterminated or position >= len(text.rstrip())
    return " (the file ends early: truncated?)" if ends_early else ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(text: str, where: str) -> Any:
    """Decoded JSON, or a :class:`BadFileError` saying where the syntax breaks."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadFileError(
            where,
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            + _cut_short(text, exc.pos, exc.msg.startswith("Unterminated string")),
        ) from None
    except RecursionError:
        raise BadFileError(where, "not usable JSON (nested too deeply)") from None
    except ValueError as exc:  # NaN, Infinity, integers of thousands of digits
        raise BadFileError(where, f"not usable JSON ({exc})") from None


def decode_yaml(text: str, where: str) -> Any:
    """Decoded YAML (safe subset), or a :class:`BadFileError` saying where it breaks."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        cut = _cut_short(text, mark.index) if mark is not None else ""
        raise BadFileError(where, f"not valid YAML ({at}{exc.problem}){cut}") from None
    except yaml.YAMLError as exc:
        raise BadFileError(where, f"not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise BadFileError(where, "not usable YAML (nested too deeply)") from None


def read_json(path: Path, hint: str = "") -> Any:
    return decode_json(read_text(path, hint), str(path))


def read_yaml(path: Path, hint: str = "") -> Any:
    return decode_yaml(read_text(path, hint), str(path))


def describe(error: ParseError) -> str:
    """One line: the first problem (field path and why), and how many more there are."""
    first = error.problems[0] if error.problems else None
    if first is None:
        return "invalid content"
    text = f"{first.path or '(top level)'}: {first.detail}"
    more = len(error.problems) - 1
    return text + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def checked(record: type[R], data: Any, where: str, path: str = "", **given: Any) -> R:
    """``record`` from decoded ``data``, or a :class:`BadFileError` naming the field."""
    parsed = record.from_dict(data, path, **given)
    if isinstance(parsed, ParseError):
        raise BadFileError(where, describe(parsed))
    return parsed


def load_json(path: Path, record: type[R], hint: str = "", **given: Any) -> R:
    """Read, decode and check a JSON file as ``record``."""
    return checked(record, read_json(path, hint), str(path), **given)


def load_yaml(path: Path, record: type[R], hint: str = "", **given: Any) -> R:
    """Read, decode and check a YAML file as ``record``."""
    return checked(record, read_yaml(path, hint), str(path), **given)


HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file of any size, read in chunks (a document, a bundle's copy)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
