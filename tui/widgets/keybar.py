"""A one-widget footer: the active key bindings drawn as one line of text.

Textual's ``Footer`` mounts a widget per key and restyles each of them, which costs a
large share of opening a screen (it was ~40 % of opening a consultation). This bar
shows the same thing — the focused widget's and the screen's bindings marked ``show``,
and the command palette key on the right — as one renderable; a click on a key
presses it. Keys that do not fit are left out whole (F1 help lists them all).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background;
             color: $footer-foreground; }
    KeyBar > .keybar--key { color: $footer-key-foreground; background: $footer-key-background;
                            text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { color: $text-disabled; }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}

    def __init__(self, **kw: str) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) for clicks
        self._ready = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self._ready = True
        self.refresh()

    def keys(self) -> list[tuple[str, str, str, bool]]:
        """(key, key as shown, description, enabled) of every binding shown, in order."""
        if not self._ready:
            return []
        seen: set[str] = set()
        out = []
        palette = self.app.COMMAND_PALETTE_BINDING
        for key, (_node, binding, enabled, _tip) in self.screen.active_bindings.items():
            if not binding.show or binding.action in seen or key == palette:
                continue
            seen.add(binding.action)
            out.append(
                (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            )
        return out

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        desc_style = self.get_component_rich_style("keybar--description", partial=True)
        off_style = self.get_component_rich_style("keybar--disabled", partial=True)
        text = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        width = self.size.width
        for key, shown, description, enabled in self.keys():
            start = text.cell_len
            if width and start + cell_len(f" {shown} {description} ") > width:
                break  # on a narrow terminal: whole keys only, never a key without its name
            text.append(f" {shown} ", off_style if not enabled else key_style)
            text.append(f"{description} ", off_style if not enabled else desc_style)
            spans.append((start, text.cell_len, key))
        if self._ready and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                binding = found[1]
                label = f" {self.app.get_key_display(binding)} {binding.description} "
                gap = self.size.width - text.cell_len - cell_len(label)
                if gap > 0:
                    text.append(" " * gap)
                    start = text.cell_len
                    text.append(label, key_style)
                    spans.append((start, text.cell_len, binding.key))
        self._spans = spans
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
