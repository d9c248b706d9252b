"""What the fault cases ask of the command line: ``coopnet net status`` as an operator runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.terminal import COOPNET


def net_status(directory: Path) -> tuple[int, str]:
    """Exit code and output (whitespace folded: rich wraps long lines) of net status."""
    done = subprocess.run(
        [COOPNET, "net", "status", "--dir", str(directory)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        timeout=120,
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())
