"""Key bindings and palette commands in the interface language, switchable at run time.

Every ``Binding`` description written in ``tui/`` is a label key of ``tui/labels.json``
(``key.*``), never English text; a unit test checks this. Nodes that declare bindings
mix in :class:`Localized`: when such a node is mounted, and again when the officer
switches language (:meth:`tui.app.CoopNetApp.set_language` calls :func:`localize`), its
bindings are replaced by copies whose descriptions are translated, so the key bar, the
"Keys" panel and the palette all show the current language. The few texts Textual
itself contributes (its screen bindings, the palette binding, its system commands) are
mapped to label keys by :data:`TEXTUAL_TEXTS`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.screen import Screen

from tui.i18n import t

__all__ = [
    "Localized",
    "TEXTUAL_TEXTS",
    "app_lang",
    "label_key",
    "localize",
    "localize_bindings",
    "localize_command",
]

TEXTUAL_TEXTS: dict[str, str] = {
    # bindings Textual declares on Screen and App
    "Focus Next": "key.focus_next",
    "Focus Previous": "key.focus_previous",
    "Copy selected text": "key.copy",
    "palette": "key.palette",
    "Quit": "key.quit",
    # ScrollView's (the timeline's) own keys
    "Page Up": "key.page_up",
    "Page Down": "key.page_down",
    "Page Left": "key.page_left",
    "Page Right": "key.page_right",
    "Scroll Left": "key.scroll_left",
    "Scroll Right": "key.scroll_right",
    # its system commands (App.get_system_commands): titles and help texts
    "Theme": "cmd.theme",
    "Change the current theme": "cmd.theme.help",
    "Quit the application as soon as possible": "cmd.quit.help",
    "Keys": "cmd.keys",
    "Show help for the focused widget and a summary of available keys": "cmd.keys.show",
    "Hide the keys and widget help panel": "cmd.keys.hide",
    "Maximize": "cmd.maximize",
    "Maximize the focused widget": "cmd.maximize.help",
    "Minimize": "cmd.minimize",
    "Minimize the widget and restore to normal size": "cmd.minimize.help",
    "Screenshot": "cmd.screenshot",
    "Save an SVG 'screenshot' of the current screen": "cmd.screenshot.help",
}
"""English texts that Textual shows, and the label key of each."""

_ORIGINAL = "_coopnet_label_bindings"  # a node's bindings as declared (descriptions = keys)


def app_lang(node: DOMNode, default: str = "en") -> str:
    """The app's current language (``default`` outside a CoopNet app)."""
    try:
        return str(getattr(node.app, "lang", default))
    except Exception:  # no active app yet (a screen built before the app runs)
        return default


def label_key(text: str) -> str | None:
    """The label key a binding description or command text stands for, if any."""
    if text.startswith("key."):
        return text
    return TEXTUAL_TEXTS.get(text)


def _translate(text: str, lang: str) -> str:
    key = label_key(text)
    return text if key is None else t(key, lang)


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Replace ``node``'s bindings by copies whose descriptions are in ``lang``."""
    original: BindingsMap | None = node.__dict__.get(_ORIGINAL)
    if original is None:
        original = node._bindings
        node.__dict__[_ORIGINAL] = original
    node._bindings = BindingsMap.from_keys(
        {
            key: [_translated(binding, lang) for binding in bindings]
            for key, bindings in original.key_to_bindings.items()
        }
    )


def _translated(binding: Binding, lang: str) -> Binding:
    if not binding.description:
        return binding
    return replace(
        binding,
        description=_translate(binding.description, lang),
        tooltip=_translate(binding.tooltip, lang) if binding.tooltip else "",
    )


def localize(screen: Screen[Any], lang: str) -> None:
    """Show a screen's bindings, and those of its :class:`Localized` widgets, in ``lang``."""
    for node in screen.walk_children(with_self=True):
        if isinstance(node, Localized):
            localize_bindings(node, lang)
    screen.refresh_bindings()


def localize_command(command: SystemCommand, lang: str) -> SystemCommand:
    """One of Textual's system commands with its title and help in ``lang``."""
    return command._replace(
        title=_translate(command.title, lang), help=_translate(command.help, lang)
    )


class Localized:
    """Mixin of the client's screens and widgets that declare key bindings.

    Their ``BINDINGS`` descriptions are label keys; they are translated when the node is
    mounted (Textual calls this handler in addition to the class's own ``on_mount``).
    """

    def _on_mount(self, _event: events.Mount) -> None:
        assert isinstance(self, DOMNode)
        localize_bindings(self, app_lang(self, str(getattr(self, "lang", "en"))))
        self.refresh_bindings()
