"""coopnet.datafile: typed file records and the one way files are read (no server)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from coopnet.datafile import (
    BadFileError,
    Boolean,
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Nullable,
    Text,
    Time,
    duplicates,
    format_version,
    load_json,
    load_yaml,
    read_text,
    spec,
)
from coopnet.protocol import ParseError, Problem


@dataclass(frozen=True)
class Port(FileRecord):
    OPEN: ClassVar[bool] = False
    number: int = spec(Integer(1, 65535))
    tls: bool = spec(Boolean(), default=False)


@dataclass(frozen=True)
class Server(FileRecord):
    name: str = spec(Text(64, pattern="[a-z.]+", what="a host name"))
    ports: tuple[Port, ...] = spec(ListOf(Nested(Port), 4, min_items=1))
    note: str | None = spec(Nullable(Text(20)), default=None)
    since: str | None = spec(Nullable(Time()), default=None)
    tags: tuple[str, ...] = spec(ListOf(Text(8), 8, unique=True), default=(), key="labels")
    version: int = format_version(2)

    def check(self, path: str) -> list[Problem]:
        return duplicates([p.number for p in self.ports], f"{path}.ports", "port")


GOOD = {"version": 2, "name": "a.example", "ports": [{"number": 443, "tls": True}]}


def problems(data: object) -> list[str]:
    parsed = Server.from_dict(data, "server")
    assert isinstance(parsed, ParseError)
    return [str(p) for p in parsed.problems]


def test_a_valid_record_is_typed_and_keeps_defaults() -> None:
    server = Server.from_dict({**GOOD, "extra": "ignored", "labels": ["x"]})
    assert server == Server("a.example", (Port(443, True),), tags=("x",))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": 1}, "server.version: not_allowed: 1 is not supported (expected 2)"),
        ({"version": None}, "server.version: wrong_type: expected a whole number, found null"),
        ({"name": "A B"}, "server.name: bad_format: 'A B' is not a host name"),
        ({"name": "a\x00"}, "server.name: bad_characters"),
        ({"ports": []}, "server.ports: too_few: must not be empty"),
        ({"ports": [{"number": 0}]}, "server.ports[0].number: out_of_range"),
        ({"ports": [{"number": 1, "x": 1}]}, "server.ports[0].x: unknown_field: unknown field"),
        ({"ports": [{"number": 1}, {"number": 1}]}, "server.ports: duplicate: port 1 is listed"),
        ({"note": "n" * 21}, "server.note: too_long: 21 characters, at most 20 allowed"),
        ({"since": "yesterday"}, "server.since: bad_date"),
        ({"labels": ["a", "a"]}, "server.labels: duplicate: 'a' is listed twice"),
        ({"ports": {"number": 1}}, "server.ports: wrong_type: expected a list, found an object"),
    ],
)
def test_each_problem_names_its_field(change: dict, expected: str) -> None:
    found = problems({**GOOD, **change})
    assert any(p.startswith(expected) for p in found), found


def test_every_missing_field_is_listed() -> None:
    assert problems({}) == [
        "server.name: missing: missing (a required field)",
        "server.ports: missing: missing (a required field)",
        "server.version: missing: missing (a required field)",
    ]
    assert problems([]) == ["server: wrong_type: expected an object, found a list"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"name": "a.ex', r"line 1, column 10: Unterminated string.*truncated\?"),
        (b'{"name": "a.example", ', r"line 1, column 23.*truncated\?"),
        (b'{"a": NaN}', r"not usable JSON \(NaN is not a JSON number\)"),
        (b'{"a": 1' + b"9" * 5000 + b"}", "not usable JSON"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"name": "\xe9t\xe9"}', r"is not UTF-8 text \(byte 10\)"),
        (
            b'{"version": 2, "name": "a", "ports": [{"number": "443"}]}',
            r"json: ports\[0\]\.number: expected a whole number, found a string$",
        ),
    ],
)
def test_a_bad_json_file_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "server.json"
    path.write_bytes(content)
    with pytest.raises(BadFileError, match=message) as info:
        load_json(path, Server)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_a_bad_yaml_file_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text("name: [a\n")
    with pytest.raises(BadFileError, match=r"not valid YAML \(line 2, column 1: .*truncated\?"):
        load_yaml(path, Server)
    path.write_text("version: 2\nname: a.example\nports:\n- number: 80\n")
    assert load_yaml(path, Server).ports == (Port(80),)
    with pytest.raises(BadFileError, match="nowhere.yaml: does not exist: try elsewhere"):
        load_yaml(tmp_path / "nowhere.yaml", Server, "try elsewhere")
    with pytest.raises(BadFileError, match="is a directory"):
        read_text(tmp_path)


def test_reading_is_bounded_by_size(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 101)
    with pytest.raises(BadFileError, match="larger than 100 bytes"):
        read_text(path, max_bytes=100)
