"""Every interface text exists in the six UN languages and follows a switch at run time."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import string
from typing import Any

from rich.console import Console
from textual.app import App
from textual.binding import Binding
from textual.command import CommandInput, CommandList, CommandPalette
from textual.dom import DOMNode
from textual.widgets import OptionList, Static

import tui
from coopnet.protocol.vocab import PostponementMode, Stage
from tests.tui.conftest import palette_command, until
from tui.app import MAX_DEADLINE_TOASTS, CoopNetApp
from tui.i18n import (
    LANGUAGES,
    has_rtl,
    review_keys,
    show,
    t,
    text,
    translations,
    ui_keys,
    value_label,
    wrapped,
)
from tui.localize import TEXTUAL_TEXTS, Localized, label_key
from tui.model import urgency
from tui.screens.consultation import ConsultationScreen
from tui.screens.help import HelpScreen, help_keys, render_help
from tui.screens.language import LanguageScreen
from tui.seed import seeded_service
from tui.widgets.keybar import KeyBar

# ------------------------------------------------------------ the label file


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_label_has_the_six_languages_and_the_same_placeholders() -> None:
    problems = []
    for key in ui_keys():
        entry = translations(key)
        missing = [lang for lang in LANGUAGES if not (entry.get(lang) or "").strip()]
        if missing:
            problems.append(f"{key}: missing {missing}")
        wanted = _fields(entry["en"])
        for lang in LANGUAGES:
            if lang in entry and _fields(entry[lang]) != wanted:
                problems.append(f"{key} [{lang}]: placeholders {_fields(entry[lang])} ≠ {wanted}")
    assert not problems, "\n".join(problems)


def test_review_list_names_real_keys() -> None:
    assert review_keys(), "the drafter's doubts are listed for a legal translator"
    assert set(review_keys()) <= set(ui_keys())


# ------------------------------------------------------------ bindings and commands


def _tui_classes() -> list[type[Any]]:
    found = []
    for module in pkgutil.walk_packages(tui.__path__, "tui."):
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if cls.__module__ == loaded.__name__ and issubclass(cls, DOMNode):
                found.append(cls)
    return found


def test_every_binding_description_is_a_label_key_of_a_localized_node() -> None:
    classes = [cls for cls in _tui_classes() if "BINDINGS" in cls.__dict__]
    assert len(classes) >= 10, classes  # the screens, the timeline and the app
    problems = []
    for cls in classes:
        for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
            if binding.description and binding.description not in ui_keys():
                problems.append(f"{cls.__name__} {binding.key}: {binding.description!r}")
        if not issubclass(cls, Localized | App):
            problems.append(f"{cls.__name__} declares bindings but is not Localized")
    assert not problems, "\n".join(problems)


def test_every_binding_a_screen_inherits_from_textual_is_translated() -> None:
    for cls in _tui_classes():
        merged = getattr(cls, "_merged_bindings", None)
        if merged is None:
            continue
        for _, binding in merged:
            if binding.description:
                assert label_key(binding.description) in ui_keys(), (cls, binding)
    assert set(TEXTUAL_TEXTS.values()) <= set(ui_keys())


def test_help_is_made_of_label_keys() -> None:
    assert set(help_keys()) <= set(ui_keys())


def test_right_to_left_help_is_wrapped_before_it_is_reordered() -> None:
    logical = text("help.security.about", "ar")
    lines = wrapped(logical, 40).split("\n")
    assert len(lines) > 2 and all(len(line) <= 40 for line in lines)
    # the first line drawn holds the start of the paragraph (its first word, reordered)
    first_word = logical.split()[0]
    assert t("help.security", "ar") != text("help.security", "ar")  # shaped for display
    assert wrapped(first_word, 40) in lines[0]
    assert wrapped("Keys and concepts", 5) == "Keys and concepts"  # LTR left to the terminal
    rendered = render_help("ar", 60)
    assert rendered is not None


def test_right_to_left_text_is_found_at_the_edges_of_its_blocks() -> None:
    # Hebrew to N'Ko and the presentation forms are right to left; their neighbours are not.
    for first, last in ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF)):
        assert has_rtl(f"CH {chr(first)}") and has_rtl(f"{chr(last)} CN")
        assert not has_rtl(chr(first - 1) + chr(last + 1))
    assert not has_rtl("") and not has_rtl("CH-CN-2026-0001 Extradition 6 juil. 2026")


def test_value_labels_of_equal_values_of_two_enums_stay_apart() -> None:
    # Stage.POSTPONED == PostponementMode.POSTPONED as strings; each has its own label.
    assert Stage.POSTPONED == PostponementMode.POSTPONED
    for _ in range(2):  # the second time from the cache
        assert value_label(Stage.POSTPONED, "en") == "Postponed"
        assert value_label(PostponementMode.POSTPONED, "en") == "Surrender postponed"


def test_brackets_face_the_right_way_in_arabic() -> None:
    shown = t("help.consultation.panel", "ar")  # "… (المواعيد، الضمانات، المراحل)"
    assert shown.startswith("(") and ")" in shown, shown


# ------------------------------------------------------------ switching at run time


def _bar(app: CoopNetApp) -> list[str]:
    """The descriptions the key bar of the current screen shows (none while it mounts)."""
    bars = app.screen.query(KeyBar)
    return [description for _, _, description, _ in bars.first().keys()] if bars else []


async def _choose_language(
    pilot: Any, app: CoopNetApp, lang: str, via_palette: bool = False
) -> None:
    if via_palette:  # a modal screen (the help) lets only priority keys through
        await palette_command(pilot, app, "Language")
    else:
        await pilot.press("ctrl+l")
    await until(pilot, lambda: isinstance(app.screen, LanguageScreen), "the language list")
    options = app.screen.query_one(OptionList)
    options.highlighted = LANGUAGES.index(lang)
    await pilot.press("enter")
    await until(pilot, lambda: app.lang == lang, f"the switch to {lang}")
    await pilot.pause()


async def _palette_commands(pilot: Any, app: CoopNetApp) -> tuple[str, list[str]]:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    commands = app.screen.query_one(CommandList)
    await until(pilot, lambda: commands.option_count >= 8, "the palette's commands")
    titles = [
        str(getattr(commands.get_option_at_index(i).prompt, "plain", "")).split("\n")[0]
        for i in range(commands.option_count)
    ]
    placeholder = app.screen.query_one(CommandInput).placeholder
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette closed")
    return str(placeholder), titles


def _help_text(app: CoopNetApp) -> str:
    """The help as drawn, in plain text."""
    if not isinstance(app.screen, HelpScreen):
        return ""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(app.screen.query_one("#help", Static).content)
    return console.export_text()


async def test_switching_to_french_relabels_key_bar_help_and_palette() -> None:
    app = CoopNetApp(seeded_service(rooms=3, events_per_room=5))
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: "Directory" in _bar(app), "the English key bar")
        assert {"New consultation", "Filter", "Help", "Language", "Quit"} <= set(_bar(app))
        placeholder, titles = await _palette_commands(pilot, app)
        assert placeholder == "Search for commands…"
        assert {"Directory", "Language", "New consultation", "Keys", "Theme"} <= set(titles)

        await pilot.press("f1")
        await until(
            pilot,
            lambda: isinstance(app.screen, HelpScreen) and "Consultation list" in _help_text(app),
            "the English help",
        )
        # switched while the help is open: the help below the language list follows
        await _choose_language(pilot, app, "fr", via_palette=True)
        await until(pilot, lambda: "Liste des consultations" in _help_text(app), "French help")
        assert "Consultation list" not in _help_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help closed")

        assert {"Nouvelle consultation", "Filtrer", "Aide", "Annuaire", "Langue", "Quitter"} <= set(
            _bar(app)
        )
        assert "Directory" not in _bar(app)
        assert app.list_screen.title == "Consultations"
        placeholder, titles = await _palette_commands(pilot, app)
        assert placeholder == "Rechercher une commande…"
        assert {"Annuaire", "Langue", "Nouvelle consultation", "Touches", "Thème"} <= set(titles)
        assert "Directory" not in titles and "Keys" not in titles


async def test_switching_to_arabic_in_a_consultation_shapes_every_label() -> None:
    app = CoopNetApp(seeded_service(rooms=3, events_per_room=5))
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: app.list_screen.selected_room() is not None, "the list")
        app.open_consultation(app.service.consultations()[-1].room_id)
        await until(
            pilot,
            lambda: isinstance(app.screen, ConsultationScreen) and "Back" in _bar(app),
            "the consultation",
        )
        assert "Reply" not in _bar(app)  # the composer has the focus, not the timeline
        await _choose_language(pilot, app, "ar")
        bar = _bar(app)
        assert t("key.back", "ar") in bar and t("key.devices", "ar") in bar
        assert all(has_rtl(description) for description in bar), bar
        assert text("key.back", "ar") not in bar  # drawn reshaped, not in logical order
        await pilot.press("tab")
        await until(pilot, lambda: t("key.reply", "ar") in _bar(app), "the timeline's keys")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.list_screen, "the list")
        assert t("key.new", "ar") in _bar(app)
        assert app.list_screen.title == t("list.title", "ar")

        await pilot.press("f1")
        await until(
            pilot,
            lambda: isinstance(app.screen, HelpScreen) and t("help.list", "ar") in _help_text(app),
            "the Arabic help",
        )
        await pilot.press("escape")
        placeholder, titles = await _palette_commands(pilot, app)
        assert placeholder == t("palette.placeholder", "ar")
        assert t("key.directory", "ar") in titles and t("cmd.keys", "ar") in titles


async def test_textual_system_commands_are_all_known() -> None:
    """A Textual upgrade that adds a command fails here instead of showing English."""
    app = CoopNetApp(seeded_service(rooms=1, events_per_room=3))
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: app.screen is app.list_screen, "the list")
        for command in App.get_system_commands(app, app.screen):
            assert command.title in TEXTUAL_TEXTS, command.title
            assert command.help in TEXTUAL_TEXTS, command.help


async def test_key_bar_right_aligns_the_palette_key_in_wide_characters() -> None:
    app = CoopNetApp(seeded_service(rooms=2, events_per_room=3), lang="zh")
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: t("key.new", "zh") in _bar(app), "the Chinese key bar")
        bar = app.screen.query_one(KeyBar)
        await until(
            pilot,
            lambda: bar.render().plain.rstrip().endswith(t("key.palette", "zh")),
            "the palette key at the right end",
        )
        assert bar.render().cell_len <= bar.size.width


async def test_a_failure_says_what_failed_in_the_officers_language() -> None:
    """The technical detail comes from the library; what failed is in French."""
    from coopnet.errors import MatrixError

    service = seeded_service(rooms=2, events_per_room=6, invite=False)

    async def refused(*_args: Any, **_kw: Any) -> str:
        raise MatrixError("the homeserver refused it")

    service.send_text = refused  # type: ignore[method-assign]
    app = CoopNetApp(service, lang="fr")
    toasts: list[str] = []
    app.notify = lambda message, **_: toasts.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.open_consultation("!room1:127.0.0.11")
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the consultation")
        await pilot.press(*"bonjour", "enter")
        await until(pilot, lambda: any("refused" in m for m in toasts), "the failure")
        assert "Non envoyé : the homeserver refused it" in toasts
        composer = app.screen.query_one("#composer")
        assert getattr(composer, "value", None) == "bonjour"  # nothing typed is lost


def test_the_side_panel_in_arabic_is_shaped_for_display() -> None:
    """Every Arabic letter drawn is a presentation form (shaped): a logical-order letter
    left in a line means a text was composed without passing through ``show``."""
    import re

    from rich.console import Group

    from tui.widgets.side_panel import render_panel

    service = seeded_service(rooms=2, events_per_room=12, invite=False)
    consultation = service.consultation("!room1:127.0.0.11")
    panel = render_panel(consultation, service.today(), "ar")
    assert isinstance(panel, Group)
    lines = [str(getattr(part, "plain", "")) for part in panel.renderables]
    arabic = [line for line in lines if has_rtl(line)]
    assert len(arabic) >= 4, lines  # headings, stages, a deadline
    unshaped = [line for line in arabic if re.search("[\u0621-\u064a]", line)]
    assert unshaped == [], unshaped


def test_labels_in_composed_arabic_lines_are_shaped_once() -> None:
    """A label already shaped by ``t`` and shaped again with its line comes out in
    reverse; the directory card composes labels with data, so it must shape once."""
    from tui.screens.directory import render_authority

    service = seeded_service(rooms=1, invite=False)
    authority = service.directory.members()[0]
    card = render_authority(authority, None, "ar")
    lines = [str(getattr(part, "plain", "")) for part in card.renderables]
    for key in ("directory.state", "directory.bot"):
        once = show(text(key, "ar"))
        assert any(once in line for line in lines), (key, once, lines)


async def test_many_urgent_deadlines_make_one_summary_toast() -> None:
    service = seeded_service(rooms=40, events_per_room=12, invite=False)
    today = service.today()
    urgent = [
        c
        for c in service.consultations()
        if urgency(c.next_deadline(today), today) in ("near", "overdue")
    ]
    assert len(urgent) > MAX_DEADLINE_TOASTS  # the seeded data has enough of them
    app = CoopNetApp(service)
    toasts: list[str] = []
    app.notify = lambda message, **_: toasts.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: any("consultations have a deadline" in m for m in toasts),
            "the summary of urgent deadlines",
        )
    assert f"{len(urgent)} consultations have a deadline" in " ".join(toasts)
    assert not [m for m in toasts if ": deadline " in m], toasts  # no toast for each
