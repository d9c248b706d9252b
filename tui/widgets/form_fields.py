"""The widgets of a structured-event form, built from the protocol's field specifications.

Every value widget has the class :data:`INPUT` and its field path as ``name`` (its id is
:func:`~tui.forms.widget_id` of the path), so :func:`read_values` reads a form, or part
of one, as ``{path: value}``. Every field, group, list and list entry has an error line
(class ``field-error``, ``name`` its path). A list of records or of single values is an
:class:`EntryList`: numbered entries, each removable, and a button to add one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, TextArea

from coopnet.protocol.fields import (
    Boolean,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    PartialDay,
    Text,
)
from coopnet.protocol.vocab import RefusalGround
from coopnet.stages import ground_warnings
from tui.forms import (
    FieldDef,
    Form,
    GroupDef,
    ListDef,
    count_of,
    counts_from,
    drop_entry,
    entry_defs,
    widget_id,
)
from tui.i18n import field_label, label, show, t, value_label
from tui.localize import Localized

INPUT = "form-input"
"""The class of every value widget of a form."""

PLACEHOLDERS = {Day: "YYYY-MM-DD", PartialDay: "YYYY[-MM[-DD]]", Instant: "YYYY-MM-DDThh:mm:ssZ"}


def error_line(path: str) -> Static:
    return Static("", id=widget_id(path) + "-error", name=path, classes="field-error", markup=False)


def make_input(d: FieldDef, value: Any, lang: str) -> Widget:
    """The widget for one field, showing ``value`` (None: empty)."""
    spec, wid, classes = d.spec, widget_id(d.path), INPUT
    if isinstance(spec, Choice):
        options = [(show(value_label(m, lang)), m.value) for m in spec.enum]
        return Select(
            options,
            id=wid,
            name=d.path,
            classes=classes,
            allow_blank=True,
            value=value or Select.NULL,
            prompt="—",
        )
    if isinstance(spec, Boolean):
        yes_no: list[tuple[str, bool]] = [
            (label("ui.yes", lang), True),
            (label("ui.no", lang), False),
        ]
        return Select(
            yes_no,
            id=wid,
            name=d.path,
            classes=classes,
            allow_blank=True,
            value=Select.NULL if value is None else value,
            prompt="—",
        )
    if isinstance(spec, ListOf) and isinstance(spec.item, Choice):
        chosen = set(value or ())
        return SelectionList[str](
            *[(show(value_label(m, lang)), m.value, m.value in chosen) for m in spec.item.enum],
            id=wid,
            name=d.path,
            classes=classes,
        )
    if isinstance(spec, Text) and spec.multiline:
        return TextArea(
            str(value or ""),
            id=wid,
            name=d.path,
            classes=classes,
            soft_wrap=True,
            show_line_numbers=False,
        )
    placeholder = PLACEHOLDERS.get(type(spec), "")
    input_type: Literal["integer", "text"] = "integer" if isinstance(spec, Integer) else "text"
    return Input(
        "" if value is None else str(value),
        id=wid,
        name=d.path,
        classes=classes,
        placeholder=placeholder,
        type=input_type,
    )


def read_input(widget: Widget) -> Any:
    if isinstance(widget, Select):
        return None if widget.value is Select.NULL else widget.value
    if isinstance(widget, SelectionList):
        return list(widget.selected)
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Input):
        return widget.value
    return None  # pragma: no cover - only the widgets above carry INPUT


def write_input(widget: Widget, value: Any) -> None:
    if isinstance(widget, Select | Input):
        widget.value = value
    elif isinstance(widget, TextArea):
        widget.text = "\n".join(value) if isinstance(value, list | tuple) else str(value)
    elif isinstance(widget, SelectionList):
        widget.deselect_all()
        for item in value:
            widget.select(item)


def read_values(root: Widget) -> dict[str, Any]:
    """``{path: value as typed}`` of every input under ``root``, in form order."""
    return {w.name: read_input(w) for w in root.query(f".{INPUT}") if w.name}


def compose_defs(defs: Iterable[Form], values: Mapping[str, Any], lang: str) -> ComposeResult:
    """Labels, inputs and error lines of ``defs``, filled from ``values`` (by path)."""
    counts = counts_from(values)
    for d in defs:
        text = show(field_label(d.name, lang)) + (" *" if d.required else "")
        indent = "  " * d.depth
        if isinstance(d, GroupDef):
            yield Label(indent + text, classes="group")
            yield error_line(d.path)
        elif isinstance(d, ListDef):
            yield Label(indent + text, classes="group list")
            yield error_line(d.path)
            yield EntryList(d, lang, count_of(d, counts), values)
        else:
            yield Label(indent + text, classes="field-label" + (" required" if d.required else ""))
            yield make_input(d, values.get(d.path), lang)
            if _warns(d):
                yield rule_line(d.path, values.get(d.path), lang)
            yield error_line(d.path)


def _warns(d: FieldDef) -> bool:
    """Whether choosing some value of this field shows a legal rule (refusal grounds)."""
    spec = d.spec
    return (
        isinstance(spec, ListOf)
        and isinstance(spec.item, Choice)
        and (spec.item.enum is RefusalGround)
    )


def rule_text(chosen: Any, lang: str) -> str:
    """The rules the chosen refusal grounds call for (e.g. UNTOC art. 16(15), 18(22))."""
    return "\n".join(f"⚠ {show(label(key, lang))}" for key in ground_warnings(chosen or ()))


def rule_line(path: str, chosen: Any, lang: str) -> Static:
    """Under a refusal-ground field: the rule a chosen ground calls for, shown at once."""
    line = Static(
        rule_text(chosen, lang), id=widget_id(path) + "-rule", name=path, classes="field-rule"
    )
    line.set_class(bool(ground_warnings(chosen or ())), "shown")
    return line


class EntryList(Localized, Vertical):
    """The entries of one list field: numbered, each with a Remove button, then Add.

    Adding or removing recomposes only this list, keeping what was typed in it (the
    entries after a removed one move up). Ctrl+O adds an entry, Ctrl+R removes the entry
    holding the focus.
    """

    DEFAULT_CSS = """
    EntryList { height: auto; }
    EntryList > .entry { height: auto; border-left: outer $secondary; padding-left: 1;
        margin-top: 1; }
    EntryList > .entry.single { border-left: none; padding-left: 0; margin-top: 0; }
    EntryList .entry-head { height: auto; }
    EntryList .entry-title { width: 1fr; text-style: bold; color: $secondary; }
    EntryList .entry-number { width: 4; height: 3; content-align: right middle;
        padding-right: 1; }
    EntryList .entry.single Button.remove-entry { margin-top: 1; }
    EntryList .entry.single Input { width: 1fr; }
    EntryList Button.remove-entry { margin-left: 1; }
    EntryList Button.add-entry { margin-top: 1; }
    """
    BINDINGS = [
        Binding("ctrl+o", "add", "key.add_entry"),
        Binding("ctrl+r", "remove", "key.remove_entry"),
    ]

    def __init__(self, d: ListDef, lang: str, count: int, values: Mapping[str, Any]) -> None:
        super().__init__(id=widget_id(d.path), name=d.path)
        self.d = d
        self.lang = lang
        self.entry_count = count
        self.typed = dict(values)  # what the entries show, by path

    def compose(self) -> ComposeResult:
        d, lang = self.d, self.lang
        can_remove = self.entry_count > d.spec.min_items
        for i in range(self.entry_count):
            path = f"{d.path}[{i}]"
            remove = Button(
                t("form.remove", lang),
                classes="remove-entry",
                compact=True,
                disabled=not can_remove,
            )
            box = Vertical(
                classes="entry" if d.records else "entry single",
                id=widget_id(path) + "-entry",
                name=path,
            )
            with box:
                if d.records:
                    with Horizontal(classes="entry-head"):
                        yield Label(
                            t("form.entry", lang, field=field_label(d.name, lang), n=i + 1),
                            classes="entry-title",
                        )
                        yield remove
                    yield error_line(path)
                    yield from compose_defs(entry_defs(d, i, depth=0), self.typed, lang)
                else:
                    (field,) = entry_defs(d, i)
                    assert isinstance(field, FieldDef)
                    with Horizontal(classes="entry-head"):
                        yield Label(f"{i + 1}.", classes="entry-number")
                        yield make_input(field, self.typed.get(path), lang)
                        yield remove
                    yield error_line(path)
        yield Button(
            t("form.add", lang, field=field_label(d.name, lang)),
            classes="add-entry",
            compact=True,
            disabled=self.entry_count >= d.spec.max_items,
        )

    # ------------------------------------------------------------ changes
    def entries(self) -> list[Widget]:
        return list(self.query_children(".entry"))

    async def add_entry(self) -> None:
        """Add an empty entry at the end and put the focus in it."""
        if self.entry_count >= self.d.spec.max_items:
            return
        self.typed = read_values(self)
        self.entry_count += 1
        await self.recompose()
        self._focus_in(self.entries()[-1])

    async def remove_entry(self, index: int) -> None:
        """Remove entry ``index``; the focus goes to the entry now in its place."""
        if self.entry_count <= self.d.spec.min_items or not 0 <= index < self.entry_count:
            return
        self.typed = drop_entry(read_values(self), self.d.path, index)
        self.entry_count -= 1
        await self.recompose()
        entries = self.entries()
        if entries:
            self._focus_in(entries[min(index, len(entries) - 1)])
        else:
            self.query_one(".add-entry", Button).focus()

    def _focus_in(self, container: Widget) -> None:
        for widget in container.query(f".{INPUT}"):
            if widget.focusable:
                widget.focus()
                return

    def _entry_of(self, widget: Widget | None) -> int | None:
        """The index of the entry of this list that holds ``widget``."""
        entries = self.entries()
        while widget is not None and widget is not self:
            if widget in entries:
                return entries.index(widget)
            parent = widget.parent
            widget = parent if isinstance(parent, Widget) else None
        return None

    # ------------------------------------------------------------ input
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("add-entry"):
            event.stop()
            await self.add_entry()
        elif event.button.has_class("remove-entry"):
            event.stop()
            index = self._entry_of(event.button)
            if index is not None:
                await self.remove_entry(index)

    async def action_add(self) -> None:
        await self.add_entry()

    async def action_remove(self) -> None:
        index = self._entry_of(self.screen.focused)
        if index is None:
            raise SkipAction()  # not in an entry of this list: an outer list may take it
        await self.remove_entry(index)
