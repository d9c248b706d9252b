"""``coopnet review observations``: draft the authority's observations for the review
mechanism; ``coopnet review verify``: check a drafted document's signature.

The figures come from the bot's record (as ``coopnet stats``: only once it verifies); the
officer writes the other sections in a Markdown file (``--sections``, by default beside
``--out``), which is written as a template the first time. The draft is written as
Markdown (``--out``) and as a JSON document signed by the bot's key (``--out`` with
``.json``). Exit codes: 0 drafted (verify: valid), 1 refused (the record does not
verify, a section is missing or empty, the summary is over 1,500 words; the template was
just written), 2 unreadable input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coopnet.cli.receipts import InputError, add_trust_arguments
from coopnet.cli.stats import (
    EXIT_OK,
    EXIT_REFUSED,
    add_record_arguments,
    bot_signer,
    emit,
    fail,
    load_figures,
    verify_signed_file,
)
from coopnet.errors import CoopNetError, Ed25519KeyError, ReviewError, StatsError
from coopnet.keys import write_private


def register(subparsers: argparse._SubParsersAction) -> None:
    review = subparsers.add_parser(
        "review",
        help="the authority's observations for the review mechanism (UNTOC)",
        description="Observations in the structure of the review of implementation: a "
        "summary of at most 1,500 words, figures from the consultation record, gaps and "
        "challenges, good practices, technical assistance needs; headings in the six UN "
        "languages.",
    )
    commands = review.add_subparsers(title="review commands", metavar="COMMAND", required=True)
    observations = commands.add_parser(
        "observations",
        help="draft the observations: figures from the record, sections the officer writes",
        description="The first run writes the sections file for the officer to fill in "
        "(exit 1); once it is filled in, the draft is written as Markdown (--out) and as a "
        "signed JSON document (--out with the suffix .json).",
    )
    add_record_arguments(observations)
    observations.add_argument("--out", required=True, type=Path, help="the draft (Markdown)")
    observations.add_argument(
        "--sections",
        type=Path,
        help="the officer's sections (Markdown; default: OUT with .sections.md)",
    )
    observations.add_argument("--lang", default="en", help="language of the template and labels")
    observations.set_defaults(func=_observations, parser=observations)
    verify = commands.add_parser(
        "verify",
        help="verify a drafted document (JSON) against keys you trust",
        description="Exit 0 valid and signed by a trusted key, 1 invalid, 2 unreadable.",
    )
    verify.add_argument("file", type=Path, help="the signed observations (JSON)")
    add_trust_arguments(verify, "--public-key", required=True)
    verify.set_defaults(func=_verify, parser=verify)


def _observations(args: argparse.Namespace) -> int:
    from coopnet.protocol.labels import UnknownLanguageError, check_language
    from coopnet.stats import as_document
    from coopnet.stats.observations import (
        document_json,
        draft,
        read_sections,
        sections_path,
        signed_path,
        template,
    )

    try:
        check_language(args.lang)
    except UnknownLanguageError as exc:
        return fail("review", f"--lang: {exc}")
    try:
        signed_file = signed_path(args.out)
    except ReviewError as exc:
        return fail("review", f"--out: {exc}")
    sections_file = args.sections or sections_path(args.out)
    if not sections_file.exists():
        write_private(sections_file, template(args.lang).encode("utf-8"))
        return fail(
            "review",
            f"wrote the sections to fill in to {sections_file}: write them, then run this again",
            EXIT_REFUSED,
        )
    try:
        text = sections_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail("review", f"{sections_file}: cannot read: {exc}")
    try:
        sections = read_sections(text, str(sections_file))
        resolved, figures = load_figures(args)
        bot, key = bot_signer(resolved, figures.authority)
        party = resolved.roster.party(figures.authority)
        result = draft(
            sections,
            as_document(figures),
            figures.authority,
            party.state if party else figures.authority,
            bot,
            key,
            args.lang,
        )
    except (ReviewError, StatsError) as exc:
        return fail("review", str(exc), EXIT_REFUSED)
    except (InputError, CoopNetError, Ed25519KeyError) as exc:
        return fail("review", str(exc))
    emit(result.markdown, args.out, "the observations")
    emit(document_json(result.document), signed_file, "the signed observations")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from coopnet.stats.observations import verify_observations

    def what(document: dict[str, object]) -> str:
        return f"observations of {document.get('authority')}"

    return verify_signed_file(args, "review verify", verify_observations, what)
