"""What the client remembers per device: the interface language and how it notifies.

Kept in the device store (``DIR/tui-settings.json``, owner-only), next to the device's
keys and cache, so each officer's device starts the way its officer left it. A setting
that was never chosen falls back to what the signed directory says of the officer's
authority (its working language). A damaged file is reported (file, field, why) and the
defaults are used; it is only replaced when the officer changes a setting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from coopnet.datafile import FileRecord, Text, checked, format_version, read_json, spec
from coopnet.errors import CoopNetError
from coopnet.keys import write_private
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES
from tui.directory import Directory

log = logging.getLogger(__name__)

SETTINGS_FILE = "tui-settings.json"
FORMAT_VERSION = 1
NOTIFY_CHOICES = ("auto", "bell", "osc9", "osc777", "off")
"""How new messages and urgent deadlines are signalled (see :mod:`tui.notify`)."""


@dataclass(frozen=True)
class Settings(FileRecord):
    OPEN: ClassVar[bool] = False
    lang: str = spec(Text(8, min_len=0, choices=("", *LANGUAGES)), default="")
    """The language the officer chose with ctrl+l ("" until then)."""
    notify: str = spec(Text(8, choices=NOTIFY_CHOICES), default="auto")
    version: int = format_version(FORMAT_VERSION)


@dataclass
class DeviceSettings:
    """The settings of one device store (``folder`` None: nothing is remembered)."""

    folder: Path | None
    settings: Settings = Settings()
    problem: str | None = None
    """Why the stored file was not used (shown once to the officer), if it was not."""

    @classmethod
    def load(cls, folder: Path | None) -> DeviceSettings:
        if folder is None:
            return cls(None)
        path = folder / SETTINGS_FILE
        if not path.exists():
            return cls(folder)
        try:
            return cls(folder, checked(Settings, read_json(path), str(path)))
        except CoopNetError as exc:
            log.warning("settings not used: %s", exc)
            return cls(folder, problem=str(exc))

    def change(self, *, lang: str | None = None, notify: str | None = None) -> None:
        """Remember new values (written at once; a failure is logged, never fatal)."""
        self.settings = replace(
            self.settings,
            lang=self.settings.lang if lang is None else lang,
            notify=self.settings.notify if notify is None else notify,
        )
        if self.folder is None:
            return
        data = {"version": FORMAT_VERSION, "lang": self.settings.lang}
        data["notify"] = self.settings.notify
        try:
            write_private(self.folder / SETTINGS_FILE, json.dumps(data, indent=1).encode())
        except OSError as exc:
            log.warning("settings not saved in %s: %s", self.folder, exc)


def first_language(chosen: str | None, remembered: str, directory: Directory, user_id: str) -> str:
    """The interface language at start: ``--lang``, else the one chosen on this device,
    else the working language of the officer's authority in the directory."""
    if chosen:
        return chosen
    if remembered:
        return remembered
    party = directory.roster.party_of(user_id)
    if party is not None and party.language in LANGUAGES:
        return party.language
    return DEFAULT_LANGUAGE
