"""Screens of the terminal client, one per file."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def take_breakpoints(screen: Screen[Any]) -> None:
    """Give a new screen its width class (``-narrow``/``-wide``) before its first paint.

    Textual adds it on the Resize event that follows the first paint, which restyles
    every widget and paints again (and shows, for a frame, what the class hides).
    Called from ``on_mount``, before the screen is first styled (so no restyle here);
    Textual's own update later finds nothing to change.
    """
    width = screen.app.size.width
    breakpoints = screen.HORIZONTAL_BREAKPOINTS or screen.app.HORIZONTAL_BREAKPOINTS or []
    reached = [name for edge, name in sorted(breakpoints) if width >= edge]
    classes = {name: bool(reached) and name == reached[-1] for _edge, name in breakpoints}
    screen.update_classes(classes, update=False)
