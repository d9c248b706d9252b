"""Legal-requirements profiles: one data file per authority, maintained by that authority.

A profile is the content of a ``requirements.answer`` event, validated with the
protocol core when it is loaded, so a broken file is named at start-up, not in a room.
The consultation bot answers queries with it; the terminal client shows it in the
directory. The shipped ``ch``, ``cn`` and ``mx`` profiles are illustrative demo data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from coopnet.errors import CoopNetError
from coopnet.protocol import ParseError, RequirementsAnswer


class ProfileError(CoopNetError):
    """A profile file is missing or does not validate."""


@dataclass(frozen=True)
class Profile:
    authority_id: str
    state: str
    answer: RequirementsAnswer


def _builtin(authority_id: str) -> str | None:
    resource = resources.files(__package__).joinpath(f"{authority_id}.json")
    return resource.read_text("utf-8") if resource.is_file() else None


def load_profile(authority_id: str, directory: Path | None = None) -> Profile | None:
    """The authority's profile from ``directory`` (else the shipped demo ones); None if none."""
    path = directory / f"{authority_id}.json" if directory is not None else None
    text: str | None
    if path is not None and path.exists():
        text, where = path.read_text("utf-8"), str(path)
    else:
        text, where = _builtin(authority_id), f"built-in profile {authority_id}"
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{where}: not JSON (line {exc.lineno}: {exc.msg})") from None
    parsed = RequirementsAnswer.from_dict(data.get("answer"), "answer")
    if isinstance(parsed, ParseError):
        raise ProfileError(f"{where}: {parsed}")
    return Profile(authority_id, str(data.get("state", authority_id.upper())), parsed)
