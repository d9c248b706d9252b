"""The pure core must not load I/O libraries (nio, Textual, aiohttp, sqlite, asyncio).

The import-linter contracts (pyproject.toml, tests/unit/test_import_contracts.py) check
the import statements; this checks what Python really loads, which includes every
package ``__init__`` on the way (``import coopnet.records.verify`` runs
``coopnet/records/__init__.py`` first).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import coopnet

FORBIDDEN = ("nio", "textual", "aiohttp", "sqlite3", "sqlite_utils", "socket", "asyncio")
PURE = (
    "coopnet.protocol",
    "coopnet.protocol.schema",
    "coopnet.stages",
    "coopnet.stages.tracker",
    "coopnet.consultation",
    # record hashing and verification, directory verification, receipt verification
    "coopnet.records",
    "coopnet.records.verify",
    "coopnet.records.export",
    "coopnet.trust",
    "coopnet.receipts",
    # typed records of the files CoopNet reads (the bytes are read, no I/O library)
    "coopnet.datafile",
)


def loaded_by(modules: tuple[str, ...]) -> list[str]:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"import {', '.join(modules)}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=pathlib.Path(coopnet.__file__).parent.parent,
    )
    return json.loads(out.stdout)


def test_importing_the_core_loads_no_io_library() -> None:
    loaded = loaded_by(PURE)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert not bad, bad
    assert not [m for m in loaded if m.startswith(("coopnet.records.store", "coopnet.matrix"))]


def test_canonical_helper_loads_no_io_library() -> None:
    loaded = loaded_by(("coopnet.canonical",))
    assert not [m for m in loaded if m.split(".")[0] in FORBIDDEN], loaded
    assert not [m for m in loaded if m.startswith("coopnet.") and m != "coopnet.canonical"]
