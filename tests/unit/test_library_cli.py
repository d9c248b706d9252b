"""``coopnet library add`` names every bad field before it connects (exit 2), and its
help says what each option takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coopnet.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["library", *argv])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_bad_fields_are_named_and_nothing_is_sent(capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(
        capsys,
        "add",
        "--citation",
        "",
        "--court",
        "Tribunal fédéral",
        "--date",
        "03.06.2020",
        "--topic",
        "extradition",
        "--network",
        "/nonexistent",  # never opened: the entry is refused first
    )
    assert code == 2
    assert "citation: too_short" in said
    assert "date: bad_date: '03.06.2020' is not YYYY-MM-DD" in said
    assert "topics[0]: not_allowed: 'extradition' is not one of: death_penalty" in said
    assert "jurisdiction: missing" not in said  # reported once the fields parse


def test_a_file_without_jurisdiction_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps({"citation": "Chahal v. the United Kingdom", "court": "ECtHR"}))
    code, said = run(capsys, "add", "--file", str(entry), "--topic", "torture")
    assert code == 2
    assert "jurisdiction: missing" in said and "date: missing" in said
    assert "topics: missing" not in said  # --topic gave them
    entry.write_text("{not json")
    code, said = run(capsys, "add", "--file", str(entry))
    assert code == 2 and "entry.json" in said


def test_the_help_names_the_vocabulary(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["library", "add", "--help"])
    said = capsys.readouterr().out
    assert "political_offence" in said and "YYYY-MM-DD" in said and "--new-room" in said
