"""The pure core must not import I/O libraries (nio, Textual, aiohttp, sqlite)."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import coopnet

FORBIDDEN = ("nio", "textual", "aiohttp", "sqlite3", "sqlite_utils", "socket", "asyncio")
CORE = ("coopnet.protocol", "coopnet.stages")
PURE_HELPERS = ("coopnet.errors", "coopnet.ids", "coopnet.canonical", "coopnet.datafile")


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import coopnet.protocol, coopnet.stages\n"
        "import coopnet.protocol.schema, coopnet.stages.tracker\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=pathlib.Path(coopnet.__file__).parent.parent,
    )
    loaded = json.loads(out.stdout)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert not bad, bad


def _core_sources(root: pathlib.Path) -> list[pathlib.Path]:
    helpers = [root / f"{name.split('.')[1]}.py" for name in PURE_HELPERS]
    # coopnet.datafile: typed file records, and reading a file's bytes (no I/O library)
    packages = ("protocol", "stages", "datafile")
    return [p for package in packages for p in (root / package).glob("*.py")] + [
        p for p in helpers if p.exists()
    ]


def test_core_sources_do_not_import_io_libraries() -> None:
    for path in _core_sources(pathlib.Path(coopnet.__file__).parent):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path}: {name}"
                if name.startswith("coopnet."):
                    assert name.startswith(CORE + PURE_HELPERS), f"{path}: {name}"


def test_canonical_helper_is_checked_and_loads_no_io_library() -> None:
    root = pathlib.Path(coopnet.__file__).parent
    assert root / "canonical.py" in _core_sources(root)
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import coopnet.canonical\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root.parent,
    )
    loaded = json.loads(out.stdout)
    assert not [m for m in loaded if m.split(".")[0] in FORBIDDEN], loaded
    assert not [m for m in loaded if m.startswith("coopnet.") and m != "coopnet.canonical"]
