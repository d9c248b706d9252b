"""The files CoopNet reads from disk, read and checked one way.

:mod:`~coopnet.datafile.spec` declares a file's typed record (pure) and
:mod:`~coopnet.datafile.read` reads, decodes and checks it, raising
:class:`~coopnet.errors.BadFileError` (the CLI exits 2) with the file, the field path
and what is wrong.
"""

from __future__ import annotations

from coopnet.datafile.read import (
    MAX_FILE_BYTES,
    checked,
    decode_json,
    decode_text,
    decode_yaml,
    describe,
    file_sha256,
    load_json,
    load_yaml,
    read_json,
    read_text,
    read_yaml,
)
from coopnet.datafile.spec import (
    Boolean,
    Choice,
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Nullable,
    Text,
    Time,
    duplicates,
    format_version,
    spec,
)
from coopnet.errors import BadFileError

__all__ = [
    "MAX_FILE_BYTES",
    "BadFileError",
    "Boolean",
    "Choice",
    "FileRecord",
    "Integer",
    "ListOf",
    "Nested",
    "Nullable",
    "Text",
    "Time",
    "checked",
    "decode_json",
    "decode_text",
    "decode_yaml",
    "describe",
    "file_sha256",
    "duplicates",
    "format_version",
    "load_json",
    "load_yaml",
    "read_json",
    "read_text",
    "read_yaml",
    "spec",
]
