"""How a fault case of RELIABILITY.md hands its figures to ``bench/reliability.py``.

Each case (a test marked ``reliability`` in this folder) measures what it provokes and
calls :func:`record_case` once at its end; the runner renders RELIABILITY.md from the
files written here, so every figure in that document comes from a run that anyone can
repeat with the command it names.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

FIGURES_DIR = Path(__file__).resolve().parent.parent.parent / "bench" / "reliability"
# Set by bench/reliability.py; without it the cases are skipped (tests/reliability/conftest.py).
ENABLE_VARIABLE = "COOPNET_RELIABILITY"


@dataclass(frozen=True)
class CaseResult:
    """One fault case as RELIABILITY.md shows it."""

    case: str  # file stem: kill_bot, homeserver_down, ...
    title: str  # the case as issue 19 words it
    held: bool  # every check of the case passed
    figures: dict[str, float | int | str]  # name -> value, in the order they are shown
    observed: list[str] = field(default_factory=list)  # what was seen, one sentence each
    command: str = ""  # filled in by record_case

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def record_case(result: CaseResult) -> Path:
    """Write one case's figures (only when the runner asked for them)."""
    if not os.environ.get(ENABLE_VARIABLE):
        return FIGURES_DIR / f"{result.case}.json"
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    command = f".venv/bin/python bench/reliability.py -k {result.case}"
    stamped = CaseResult(
        case=result.case,
        title=result.title,
        held=result.held,
        figures=dict(result.figures),
        observed=[*result.observed, f"run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"],
        command=command,
    )
    path = FIGURES_DIR / f"{result.case}.json"
    path.write_text(stamped.to_json(), encoding="utf-8")
    return path
