"""``coopnet tui``'s cache options: the passphrase file is checked before anything runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from coopnet.cli.tui import _cache_options
from coopnet.errors import CoopNetError


def args(**values: object) -> argparse.Namespace:
    return argparse.Namespace(**{"no_cache": False, "cache_passphrase_file": None, **values})


def test_by_default_the_cache_is_in_the_store_and_the_passphrase_is_asked(tmp_path: Path):
    options = _cache_options(args(), tmp_path)
    assert options == {"cache_file": tmp_path / "cache.db", "cache_passphrase": None}


def test_no_cache_means_no_cache_file(tmp_path: Path):
    assert _cache_options(args(no_cache=True), tmp_path) == {}


def test_the_passphrase_file_gives_its_first_line(tmp_path: Path):
    file = tmp_path / "passphrase"
    file.write_text("the passphrase\nignored\n")
    file.chmod(0o600)
    assert (
        _cache_options(args(cache_passphrase_file=str(file)), tmp_path)["cache_passphrase"]
        == "the passphrase"
    )


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        ("secret\n", 0o644, "readable by others"),
        ("\n", 0o600, "is empty"),
        (None, 0o600, "passphrase: does not exist"),
        (b"\xff\xfe\x00", 0o600, "not UTF-8 text"),
    ],
)
def test_a_bad_passphrase_file_is_named(
    tmp_path: Path, content: str | bytes | None, mode: int, message: str
):
    file = tmp_path / "passphrase"
    if content is not None:
        file.write_bytes(content if isinstance(content, bytes) else content.encode())
        file.chmod(mode)
    with pytest.raises(CoopNetError, match=message):
        _cache_options(args(cache_passphrase_file=str(file)), tmp_path)


def test_no_cache_with_a_passphrase_file_is_a_contradiction(tmp_path: Path):
    with pytest.raises(CoopNetError, match="exclude each other"):
        _cache_options(args(no_cache=True, cache_passphrase_file="x"), tmp_path)
