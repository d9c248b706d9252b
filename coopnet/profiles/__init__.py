"""Legal-requirements profiles: one data file per authority, maintained by that authority.

A profile is the content of a ``requirements.answer`` event, validated with the
protocol core when it is loaded, so a broken file is named at start-up, not in a room.
The consultation bot answers queries with it; the terminal client shows it in the
directory. The shipped ``ch``, ``cn`` and ``mx`` profiles are illustrative demo data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from coopnet.datafile import (
    FileRecord,
    Nullable,
    Text,
    checked,
    decode_json,
    describe,
    read_text,
    spec,
)
from coopnet.errors import BadFileError
from coopnet.profiles.library import demo_library as demo_library
from coopnet.protocol import ParseError, RequirementsAnswer

_AUTHORITY_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class ProfileError(BadFileError):
    """A profile file is unreadable or does not validate (the CLI exits 2)."""


@dataclass(frozen=True)
class Profile:
    authority_id: str
    state: str
    answer: RequirementsAnswer


@dataclass(frozen=True)
class ProfileFile(FileRecord):
    """A profile as written: the State's name and the ``requirements.answer`` content
    (checked by the protocol core, since it is sent as that event)."""

    state: str | None = spec(Nullable(Text(255)), default=None)


def _builtin(authority_id: str) -> str | None:
    resource = resources.files(__package__).joinpath(f"{authority_id}.json")
    return resource.read_text("utf-8") if resource.is_file() else None


def builtin_profiles() -> list[Profile]:
    """The shipped (illustrative) demo profiles, by authority id."""
    found = []
    for resource in sorted(resources.files(__package__).iterdir(), key=lambda r: r.name):
        if resource.name.endswith(".json"):
            profile = load_profile(resource.name.removesuffix(".json"))
            if profile is not None:
                found.append(profile)
    return found


def load_profile(authority_id: str, directory: Path | None = None) -> Profile | None:
    """The authority's profile from ``directory`` (else the shipped demo ones); None if none."""
    if not _AUTHORITY_ID.fullmatch(authority_id):  # a name, never a path
        return None
    path = directory / f"{authority_id}.json" if directory is not None else None
    try:
        text: str | None
        if path is not None and path.exists():
            text, where = read_text(path), str(path)
        else:
            text, where = _builtin(authority_id), f"built-in profile {authority_id}"
        if text is None:
            return None
        data = decode_json(text, where)
        fields = checked(ProfileFile, data, where)
    except BadFileError as exc:
        raise ProfileError(exc.file, exc.detail) from None
    parsed = RequirementsAnswer.from_dict(data.get("answer"), "answer")
    if isinstance(parsed, ParseError):
        raise ProfileError(where, describe(parsed))
    if parsed.authority not in (None, authority_id):
        raise ProfileError(
            where, f"answer.authority: {parsed.authority!r} is not this file's authority"
        )
    # The answer says whose requirements it states: only the requested State's answer
    # about itself sets the time limits of a consultation (coopnet.stages.answers_for).
    answer = replace(parsed, authority=authority_id)
    return Profile(authority_id, fields.state or authority_id.upper(), answer)
