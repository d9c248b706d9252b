"""The consultation list: case, counterpart, kind, stage, next deadline, unread; by urgency.

Below it, apart, the network rooms of the central authorities this officer is in (the
lobby, topic rooms), each named in the officer's language, and the practice library's
rooms (Enter opens the library, never a consultation).

On a narrow terminal the less important columns give way (see :data:`LAYOUTS`) so that
case reference, stage and deadline stay whole, e.g. at 80 columns.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Input, Static

from tui.i18n import date_text, day, show, t, text, value_label
from tui.localize import Localized
from tui.model import Consultation, urgency
from tui.screens import take_breakpoints
from tui.service import Service
from tui.widgets.keybar import KeyBar

COLUMNS = ("col.case", "col.counterpart", "col.kind", "col.stage", "col.deadline", "col.unread")
SHORT_DEADLINE = "col.deadline.short"  # the due date alone (and "overdue" when it is)
SHORT_COUNTERPART = "col.counterpart.short"  # the State alone
LAYOUTS = (
    COLUMNS,
    ("col.case", SHORT_COUNTERPART, "col.kind", "col.stage", "col.deadline", "col.unread"),
    ("col.case", SHORT_COUNTERPART, "col.stage", "col.deadline", "col.unread"),
    ("col.case", "col.stage", "col.deadline", "col.unread"),  # the case names both sides
    ("col.case", "col.stage", SHORT_DEADLINE, "col.unread"),
)
"""Columns shown, from the widest layout to the narrowest: the first one that fits. The
case reference is in every one, whole: the less important columns go first."""
SHORT_HEADERS = {SHORT_DEADLINE: "col.deadline", SHORT_COUNTERPART: "col.counterpart"}
CELL_PADDING = 1  # DataTable's, each side of a cell
Cell = tuple[str, str]  # text, style
URGENCY_STYLE = {"overdue": "bold red", "near": "bold yellow", "pending": "", "none": "dim"}


class ConsultationsScreen(Localized, Screen[None]):
    AUTO_FOCUS = "#consultations"  # focused once, not the filter first and then the list
    BINDINGS = [
        Binding("enter", "open", "key.open", show=True, priority=False),
        Binding("ctrl+n", "new", "key.new"),
        Binding("slash", "filter", "key.filter"),
        Binding("escape", "clear_filter", "key.clear_filter", show=False),
        Binding("down", "to_list", show=False),  # from the filter (the list moves its cursor)
    ]

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self._shown: list[Consultation] = []
        self._drawn: list[tuple[str, tuple[Cell, ...]]] = []
        self._drawn_layout: tuple[str, tuple[str, ...]] | None = None  # language, columns
        self._drawn_width = 0  # the terminal's width when the layout was chosen
        self._stale = False  # changed while another screen covered the list
        # What each section apart from the consultations last drew (see _refresh_section).
        self._sections_drawn: dict[str, tuple[str, list[tuple[str, str, bool, int]]]] = {}

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=t("filter.placeholder", self.lang), id="filter")
        yield DataTable(id="consultations", cursor_type="row", zebra_stripes=True)
        # Network rooms of regular contact, apart from the consultations (shown when any).
        yield Static("", id="network-title")
        yield DataTable(id="network-rooms", cursor_type="row", zebra_stripes=True)
        # The practice library's rooms: no consultation either, listed apart.
        yield Static("", id="library-title")
        yield DataTable(id="library-rooms", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        take_breakpoints(self)  # so the Resize after the first paint restyles nothing
        self.title = t("list.title", self.lang)
        self.refresh_list()

    def on_resize(self, event: events.Resize) -> None:
        if self._drawn_layout is not None and event.size.width != self._drawn_width:
            self.refresh_list()  # maybe another layout fits now

    def relabel(self) -> None:
        self.title = t("list.title", self.lang)
        self.query_one("#filter", Input).placeholder = t("filter.placeholder", self.lang)
        self.refresh_list()

    def _matches(self, consultation: Consultation, needle: str, stage: str) -> bool:
        if not needle:
            return True
        counterpart = consultation.counterpart() or ""
        hay = " ".join(
            [
                consultation.case_ref,
                counterpart,
                self.service.names.authority(counterpart) if counterpart else "",
                stage,
                str(consultation.kind or ""),
            ]
        ).casefold()
        return all(word in hay for word in needle.casefold().split())

    def _rows(self) -> list[tuple[str, dict[str, Cell]]]:
        """Each shown consultation's row: its room id and its cells by column."""
        lang = self.lang
        needle = self.query_one("#filter", Input).value.strip()
        today = self.service.today()
        rows: list[tuple[str, dict[str, Cell]]] = []
        self._shown = []
        for consultation in self.service.consultations():
            stage = consultation.stage(today)
            # Matched in logical order (as typed), drawn shaped (Arabic: see tui.i18n.show).
            stage_text = (
                text("state.invited", lang)
                if consultation.invited
                else text("state.internal", lang)
                if consultation.coordinates is not None
                else value_label(stage, lang)
                if stage
                else text("state.opening", lang)
            )
            if not self._matches(consultation, needle, stage_text):
                continue
            stage_text = show(stage_text)
            deadline = consultation.next_deadline(today)
            if deadline is None:
                due = short = ("—", "dim")
            else:
                left = (deadline.due - today).days
                note = (
                    text("deadline.overdue", lang)
                    if left < 0
                    else text("deadline.days_left", lang, days=left)
                )
                style = URGENCY_STYLE[urgency(deadline, today)]
                # Composed in logical order and shaped once (a right-to-left reader sees
                # the date first, on the right).
                due = (show(f"{date_text(deadline.due, lang)} ({note})"), style)
                short = due if left < 0 else (day(deadline.due, lang), style)
            kind = show(value_label(consultation.kind, lang)) if consultation.kind else ""
            counterpart = consultation.counterpart()
            names = self.service.names
            rows.append(
                (
                    consultation.room_id,
                    {
                        "col.case": (
                            # An internal room is listed under its consultation, indented.
                            ("  ↳ " if consultation.coordinates else "") + consultation.case_ref,
                            "bold" if consultation.invited else "",
                        ),
                        "col.counterpart": (
                            show(names.authority(counterpart)) if counterpart else "",
                            "",
                        ),
                        SHORT_COUNTERPART: (
                            show(names.authority(counterpart, short=True)) if counterpart else "",
                            "",
                        ),
                        "col.kind": (kind, ""),
                        "col.stage": (stage_text, ""),
                        "col.deadline": due,
                        SHORT_DEADLINE: short,
                        "col.unread": (
                            str(consultation.unread) if consultation.unread else "",
                            "bold",
                        ),
                    },
                )
            )
            self._shown.append(consultation)
        return rows

    def _layout(self, rows: list[tuple[str, dict[str, Cell]]]) -> tuple[str, ...]:
        """The widest layout whose columns fit the terminal's width."""
        lang = self.lang
        self._drawn_width = self.app.size.width
        width = self._drawn_width - 2  # room for the table's vertical scrollbar
        widths = {
            column: max(
                [cell_len(header(column, lang))] + [cell_len(cells[column][0]) for _, cells in rows]
            )
            + 2 * CELL_PADDING
            for column in {c for layout in LAYOUTS for c in layout}
        }
        for columns in LAYOUTS:
            if sum(widths[c] for c in columns) <= width:
                return columns
        return LAYOUTS[-1]

    def refresh_when_shown(self) -> None:
        """Refresh now if the list is on screen, else when the officer comes back to it:
        deriving 500 consultations' stages and deadlines (tens of milliseconds) would
        otherwise slow down the consultation the officer is reading, at every event."""
        stack = self.app.screen_stack
        on_screen = stack[-1:] == [self] or (
            stack[-2:-1] == [self] and isinstance(stack[-1], ModalScreen)  # behind a dialog
        )
        if on_screen:
            self.refresh_list()
        else:
            self._stale = True

    def refresh_list(self) -> None:
        """Show the consultations; only what changed is redrawn (often nothing)."""
        self._stale = False
        found = self.query("#consultations")
        if not found:
            return  # not composed yet, or closing
        table = found.first(DataTable)
        lang = self.lang
        selected = self.selected_room()
        by_column = self._rows()
        columns = self._layout(by_column)
        rows = [(key, tuple(cells[c] for c in columns)) for key, cells in by_column]
        keys = [key for key, _ in rows]
        layout = (lang, columns)
        if self._drawn_layout == layout and keys == [key for key, _ in self._drawn]:
            for (key, cells), (_, before) in zip(rows, self._drawn, strict=True):
                for column, (cell, old) in enumerate(zip(cells, before, strict=True)):
                    if cell != old:
                        table.update_cell(key, columns[column], Text(*cell), update_width=True)
        else:
            table.clear(columns=self._drawn_layout != layout)
            if self._drawn_layout != layout:
                for key in columns:
                    table.add_column(header(key, lang), key=key)
            for key, cells in rows:
                table.add_row(*(Text(*cell) for cell in cells), key=key)
            if selected is not None and selected in keys:
                table.move_cursor(row=keys.index(selected), animate=False)
        self._drawn, self._drawn_layout = rows, layout
        apart = self._refresh_network_rooms() + self._refresh_library_rooms()
        account = show(self.service.names.own(lang))
        self.query_one("#status", Static).update(
            f"{len(self._shown)}/{len(self.service.rooms) - apart} · {account} · "
            + t(f"conn.{self.service.connection.value}", lang)
        )

    def _refresh_network_rooms(self) -> int:
        """The network rooms' section: each room's name in the officer's language (from
        its topic, a fixed vocabulary) and its unread count; hidden when there are none.
        How many there are."""
        lang = self.lang
        return self._refresh_section(
            "network",
            self.service.network_rooms(),
            lambda room: value_label(room.network_topic, lang) if room.network_topic else "",
        )

    def _refresh_library_rooms(self) -> int:
        """The practice library's section: its rooms, never listed as consultations;
        Enter opens the library (or accepts the invitation). How many there are."""
        lang = self.lang
        return self._refresh_section(
            "library", self.service.library_rooms(), lambda _room: t("list.library_room", lang)
        )

    def _refresh_section(
        self, section: str, rooms: list[Consultation], name_of: Callable[[Consultation], str]
    ) -> int:
        """A section of rooms apart from the consultations (``network``, ``library``):
        title ``list.SECTION_rooms``, one row per room with its name (marked while only
        invited) and unread count; hidden when there are none."""
        lang = self.lang
        table = self.query_one(f"#{section}-rooms", DataTable)
        title = self.query_one(f"#{section}-title", Static)
        title.display = table.display = bool(rooms)
        names = [name_of(room) for room in rooms]
        drawn: tuple[str, list[tuple[str, str, bool, int]]] = (
            lang,
            [(r.room_id, name, r.invited, r.unread) for r, name in zip(rooms, names, strict=True)],
        )
        if drawn == self._sections_drawn.get(section):
            return len(rooms)
        self._sections_drawn[section] = drawn
        title.update(t(f"list.{section}_rooms", lang))
        selected = table.cursor_row
        table.clear(columns=True)
        table.add_column(t(f"col.{section}_room", lang), key=f"col.{section}_room")
        table.add_column(t("col.unread", lang), key="col.unread")
        for room, name in zip(rooms, names, strict=True):
            shown = f"{name} · {text('state.invited', lang)}" if room.invited else name
            unread = str(room.unread) if room.unread else ""
            table.add_row(
                Text(show(shown), "bold" if room.invited else ""),
                Text(unread, "bold"),
                key=room.room_id,
            )
        if rooms and selected is not None:
            table.move_cursor(row=min(selected, len(rooms) - 1), animate=False)
        return len(rooms)

    def selected_room(self) -> str | None:
        table = self.query_one("#consultations", DataTable)
        if not self._shown or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self._shown):
            return self._shown[table.cursor_row].room_id
        return None

    def on_screen_resume(self) -> None:
        if self._stale:
            self.refresh_list()
        # Back from a dialog (the cache's passphrase at start): the list has the focus
        # unless the officer was typing a filter, so Enter opens the highlighted row.
        focused = self.focused
        if focused is None or (isinstance(focused, Input) and not focused.value):
            self.query_one("#consultations", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.refresh_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the filter opens (or accepts) the highlighted match, the first one unless
        # the officer had moved the cursor: type a case reference, press Enter. Back from
        # the consultation, the list has the focus. An empty filter only leaves the field.
        if event.input.id == "filter":
            self.query_one("#consultations", DataTable).focus()
            if event.value.strip():
                self.action_open()

    def action_to_list(self) -> None:
        self.query_one("#consultations", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.open_consultation(event.row_key.value)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        room = self.selected_room()
        if room is not None:
            self.app.open_consultation(room)  # type: ignore[attr-defined]

    def action_new(self) -> None:
        self.app.new_consultation()  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#consultations", DataTable).focus()


def header(column: str, lang: str) -> str:
    return t(SHORT_HEADERS.get(column, column), lang)
