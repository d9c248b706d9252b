"""The import-linter contracts of pyproject.toml hold on the tree and break on a forbidden import.

Each check runs ``lint-imports`` on a copy of the packages in ``tmp_path``: once as they
are (every contract kept), once with one forbidden import added (its contract broken,
by name). No homeserver.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("coopnet", "bots", "tui")
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def copy_tree(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(tree: Path) -> tuple[int, str]:
    """Run lint-imports on *tree* (its copy of the packages first on the path)."""
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # long contract names wrap in the report: compare with single spaces
    return done.returncode, re.sub(r"\s+", " ", done.stdout + done.stderr)


def add_import(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        (
            "coopnet.stages.machine",
            "import sqlite3",
            "The pure core does no I/O: no nio, Textual, sqlite3, sqlite-utils, asyncio or aiohttp",
        ),
        ("tui.app", "import nio", "Only coopnet.matrix imports nio"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    tree = copy_tree(tmp_path)
    code, report = lint_imports(tree)
    assert code == 0, report
    assert "0 broken" in report and "BROKEN" not in report

    add_import(tree, module, statement)
    code, report = lint_imports(tree)
    assert code != 0
    assert f"{contract} BROKEN" in report, report
    assert f"{module} -> {statement.split()[-1]}" in report, report
