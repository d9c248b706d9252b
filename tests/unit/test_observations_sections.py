"""The sections file of the observations written from the officer's sections and read
back (what the client keeps so the officer can go on later), and the draft's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopnet.errors import ReviewError
from coopnet.protocol.labels import LANGUAGES
from coopnet.stats.observations import (
    WRITTEN,
    parse_sections,
    read_sections,
    sections_path,
    sections_text,
    signed_path,
    template,
)

SECTIONS = {
    "summary": "Two requests, one surrendered.\n\nThe other is pending.",
    "gaps_and_challenges": "Translations arrive late.",
    "good_practices": "",
    "technical_assistance": "Training of judges; 审查",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_sections_file_reads_back_as_written_in_every_language(lang: str) -> None:
    text = sections_text(SECTIONS, lang)
    assert read_sections(text) == SECTIONS
    # An empty section keeps the template's hint, as the first file had it.
    assert sections_text(dict.fromkeys(WRITTEN, ""), lang) == template(lang)


def test_a_draft_over_the_limit_is_kept_but_not_drafted() -> None:
    long = {**SECTIONS, "summary": " ".join(["word"] * 1501)}
    text = sections_text(long)
    assert parse_sections(text)["summary"] == long["summary"]
    with pytest.raises(ReviewError, match="1,501 words, over the limit of 1,500 by 1"):
        read_sections(text)


def test_the_files_of_a_draft() -> None:
    out = Path("obs/observations-ch-2026-05-28.md")
    assert signed_path(out) == Path("obs/observations-ch-2026-05-28.json")
    assert sections_path(out) == Path("obs/observations-ch-2026-05-28.sections.md")
    with pytest.raises(ReviewError, match="cannot end in .json"):
        signed_path(Path("observations.json"))
