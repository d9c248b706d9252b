"""``coopnet records audit`` answers bad input with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopnet.cli import main
from coopnet.matrix.session import StoredSession


def _audit(db: Path, store: Path) -> list[str]:
    return ["records", "audit", "--db", str(db), "--store", str(store), "--timeout", "5"]


def test_a_store_without_a_device_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(_audit(tmp_path / "records.db", tmp_path / "store")) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "holds no device" in err


def test_a_damaged_session_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    store = tmp_path / "store"
    store.mkdir()
    (store / "session.json").write_text('{"homeserver": ')
    assert main(_audit(tmp_path / "records.db", store)) == 2
    assert "session.json" in capsys.readouterr().err


def test_a_missing_record_is_named_before_the_homeserver_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    store = tmp_path / "store"
    StoredSession("http://127.0.0.1:9", "@o:127.0.0.11", "DEV", "token").save(store)
    assert main(_audit(tmp_path / "records.db", store)) == 2
    assert "no such record database" in capsys.readouterr().err
