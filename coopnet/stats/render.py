"""The figures as a JSON document, Markdown tables and CSV rows (pure).

:func:`as_document` is the one shape of the figures: ``--json`` prints it, Markdown and
CSV are written from it, and the shared version (:mod:`coopnet.stats.share`) is the same
document with small counts merged. With a ``threshold``, every count below it is merged
into an ``other`` entry of its table (stays in a stage are merged before the median and
percentile are taken), so that no small group can be told apart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from coopnet.protocol import label
from coopnet.stats.figures import Figures, median, percentile

FORMAT = "coopnet.stats/1"
OTHER = "other"


def _merge(counts: Mapping[str, int], threshold: int | None) -> dict[str, int]:
    if not threshold:
        return dict(counts)
    kept = {k: n for k, n in counts.items() if n >= threshold}
    merged = sum(n for n in counts.values() if n < threshold)
    if merged:
        kept[OTHER] = kept.get(OTHER, 0) + merged
    return kept


def _merge_nested(
    table: Mapping[str, Mapping[str, int]], threshold: int | None
) -> dict[str, dict[str, int]]:
    """Rows whose total is below the threshold become one ``other`` row; cells below it
    inside the rows that stay are merged into an ``other`` cell of that row."""
    out: dict[str, dict[str, int]] = {}
    for row, cells in table.items():
        name = row if not threshold or sum(cells.values()) >= threshold else OTHER
        target = out.setdefault(name, {})
        for cell, n in cells.items():
            target[cell] = target.get(cell, 0) + n
    return {row: _merge(cells, threshold) for row, cells in out.items()}


def _stages(stage_days: Mapping[str, tuple[int, ...]], threshold: int | None) -> list[dict]:  # type: ignore[type-arg]
    pooled: dict[str, list[int]] = {}
    for stage, days in stage_days.items():
        name = stage if not threshold or len(days) >= threshold else OTHER
        pooled.setdefault(name, []).extend(days)
    return [
        {
            "stage": stage,
            "stays": len(days),
            "median_days": median(days),
            "p90_days": percentile(days, 0.9),
        }
        for stage, days in pooled.items()
    ]


def as_document(figures: Figures, threshold: int | None = None) -> dict[str, Any]:
    """The figures as one JSON-able document (small counts merged with ``threshold``)."""
    pair_rows: dict[str, dict[str, int]] = {}
    for (kind, state), n in figures.by_kind_and_counterpart.items():
        pair_rows.setdefault(kind, {})[state] = n
    period = figures.period
    return {
        "format": FORMAT,
        "authority": figures.authority,
        "period": {
            "from": period.start.isoformat() if period.start else None,
            "to": period.end.isoformat() if period.end else None,
        },
        "as_of": figures.as_of.isoformat(),
        "consultations": {
            "total": figures.consultations,
            "by_kind": _merge(figures.by_kind, threshold),
            "by_counterpart": _merge(figures.by_counterpart, threshold),
            "by_kind_and_counterpart": {
                kind: _merge(row, threshold) for kind, row in pair_rows.items()
            },
            "by_side": _merge(figures.by_side, threshold),
        },
        "stages": _stages(figures.stage_days, threshold),
        "deadlines": {
            "total": figures.deadline_totals(),
            "by_rule": _merge_nested(figures.deadlines, threshold),
        },
        "refusals": {
            "total": figures.refusals,
            "by_ground": _merge(figures.refusals_by_ground, threshold),
            "partial_by_ground": _merge(figures.partial_refusals_by_ground, threshold),
        },
        "assurances": _merge_nested(figures.assurances, threshold),
        "documents": {
            "total": figures.document_totals(),
            "by_kind": _merge_nested(figures.documents, threshold),
        },
    }


# -- CSV -----------------------------------------------------------------------------------


def rows(document: Mapping[str, Any]) -> Iterable[tuple[str, str, str, Any]]:
    """(section, item, measure, value) for every figure of a document."""
    c = document["consultations"]
    yield "consultations", "total", "count", c["total"]
    for name in ("by_kind", "by_counterpart", "by_side"):
        for key, n in c[name].items():
            yield "consultations", f"{name}:{key}", "count", n
    for kind, row in c["by_kind_and_counterpart"].items():
        for state, n in row.items():
            yield "consultations", f"by_kind_and_counterpart:{kind}:{state}", "count", n
    for stage in document["stages"]:
        for measure in ("stays", "median_days", "p90_days"):
            yield "stages", stage["stage"], measure, stage[measure]
    for outcome, n in document["deadlines"]["total"].items():
        yield "deadlines", "total", outcome, n
    for rule, cells in document["deadlines"]["by_rule"].items():
        for outcome, n in cells.items():
            yield "deadlines", rule, outcome, n
    r = document["refusals"]
    yield "refusals", "total", "count", r["total"]
    for name in ("by_ground", "partial_by_ground"):
        for ground, n in r[name].items():
            yield "refusals", f"{name}:{ground}", "count", n
    for kind, cells in document["assurances"].items():
        for outcome, n in cells.items():
            yield "assurances", kind, outcome, n
    for measure, n in document["documents"]["total"].items():
        yield "documents", "total", measure, n
    for kind, cells in document["documents"]["by_kind"].items():
        for measure, n in cells.items():
            yield "documents", kind, measure, n


def to_csv(document: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "item", "measure", "value"))
    for row in rows(document):
        writer.writerow("" if v is None else v for v in row)
    return out.getvalue()


# -- Markdown ------------------------------------------------------------------------------


def _name(prefix: str, value: str, lang: str) -> str:
    return label("stats.other", lang) if value == OTHER else label(f"{prefix}.{value}", lang)


def _table(head: tuple[str, ...], body: Iterable[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in body:
        lines.append("| " + " | ".join("–" if v is None else str(v) for v in row) + " |")
    return lines


def _numbers(v: float | int | None) -> str | None:
    if v is None:
        return None
    return f"{v:g}"


def figures_markdown(document: Mapping[str, Any], lang: str = "en", level: int = 2) -> list[str]:
    """The figures as Markdown sections (headings at ``level``), labels in ``lang``."""
    h = "#" * level

    def heading(key: str) -> list[str]:
        return ["", f"{h} {label(f'stats.{key}', lang)}", ""]

    c = document["consultations"]
    out = heading("consultations")
    out.append(f"{label('stats.total', lang)}: {c['total']}")
    out.append("")
    out += _table(
        (label("stats.kind", lang), label("stats.counterpart", lang), label("stats.count", lang)),
        (
            (_name("kind", kind, lang), label("stats.other", lang) if state == OTHER else state, n)
            for kind, row in c["by_kind_and_counterpart"].items()
            for state, n in row.items()
        ),
    )
    out += heading("stages")
    out += _table(
        (
            label("stats.stage", lang),
            label("stats.stays", lang),
            label("stats.median_days", lang),
            label("stats.p90_days", lang),
        ),
        (
            (
                _name("stage", s["stage"], lang),
                s["stays"],
                _numbers(s["median_days"]),
                _numbers(s["p90_days"]),
            )
            for s in document["stages"]
        ),
    )
    d = document["deadlines"]
    out += heading("deadlines")
    outcomes = tuple(d["total"])
    out += _table(
        (label("stats.rule", lang), *(label(f"stats.{o}", lang) for o in outcomes)),
        [
            (_name("rule", rule, lang), *(cells.get(o, 0) for o in outcomes))
            for rule, cells in d["by_rule"].items()
        ]
        + [(label("stats.total", lang), *d["total"].values())],
    )
    r = document["refusals"]
    out += heading("refusals")
    out.append(f"{label('stats.total', lang)}: {r['total']}")
    out.append("")
    out += _table(
        (label("stats.ground", lang), label("stats.refused", lang), label("stats.partly", lang)),
        (
            (
                _name("refusal_ground", g, lang),
                r["by_ground"].get(g, 0),
                r["partial_by_ground"].get(g, 0),
            )
            for g in dict.fromkeys([*r["by_ground"], *r["partial_by_ground"]])
        ),
    )
    out += heading("assurances")
    names = ("kept", "breached", "not_given", "open")
    out += _table(
        (label("stats.assurance_type", lang), *(label(f"stats.{o}", lang) for o in names)),
        (
            (_name("assurance_type", kind, lang), *(cells.get(o, 0) for o in names))
            for kind, cells in document["assurances"].items()
        ),
    )
    docs = document["documents"]
    out += heading("documents")
    measures = ("sent", "received", "certified")
    out += _table(
        (label("stats.document_kind", lang), *(label(f"stats.{m}", lang) for m in measures)),
        [
            (_name("document_kind", kind, lang), *(cells.get(m, 0) for m in measures))
            for kind, cells in docs["by_kind"].items()
        ]
        + [(label("stats.total", lang), *(docs["total"][m] for m in measures))],
    )
    return out


def to_markdown(document: Mapping[str, Any], lang: str = "en") -> str:
    period = document["period"]
    title = label("stats.title", lang)
    span = f"{period['from'] or '…'} – {period['to'] or '…'}"
    lines = [
        f"# {title}: {document['authority']}",
        "",
        f"{label('stats.period', lang)}: {span}; {label('stats.as_of', lang)}: {document['as_of']}",
    ]
    lines += figures_markdown(document, lang)
    return "\n".join(lines) + "\n"
