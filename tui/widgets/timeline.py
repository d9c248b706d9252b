"""The consultation timeline: one line-based widget that renders lazily.

A consultation can hold tens of thousands of events. Mounting a widget per event costs
milliseconds each (styles, layout, focus); instead the timeline is a single
:class:`~textual.scroll_view.ScrollView` that renders entries to lines (Rich renderables
→ strips), keeps only a window of the newest entries, and draws only the visible lines.
The window grows towards older entries on demand (Home, ctrl+u, ↑ on the first entry,
or scrolling up at the top). Rendered entries are cached per width and language.

Keys: ↑/↓ select an entry, Enter shows a card whole (or short again), ``i`` opens its
details (the screen receives :class:`Timeline.DetailsRequested`), ``r`` replies to it
(:class:`Timeline.ReplyRequested`), ``y`` copies it to the clipboard
(:class:`Timeline.CopyRequested`: the screen checks its handling codes first), ``s``
shares it into the consultation's internal coordination room
(:class:`Timeline.ShareRequested`, where there is one). A receipt
takes no lines of its own: it is a mark on
the card it certifies (:mod:`tui.widgets.cards`), so the cursor passes over it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.i18n import day, local_day, t
from tui.localize import Localized
from tui.model import Consultation, Entry
from tui.names import Names
from tui.widgets.cards import is_folded, redrawn_by, related, render_entry

PAGE = 20
"""Entries loaded at least when opening, and per step towards older entries."""

NONE = -1  # owner of a line that belongs to no entry (separator, "earlier" note)


class Timeline(Localized, ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"timeline--cursor", "timeline--earlier", "timeline--day"}
    DEFAULT_CSS = """
    Timeline { height: 1fr; padding: 0 1; scrollbar-gutter: stable; }
    Timeline > .timeline--cursor { background: $boost; }
    Timeline:focus > .timeline--cursor { background: $accent 25%; }
    Timeline > .timeline--earlier { color: $text-muted; text-style: italic; }
    Timeline > .timeline--day { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+u", "earlier", "key.earlier", show=False),
        Binding("home", "earlier", "key.earlier", show=False),
        Binding("end", "latest", "key.latest", show=False),
        Binding("up", "cursor(-1)", "key.previous", show=False),
        Binding("down", "cursor(1)", "key.next", show=False),
        Binding("r", "reply", "key.reply"),
        Binding("enter", "expand", "key.expand"),
        Binding("i", "details", "key.details"),
        Binding("y", "copy", "key.copy_entry"),
        # Shown only in a consultation with an internal coordination room (see check_action).
        Binding("s", "share", "key.share_internal"),
    ]

    @dataclass
    class ReplyRequested(Message):
        entry: Entry

    @dataclass
    class DetailsRequested(Message):
        entry: Entry

    @dataclass
    class CopyRequested(Message):
        entry: Entry

    @dataclass
    class ShareRequested(Message):
        entry: Entry

    def __init__(self, consultation: Consultation, names: Names, lang: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.consultation = consultation
        self.names = names
        self.lang = lang
        self.expanded: set[str] = set()  # event ids of the cards shown whole
        self.first_shown = len(consultation.entries)  # nothing loaded until the width is known
        self.cursor: int | None = None  # index into consultation.entries
        # Whether the consultation has an internal room to share into (the screen knows).
        self.can_share: Callable[[], bool] = lambda: False
        self._width = 0
        self._cache: dict[str, list[Strip]] = {}  # event id → lines at self._width
        self._lines: list[Strip] = []
        self._owner: list[int] = []  # entry index of each line, or NONE
        self._start: dict[int, int] = {}  # entry index → its first line
        self._pending: str | None = None  # an entry to show once laid out
        self._last_day: dt.date | None = None  # the day of the last entry laid out
        self._base = Style()  # styles of the paint in progress (see render_lines)
        self._cursor_style = Style()

    # ------------------------------------------------------------ what is loaded
    @property
    def shown(self) -> int:
        """How many entries are loaded (rendered when visible)."""
        return len(self.consultation.entries) - self.first_shown

    def shown_entries(self) -> list[Entry]:
        return self.consultation.entries[self.first_shown :]

    def has_entry(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in reversed(self.shown_entries()))

    # ------------------------------------------------------------ rendering
    def _block(self, entry: Entry) -> list[Strip]:
        cached = self._cache.get(entry.event_id)
        if cached is None:
            console = self.app.console
            options = console.options.update(width=self._width, height=None)
            renderable = render_entry(
                entry,
                self.consultation,
                self.names,
                self.lang,
                expanded=entry.event_id in self.expanded,
            )
            cached = (
                []
                if renderable is None
                else [
                    Strip(line, self._width) for line in console.render_lines(renderable, options)
                ]
            )
            self._cache[entry.event_id] = cached
        return cached

    def _rebuild(self) -> None:
        """Lay out the loaded entries as lines (rendering only what is not cached)."""
        lines: list[Strip] = []
        owner: list[int] = []
        start: dict[int, int] = {}
        if self.first_shown > 0:
            note = t("entry.earlier", self.lang, count=self.first_shown)
            style = self.get_component_rich_style("timeline--earlier", partial=True)
            lines += [Strip([Segment(note, style)], len(note)), Strip.blank(0)]
            owner += [NONE, NONE]
        entries = self.consultation.entries
        self._last_day = None
        for index in range(self.first_shown, len(entries)):
            entry = entries[index]
            block = self._block(entry)
            if not block:
                continue  # drawn on another entry's card (a receipt)
            self._divide(entry, lines, owner)
            start[index] = len(lines)
            lines += block
            owner += [index] * len(block)
        self._lines, self._owner, self._start = lines, owner, start
        self.virtual_size = Size(self._width, len(lines))
        self.refresh()

    def _height(self, entry: Entry) -> int:
        return len(self._block(entry))

    def _divide(self, entry: Entry, lines: list[Strip], owner: list[int]) -> None:
        """A line with the date before the first entry of each day (entries give the
        time of day only): entries follow each other without blank lines between them."""
        today = local_day(entry.ts)
        if today == self._last_day:
            return
        self._last_day = today
        label = f" {day(today, self.lang)} "
        rule = max(2, (self._width - cell_len(label)) // 2)
        style = self.get_component_rich_style("timeline--day", partial=True)
        lines.append(Strip([Segment("─" * rule + label + "─" * rule, style)]))
        owner.append(NONE)

    def _fill(self) -> None:
        """Load at least a page, and enough entries to fill the view."""
        entries = self.consultation.entries
        target = max(0, len(entries) - PAGE)
        height = max(1, self.scrollable_content_region.height)
        lines = sum(self._height(e) for e in entries[target:])
        while target > 0 and lines < height:
            target -= 1
            lines += self._height(entries[target])
        self.first_shown = min(self.first_shown, target)

    def on_resize(self, _event: events.Resize) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._width:
            return
        at_end = not self._lines or self.is_vertical_scroll_end
        self._width = width
        self._cache.clear()
        self._fill()
        self._rebuild()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.call_after_refresh(self.scroll_to_entry, pending)
        elif at_end:
            # Scrolled now rather than after a refresh: the next paint already shows the
            # newest entries (one paint of the whole timeline less when opening). Forced,
            # and the thumb placed by hand: the scrollbar that permits scrolling and
            # follows it only appears with that next layout.
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            self.vertical_scrollbar.position = self.scroll_y

    def render_lines(self, crop: Region) -> list[Strip]:
        # The base style walks the ancestors' styles: work it out once a paint, not per line.
        self._base = self.rich_style
        self._cursor_style = self.get_component_rich_style("timeline--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self._base
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._lines[index]
        if self.cursor is not None and self._owner[index] == self.cursor:
            strip = strip.extend_cell_length(width).apply_style(self._cursor_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)

    def relabel(self, lang: str) -> None:
        self.lang = lang
        self._cache.clear()
        if self._width:
            self._rebuild()

    # ------------------------------------------------------------ changes
    def append(self, entry: Entry) -> None:
        """Show an entry that was just added to the consultation."""
        if not self._width:
            return  # laid out with everything else once the width is known
        at_end = self.is_vertical_scroll_end
        entries = self.consultation.entries
        # What this entry changes on other cards: a receipt marks the card it certifies,
        # an answer the card it refuses; an event comes after its receipt was drawn alone.
        changed = [related(entry)] + [r.event_id for r in self.consultation.receipts_of(entry)]
        changed += redrawn_by(entry, self.consultation)
        redraw = False
        for event_id in changed:
            if event_id is not None and self._cache.pop(event_id, None) is not None:
                redraw = True
        if entries and entries[-1] is entry and self._lines and not redraw:
            index = len(entries) - 1
            block = self._block(entry)
            if block:
                self._divide(entry, self._lines, self._owner)
                self._start[index] = len(self._lines)
                self._lines += block
                self._owner += [index] * len(block)
            self.virtual_size = Size(self._width, len(self._lines))
            self.refresh()
        else:  # arrived out of order: indices after it moved
            if self.cursor is not None and self.cursor >= entries.index(entry):
                self.cursor += 1
            self._rebuild()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def replace(self, entry: Entry) -> None:
        """Draw an entry again that changed in place (an undecryptable one, decrypted)."""
        self._cache.pop(entry.event_id, None)
        if self._width:
            self._rebuild()

    def action_earlier(self) -> None:
        if self.first_shown == 0:
            return
        before = len(self._lines)
        self.first_shown = max(0, self.first_shown - PAGE)
        self._rebuild()
        self.scroll_to(y=self.scroll_y + len(self._lines) - before, animate=False, immediate=True)

    def action_latest(self) -> None:
        self.cursor = None
        self.scroll_end(animate=False, immediate=True)
        self.refresh()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y == 0 and self.first_shown > 0:
            self.action_earlier()

    # ------------------------------------------------------------ selection
    def action_cursor(self, step: int) -> None:
        entries = self.consultation.entries
        last = len(entries) - 1
        if last < 0:
            return
        target = last if self.cursor is None else max(0, min(last, self.cursor + step))
        # Over the entries drawn on other cards (receipts), in the direction of travel.
        direction = -1 if step < 0 or self.cursor is None else 1
        while 0 <= target <= last and is_folded(entries[target], self.consultation):
            target += direction
        if not 0 <= target <= last:
            return
        while target < self.first_shown:
            self.action_earlier()
        self.select(target)

    def select(self, index: int) -> None:
        self.cursor = index
        self.refresh()
        start = self._start.get(index)
        if start is None:
            return
        height = len(self._block(self.consultation.entries[index]))
        view = self.scrollable_content_region.height
        if start < self.scroll_y:
            self.scroll_to(y=max(0, start - (1 if start else 0)), animate=False, immediate=True)
        elif start + height > self.scroll_y + view:
            self.scroll_to(
                y=max(start + height - view, start if height > view else 0),
                animate=False,
                immediate=True,
            )

    @property
    def selected(self) -> Entry | None:
        if self.cursor is None or self.cursor >= len(self.consultation.entries):
            return None
        return self.consultation.entries[self.cursor]

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        line = int(self.scroll_y) + offset.y
        if 0 <= line < len(self._owner) and self._owner[line] != NONE:
            self.select(self._owner[line])

    def action_reply(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(self.ReplyRequested(entry))

    def action_details(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(self.DetailsRequested(entry))

    def action_copy(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(self.CopyRequested(entry))

    def action_share(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(self.ShareRequested(entry))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "share":
            return self.can_share()  # False: hidden where there is nowhere to share
        return True

    def action_expand(self) -> None:
        """Show the selected card whole, or short again."""
        entry = self.selected
        if entry is None:
            return
        self.expanded.symmetric_difference_update({entry.event_id})
        self._cache.pop(entry.event_id, None)
        self._rebuild()
        self.select(self.cursor if self.cursor is not None else 0)

    def scroll_to_entry(self, event_id: str) -> bool:
        """Select an entry and bring it into view (loading older entries if needed)."""
        entries = self.consultation.entries
        index = next((i for i, e in enumerate(entries) if e.event_id == event_id), None)
        if index is None:
            return False
        if not self._width:
            self._pending = event_id
            return True
        if index < self.first_shown:
            self.first_shown = max(0, index - 2)
            self._rebuild()
        self.select(index)
        return True
