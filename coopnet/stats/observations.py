"""The authority's observations for the review mechanism (pure: text and figures in, a
draft out).

The draft follows the structure of the review of implementation of UNTOC: a summary
(held to :data:`SUMMARY_LIMIT` words), the figures from the authority's record, then the
sections the officer writes: gaps and challenges, good practices, technical assistance
needs. Each heading is given in the six UN languages. The officer writes the sections
in a Markdown file (:func:`template` writes it first), one ``## … {#key}`` heading per
section; :func:`read_sections` reads it back and refuses, naming the section, what
cannot be sent.

Words are counted as a reader would count them: runs of letters or digits between
spaces and punctuation, and each Chinese, Japanese or Korean ideograph as one word
(those scripts do not separate words with spaces).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.errors import ReviewError
from coopnet.protocol import label
from coopnet.protocol.labels import LANGUAGES
from coopnet.receipts import Keys
from coopnet.stats import signed
from coopnet.stats.render import figures_markdown

FORMAT = "coopnet.review.observations/1"
SUMMARY_LIMIT = 1500
SUMMARY = "summary"
FIGURES = "figures"
WRITTEN = ("summary", "gaps_and_challenges", "good_practices", "technical_assistance")
"""The sections the officer writes, in the order of the draft (the figures follow the
summary)."""
ORDER = (SUMMARY, FIGURES, *WRITTEN[1:])
# Headings in the order the UN lists its languages in English alphabetical order of
# their names: Arabic, Chinese, English, French, Russian, Spanish.
HEADING_LANGUAGES = LANGUAGES

_IDEOGRAPH = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_IDEOGRAPH}]|[^\s{_IDEOGRAPH}]+")
_HEADING = re.compile(r"^##\s+(?P<title>.*?)\s*\{#(?P<key>[a-z_]+)\}\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def count_words(text: str) -> int:
    """Words in ``text`` (see the module's documentation)."""
    return sum(1 for token in _TOKEN.findall(text) if any(ch.isalnum() for ch in token))


def headings(key: str) -> dict[str, str]:
    """The heading of a section in each of the six languages."""
    return {lang: label(f"review.{key}", lang) for lang in HEADING_LANGUAGES}


def heading_line(key: str) -> str:
    return " · ".join(headings(key).values())


def template(lang: str = "en") -> str:
    """The file the officer fills in: one heading per section, a hint under each."""
    lines = [
        f"<!-- {label('review.template_hint', lang)} -->",
        "",
    ]
    for key in WRITTEN:
        lines += [
            f"## {label(f'review.{key}', lang)} {{#{key}}}",
            "",
            f"<!-- {label(f'review.{key}_hint', lang)} -->",
            "",
        ]
    return "\n".join(lines)


def sections_text(sections: Mapping[str, str], lang: str = "en") -> str:
    """The sections file holding ``sections`` (the template filled in): what
    :func:`read_sections` reads back, so the officer can go on with it later."""
    lines = [f"<!-- {label('review.template_hint', lang)} -->", ""]
    for key in WRITTEN:
        lines += [f"## {label(f'review.{key}', lang)} {{#{key}}}", ""]
        text = sections.get(key, "").strip()
        lines += [text, ""] if text else [f"<!-- {label(f'review.{key}_hint', lang)} -->", ""]
    return "\n".join(lines)


def read_sections(text: str, where: str = "sections") -> dict[str, str]:
    """The officer's sections from a filled-in template; :class:`ReviewError` names the
    section that is missing, unknown, repeated, empty (the summary) or too long."""
    out = parse_sections(text, where)
    check_summary(out[SUMMARY], where)
    return out


def parse_sections(text: str, where: str = "sections") -> dict[str, str]:
    """The sections of a sections file, the summary not yet held to its limit (a draft
    the officer goes on with); :class:`ReviewError` names a section that is missing,
    unknown or repeated."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    # Comments go, their line breaks stay (line numbers are the file's).
    bare = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    for number, line in enumerate(bare.splitlines(), 1):
        found = _HEADING.match(line)
        if found is not None:
            current = found["key"]
            if current not in WRITTEN:
                raise ReviewError(
                    f"{where}: line {number}: unknown section {{#{current}}} "
                    f"(the sections are {', '.join(WRITTEN)})"
                )
            if current in sections:
                raise ReviewError(f"{where}: line {number}: section {{#{current}}} again")
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip():
            raise ReviewError(
                f"{where}: line {number}: text before the first section heading "
                "(write under a '## … {#key}' heading)"
            )
    missing = [key for key in WRITTEN if key not in sections]
    if missing:
        raise ReviewError(
            f"{where}: section(s) {', '.join(missing)} missing: keep every heading of the "
            "template (an empty section is written as such)"
        )
    return {key: "\n".join(sections[key]).strip() for key in WRITTEN}


def check_summary(summary: str, where: str = "sections") -> int:
    """The summary's word count; :class:`ReviewError` when empty or over the limit."""
    words = count_words(summary)
    if words == 0:
        raise ReviewError(f"{where}: section {{#{SUMMARY}}}: empty (write the summary)")
    if words > SUMMARY_LIMIT:
        raise ReviewError(
            f"{where}: section {{#{SUMMARY}}}: {words:,} words, over the limit of "
            f"{SUMMARY_LIMIT:,} by {words - SUMMARY_LIMIT:,}: shorten it"
        )
    return words


@dataclass(frozen=True)
class Signer:
    """Who signs the observations: the authority's bot, with its private key."""

    authority: str
    state: str
    bot: str
    key: Ed25519PrivateKey


AnyPath = TypeVar("AnyPath", bound=PurePath)


def signed_path(out: AnyPath) -> AnyPath:
    """Where the signed JSON of the draft ``out`` (Markdown) goes."""
    if out.suffix == ".json":
        raise ReviewError(f"{out}: the Markdown draft cannot end in .json (the signed JSON does)")
    return out.with_suffix(".json")


def sections_path(out: AnyPath) -> AnyPath:
    """Where the officer's sections of the draft ``out`` are kept, by default."""
    return out.with_suffix(".sections.md")


def document_json(document: Mapping[str, Any]) -> str:
    """The signed document as written to its file."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class Draft:
    document: dict[str, Any]  # signed JSON
    markdown: str


def draft(
    sections: Mapping[str, str],
    figures: Mapping[str, Any],
    authority: str,
    state: str,
    bot: str,
    key: Ed25519PrivateKey,
    lang: str = "en",
) -> Draft:
    """The observations as a signed JSON document and as Markdown; ``figures`` is
    :func:`coopnet.stats.render.as_document` of the authority's record."""
    words = check_summary(sections.get(SUMMARY, ""))
    body = {
        "format": FORMAT,
        "authority": authority,
        "state": state,
        "bot": bot,
        "period": figures["period"],
        "as_of": figures["as_of"],
        "summary_words": words,
        "summary_limit": SUMMARY_LIMIT,
        "sections": [
            {
                "key": key_,
                "headings": headings(key_),
                **({"figures": dict(figures)} if key_ == FIGURES else {"text": sections[key_]}),
            }
            for key_ in ORDER
        ],
    }
    document = signed.sign(body, key)
    return Draft(document, render(document, lang))


def render(document: Mapping[str, Any], lang: str = "en") -> str:
    """The Markdown of a drafted document: headings in six languages, figures labelled
    in ``lang``."""
    period = document["period"]
    lines = [
        f"# {heading_line('title')}",
        "",
        f"{document['state']} ({document['authority']}) · "
        f"{period['from'] or '…'} – {period['to'] or '…'}",
    ]
    for section in document["sections"]:
        lines += ["", f"## {' · '.join(section['headings'].values())}", ""]
        if "figures" in section:
            lines += figures_markdown(section["figures"], lang, level=3)[1:]
        else:
            lines.append(section["text"] or f"_{label('review.none', lang)}_")
    summary = document["summary_words"]
    lines += [
        "",
        "---",
        "",
        f"{label('review.words', lang)}: {summary:,} / {document['summary_limit']:,}",
    ]
    signature = document.get("signature")
    if isinstance(signature, Mapping):
        lines.append(
            f"{label('review.signed_by', lang)}: {document['bot']} ({signature['key_id']})"
        )
    return "\n".join(lines) + "\n"


def verify_observations(document: Any, trusted: Keys) -> signed.SignedCheck:
    """Signed by a trusted bot key, and a summary within the limit."""
    check = signed.verify(document, trusted, FORMAT)
    if not check.ok:
        return check
    sections = document.get("sections")
    summary = next(
        (s for s in sections or () if isinstance(s, Mapping) and s.get("key") == SUMMARY), None
    )
    if summary is None or not isinstance(summary.get("text"), str):
        return signed.SignedCheck(False, "sections: no summary", check.key_id)
    words = count_words(summary["text"])
    if words > SUMMARY_LIMIT:
        return signed.SignedCheck(
            False, f"summary: {words:,} words, over the limit of {SUMMARY_LIMIT:,}", check.key_id
        )
    return check
