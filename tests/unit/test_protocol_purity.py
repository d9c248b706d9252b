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


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import coopnet.protocol, coopnet.stages\n"
        "import coopnet.protocol.schema, coopnet.stages.tracker\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=pathlib.Path(coopnet.__file__).parent.parent,
    )
    loaded = json.loads(out.stdout)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert not bad, bad


def test_core_sources_do_not_import_io_libraries() -> None:
    root = pathlib.Path(coopnet.__file__).parent
    for package in ("protocol", "stages"):
        for path in (root / package).glob("*.py"):
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
                        assert name.startswith(CORE + ("coopnet.errors", "coopnet.ids")), (
                            f"{path}: {name}"
                        )
