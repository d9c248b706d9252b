"""The bot's texts (bots/consultation/messages.json): every message in all six UN languages,
with the same placeholders in each, and every call of ``text(...)`` in bots/ names a
message that exists with exactly the values its placeholders need.

Read from the file itself, not through bots.consultation.texts, whose English fallback
would hide a missing language.
"""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MESSAGES_FILE = REPO / "bots" / "consultation" / "messages.json"
UN_LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es"}
DATA = json.loads(MESSAGES_FILE.read_text("utf-8"))
MESSAGES: dict[str, dict[str, str]] = DATA["messages"]


def placeholders(template: str) -> set[str]:
    """The names in {braces}; a stray brace makes ``parse`` raise ValueError."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_there_are_messages() -> None:
    assert len(MESSAGES) >= 10


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_each_message_is_in_the_six_un_languages_with_the_same_placeholders(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == UN_LANGUAGES, f"{key}: languages {sorted(entry)}"
    for lang, template in entry.items():
        assert isinstance(template, str) and template.strip(), f"{key} [{lang}] is empty"
    english = placeholders(entry["en"])
    for lang, template in entry.items():
        assert placeholders(template) == english, f"{key} [{lang}]: {template!r}"
        # A placeholder spelt the same but formatted differently would still fail here.
        template.format(**{name: "x" for name in english})


def test_a_check_for_missing_languages_would_notice() -> None:
    """The positive control of the two checks above, on a broken copy."""
    broken = {"en": "Due {due}", "fr": "Échéance {date}", "es": "Vence {due"}
    assert set(broken) != UN_LANGUAGES
    assert placeholders(broken["fr"]) != placeholders(broken["en"])
    with pytest.raises(ValueError):
        placeholders(broken["es"])


def test_messages_under_review_exist() -> None:
    assert set(DATA.get("_review", [])) <= set(MESSAGES)


def _text_calls() -> list[tuple[str, int, str, set[str]]]:
    """(file, line, key, keyword names) of each ``text("key", lang, ...)`` in bots/."""
    calls = []
    for path in sorted((REPO / "bots").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        imports_text = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "bots.consultation.texts"
            and any(alias.name == "text" for alias in node.names)
            for node in ast.walk(tree)
        )
        if not imports_text:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "text"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keywords = {kw.arg for kw in node.keywords if kw.arg is not None}
                rel = str(path.relative_to(REPO))
                calls.append((rel, node.lineno, node.args[0].value, keywords))
    return calls


def test_every_text_call_names_a_message_and_fills_its_placeholders() -> None:
    calls = _text_calls()
    assert len(calls) >= 10, calls  # the walk found the bot's calls
    for where, line, key, keywords in calls:
        assert key in MESSAGES, f"{where}:{line}: no message {key!r}"
        assert keywords == placeholders(MESSAGES[key]["en"]), f"{where}:{line}: {key}"
