"""The consultation list: case, counterpart, kind, stage, next deadline, unread; by urgency."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from tui.i18n import day, t, value_label
from tui.localize import Localized
from tui.model import Consultation, urgency
from tui.service import Service
from tui.widgets.keybar import KeyBar

COLUMNS = ("col.case", "col.counterpart", "col.kind", "col.stage", "col.deadline", "col.unread")
URGENCY_STYLE = {"overdue": "bold red", "near": "bold yellow", "pending": "", "none": "dim"}


class ConsultationsScreen(Localized, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "key.open", show=True, priority=False),
        Binding("ctrl+n", "new", "key.new"),
        Binding("slash", "filter", "key.filter"),
        Binding("escape", "clear_filter", "key.clear_filter", show=False),
    ]

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self._shown: list[Consultation] = []
        self._drawn: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self._drawn_lang: str | None = None

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=t("filter.placeholder", self.lang), id="filter")
        yield DataTable(id="consultations", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = t("list.title", self.lang)
        self.refresh_list()
        self.query_one(DataTable).focus()

    def relabel(self) -> None:
        self.title = t("list.title", self.lang)
        self.query_one("#filter", Input).placeholder = t("filter.placeholder", self.lang)
        self.refresh_list()

    def _matches(self, consultation: Consultation, needle: str, stage: str) -> bool:
        if not needle:
            return True
        hay = " ".join(
            [consultation.case_ref, consultation.counterpart() or "", stage,
             str(consultation.kind or "")]
        ).casefold()
        return all(word in hay for word in needle.casefold().split())

    def _rows(self) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        """Each shown consultation's row: its room id and (text, style) cells."""
        lang = self.lang
        needle = self.query_one("#filter", Input).value.strip()
        today = self.service.today()
        authority_of = self.service.authority_of
        rows: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self._shown = []
        for consultation in self.service.consultations():
            stage = consultation.stage(today, authority_of)
            stage_text = (
                t("state.invited", lang) if consultation.invited
                else value_label(stage, lang) if stage else t("state.opening", lang)
            )
            if not self._matches(consultation, needle, stage_text):
                continue
            deadline = consultation.next_deadline(today, authority_of)
            if deadline is None:
                due = ("—", "dim")
            else:
                left = (deadline.due - today).days
                note = t("deadline.overdue", lang) if left < 0 else t(
                    "deadline.days_left", lang, days=left
                )
                due = (f"{day(deadline.due, lang)} ({note})",
                       URGENCY_STYLE[urgency(deadline, today)])
            kind = value_label(consultation.kind, lang) if consultation.kind else ""
            rows.append((consultation.room_id, (
                (consultation.case_ref, "bold" if consultation.invited else ""),
                (consultation.counterpart() or "", ""),
                (kind, ""),
                (stage_text, ""),
                due,
                (str(consultation.unread) if consultation.unread else "", "bold"),
            )))
            self._shown.append(consultation)
        return rows

    def refresh_list(self) -> None:
        """Show the consultations; only what changed is redrawn (often nothing)."""
        found = self.query(DataTable)
        if not found:
            return  # not composed yet, or closing
        table = found.first()
        lang = self.lang
        selected = self.selected_room()
        rows = self._rows()
        keys = [key for key, _ in rows]
        if self._drawn_lang == lang and keys == [key for key, _ in self._drawn]:
            for (key, cells), (_, before) in zip(rows, self._drawn, strict=True):
                for column, (cell, old) in enumerate(zip(cells, before, strict=True)):
                    if cell != old:
                        table.update_cell(key, COLUMNS[column], Text(*cell), update_width=True)
        else:
            table.clear(columns=self._drawn_lang != lang)
            if self._drawn_lang != lang:
                for key in COLUMNS:
                    table.add_column(t(key, lang), key=key)
            for key, cells in rows:
                table.add_row(*(Text(*cell) for cell in cells), key=key)
            if selected is not None and selected in keys:
                table.move_cursor(row=keys.index(selected), animate=False)
        self._drawn, self._drawn_lang = rows, lang
        self.query_one("#status", Static).update(
            f"{len(self._shown)}/{len(self.service.rooms)} · {self.service.user_id} · "
            + t(f"conn.{self.service.connection.value}", lang)
        )

    def selected_room(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._shown or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self._shown):
            return self._shown[table.cursor_row].room_id
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.refresh_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(DataTable).focus()

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
        self.query_one(DataTable).focus()
