"""The consultation timeline, rendered lazily: only the latest page is mounted.

A consultation can hold tens of thousands of events; mounting a widget for each would
take seconds. The timeline mounts the newest :data:`PAGE` entries and mounts earlier
pages on demand (Home, ctrl+u, or scrolling to the top).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.i18n import t
from tui.model import Consultation, Entry
from tui.widgets.cards import render_entry

PAGE = 20  # fills a tall terminal (cards are 3–10 lines); more on demand


class EntryView(Static, can_focus=True):
    """One entry; focus it (Tab, ↑/↓ in the timeline) to reply to it with r."""

    DEFAULT_CSS = """
    EntryView { padding: 0 1; margin: 0 0 1 0; }
    EntryView:focus { background: $boost; }
    """
    BINDINGS = [Binding("r", "reply", "Reply")]

    @dataclass
    class ReplyRequested(Message):
        entry: Entry

    def __init__(self, entry: Entry, consultation: Consultation, user: str, lang: str) -> None:
        super().__init__(render_entry(entry, consultation, user, lang))
        self.entry = entry

    def action_reply(self) -> None:
        self.post_message(self.ReplyRequested(self.entry))


class Timeline(VerticalScroll):
    DEFAULT_CSS = """
    Timeline { height: 1fr; }
    Timeline > .earlier { color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+u", "earlier", "Earlier", show=False),
        Binding("home", "earlier", "Earlier", show=False),
        Binding("up", "focus_previous_entry", show=False),
        Binding("down", "focus_next_entry", show=False),
    ]

    def __init__(self, consultation: Consultation, user: str, lang: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.consultation = consultation
        self.user = user
        self.lang = lang
        self.first_shown = max(0, len(consultation.entries) - PAGE)
        self._earlier = Static("", classes="earlier")
        self._shown_ids: set[str] = set()

    def _view(self, entry: Entry) -> EntryView:
        self._shown_ids.add(entry.event_id)
        return EntryView(entry, self.consultation, self.user, self.lang)

    def on_mount(self) -> None:
        entries = self.consultation.entries[self.first_shown :]
        self.mount(self._earlier, *[self._view(e) for e in entries])
        self._update_earlier()
        self.scroll_end(animate=False)

    def _update_earlier(self) -> None:
        self._earlier.update(t("entry.earlier", self.lang, count=self.first_shown))
        self._earlier.display = self.first_shown > 0

    @property
    def shown(self) -> int:
        return len(self.consultation.entries) - self.first_shown

    def action_earlier(self) -> None:
        if self.first_shown == 0:
            return
        start = max(0, self.first_shown - PAGE)
        views = [self._view(e) for e in self.consultation.entries[start : self.first_shown]]
        self.first_shown = start
        self.mount(*views, after=self._earlier)
        self._update_earlier()

    def append(self, entry: Entry) -> None:
        """Show an entry that was just added to the consultation."""
        if not self.is_mounted or entry.event_id in self._shown_ids:
            return
        at_end = self.is_vertical_scroll_end
        index = self.consultation.entries.index(entry)
        views = list(self.query(EntryView))
        later = [v for v in views if self.consultation.entries.index(v.entry) > index]
        if later:
            self.mount(self._view(entry), before=later[0])
        else:
            self.mount(self._view(entry))
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def scroll_to_entry(self, event_id: str) -> bool:
        index = next(
            (i for i, e in enumerate(self.consultation.entries) if e.event_id == event_id), None
        )
        if index is None:
            return False
        while index < self.first_shown:
            self.action_earlier()
        for view in self.query(EntryView):
            if view.entry.event_id == event_id:
                view.focus()
                self.call_after_refresh(self.scroll_to_widget, view, animate=False)
                return True
        return False

    def _move(self, step: int) -> None:
        views = list(self.query(EntryView))
        if not views:
            return
        focused = self.screen.focused
        index = views.index(focused) if focused in views else len(views)
        target = max(0, min(len(views) - 1, index + step))
        if step < 0 and index == 0:
            self.action_earlier()
            views = list(self.query(EntryView))
            target = max(0, views.index(focused) - 1) if focused in views else 0
        views[target].focus()
        self.scroll_to_widget(views[target], animate=False)

    def action_focus_previous_entry(self) -> None:
        self._move(-1)

    def action_focus_next_entry(self) -> None:
        self._move(1)
