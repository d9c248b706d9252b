"""Render a steward and an authority directory for the unit tests (no server)."""

from __future__ import annotations

from pathlib import Path

from coopnet.cli import main


def render(tmp_path: Path, *extra: str, target: str = "compose") -> tuple[Path, Path]:
    steward, out = tmp_path / "steward", tmp_path / "authority"
    if not steward.exists():
        assert main(["admin", "init-network", "--dir", str(steward), "--name", "t"]) == 0
    assert (
        main(
            [
                "admin",
                "add-authority",
                "--steward-dir",
                str(steward),
                "--id",
                "ch",
                "--server-name",
                "matrix.ofj.example",
                "--out",
                str(out),
                "--target",
                target,
                *extra,
            ]
        )
        == 0
    )
    return steward, out


def compose_env(out: Path) -> dict[str, str]:
    """The variables of an authority directory's ``.env`` (database name, user, password)."""
    lines = (out / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
