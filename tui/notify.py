"""Signals an officer working in other windows notices: the terminal bell, or a desktop
notification where the terminal supports one (OSC 9, OSC 777).

What a signal says is fixed here and never holds case data beyond the case reference
(the neutral name the room has on the homeserver too): no names, no message text, no
stage. Terminals pass notifications to the desktop, where others may read them.
Pure: the sequence to write is computed here, the app writes it to its terminal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from tui.i18n import text

METHODS = ("bell", "osc9", "osc777", "off")
MIN_INTERVAL = 5.0
"""Seconds between two signals: a burst of messages rings once."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_OSC9_TERMINALS = ("iTerm.app", "WezTerm", "ghostty")


def choose(setting: str, env: Mapping[str, str]) -> str:
    """The method for a setting (``auto``: a desktop notification on terminals known to
    show one, else the bell)."""
    if setting in METHODS:
        return setting
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if program in _OSC9_TERMINALS or "kitty" in term:
        return "osc9"
    if env.get("VTE_VERSION") or term.startswith("foot"):
        return "osc777"
    return "bell"


def _clean(value: str) -> str:
    # No control character may end the sequence early or start another one.
    return _CONTROL.sub(" ", value).replace(";", ",")


def sequence(method: str, title: str, body: str, in_tmux: bool = False) -> str:
    """What to write to the terminal for one signal ("" when off)."""
    if method == "off":
        return ""
    if method == "bell":
        return "\a"
    if method == "osc9":
        osc = f"\x1b]9;{_clean(title)}: {_clean(body)}\x07"
    else:
        osc = f"\x1b]777;notify;{_clean(title)};{_clean(body)}\x07"
    if in_tmux:  # tmux passes it on to the outer terminal (with allow-passthrough on)
        osc = "\x1bPtmux;" + osc.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return osc


class Notifier:
    """Signals new messages and urgent deadlines, at most one per :data:`MIN_INTERVAL`."""

    def __init__(
        self,
        method: str,
        write: Callable[[str], None],
        in_tmux: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.method = method
        self.write = write
        self.in_tmux = in_tmux
        self.clock = clock
        self._last = float("-inf")

    def _signal(self, body: str, lang: str) -> bool:
        now = self.clock()
        if self.method == "off" or now - self._last < MIN_INTERVAL:
            return False
        self._last = now
        self.write(sequence(self.method, text("app.title", lang), body, self.in_tmux))
        return True

    def message(self, case_ref: str, lang: str) -> bool:
        """A new message in a consultation (named by its case reference only)."""
        return self._signal(text("signal.message", lang, case=case_ref), lang)

    def deadline(self, case_ref: str, lang: str) -> bool:
        return self._signal(text("signal.deadline", lang, case=case_ref), lang)

    def deadlines(self, count: int, lang: str) -> bool:
        return self._signal(text("signal.deadlines", lang, count=count), lang)
