"""``coopnet schema`` and ``coopnet stages``: the protocol for integrators."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from coopnet.profiles import builtin_profiles
from coopnet.protocol.events import EVENT_TYPES
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES, label, value_label
from coopnet.protocol.schema import all_schemas, event_schema
from coopnet.protocol.vocab import Kind, RuleOrigin
from coopnet.stages.model import MACHINES, Machine, Transition
from coopnet.stages.profile_rules import profile_ruleset
from coopnet.stages.rulebook import DeadlineRule, Rulebook, Ruleset, load_rulebook, origin_of


def register(subparsers: Any) -> None:
    schema = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of every consultation event type",
        description="Print JSON Schemas (draft 2020-12) of the structured consultation events.",
    )
    schema.add_argument(
        "--type",
        dest="event_type",
        choices=sorted(EVENT_TYPES),
        metavar="TYPE",
        help="only this event type (full type name)",
    )
    schema.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of titles and descriptions (default: en)",
    )
    schema.set_defaults(func=cmd_schema)

    stages = subparsers.add_parser(
        "stages",
        help="print the extradition / MLA stage machine and deadline rules",
        description="Print stages, allowed transitions (and who may make them) and the "
        "deadline rules by legal basis.",
    )
    stages.add_argument(
        "--kind",
        choices=[k.value for k in Kind],
        default=None,
        help="only this kind of consultation (default: both)",
    )
    stages.add_argument("--json", action="store_true", help="machine-readable output")
    stages.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the labels (default: en)",
    )
    stages.add_argument(
        "--rules",
        metavar="FILE",
        default=None,
        help="deadline rules file (default: the packaged one)",
    )
    stages.set_defaults(func=cmd_stages)


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_schema(args: argparse.Namespace) -> int:
    if args.event_type:
        _dump(event_schema(EVENT_TYPES[args.event_type], args.lang))
    else:
        _dump(all_schemas(args.lang))
    return 0


def _rule_json(rule: DeadlineRule, lang: str) -> dict[str, Any]:
    return {
        "id": rule.id,
        "label": label(f"rule.{rule.id}", lang),
        "trigger": rule.trigger,
        "start_stage": rule.start_stage,
        "start_from_due_date": rule.start_from_due_date,
        "met_at": sorted(rule.met_at),
        "cancelled_at": sorted(rule.cancelled_at),
        "days": rule.days,
        "extendable_to_days": rule.extendable_to_days,
        "responsible": rule.responsible,
        "source": rule.source,
        "certainty": rule.certainty,
        "purpose": rule.aim,
    }


def _rulesets(book: Rulebook, kind: Kind) -> list[Ruleset]:
    return [rs for rs in book.rulesets if rs.kind in (None, kind)]


def _state_rulesets(kind: Kind) -> list[tuple[str, Ruleset]]:
    """The requested States' own time limits, from the shipped (illustrative) profiles."""
    out = []
    for profile in builtin_profiles():
        ruleset = profile_ruleset(profile.answer, profile.authority_id)
        if ruleset is not None and ruleset.kind in (None, kind):
            out.append((profile.state, ruleset))
    return out


def _transition_json(t: Transition, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": t.source.value,
        "to": t.target.value,
        "sides": sorted(s.value for s in t.sides),
        "note": None if t.note is None else label(t.note, lang),
    }
    if t.needs:
        out["needs"] = sorted(t.needs)
    if t.after_any:
        out["after_any"] = sorted(s.value for s in t.after_any)
    return out


def machine_json(machine: Machine, book: Rulebook, lang: str) -> dict[str, Any]:
    return {
        "kind": machine.kind.value,
        "label": value_label(machine.kind, lang),
        "initial": machine.initial.value,
        "stages": [
            {"id": s.value, "label": value_label(s, lang), "final": s in machine.terminal}
            for s in machine.stages
        ],
        "transitions": [_transition_json(t, lang) for t in machine.transitions],
        "legacy_transitions": [_transition_json(t, lang) for t in machine.legacy],
        "rule_precedence": label("cli.rule_precedence", lang),
        "deadline_rulesets": [
            {
                "id": rs.id,
                "title": rs.title,
                "instruments": list(rs.instruments),
                "basis_types": [b.value for b in rs.basis_types],
                "always": rs.always,
                "origin": origin_of(rs).value,
                "origin_label": value_label(origin_of(rs), lang),
                "rules": [_rule_json(r, lang) for r in rs.rules],
            }
            for rs in _rulesets(book, machine.kind)
        ],
        "requested_state_rulesets": [
            {
                "id": rs.id,
                "state": state,
                "title": rs.title,
                "origin": RuleOrigin.REQUESTED_STATE.value,
                "origin_label": value_label(RuleOrigin.REQUESTED_STATE, lang),
                "rules": [_rule_json(r, lang) for r in rs.rules],
            }
            for state, rs in _state_rulesets(machine.kind)
        ],
    }


def _rule_text(rule: DeadlineRule, lang: str) -> list[str]:
    name = label(f"rule.{rule.id}", lang)
    if rule.trigger == "postponement":
        what = label("cli.due_at_review_date", lang)
    elif rule.trigger == "transition_due_date":
        what = label("cli.due_at_due_date", lang)
    else:
        assert rule.start_stage is not None
        what = f"{rule.days} {label('cli.days', lang)}"
        if rule.extendable_to_days is not None:
            what += f", {label('cli.extendable_to', lang)} {rule.extendable_to_days}"
        what += f"; {label('cli.starts_at', lang)}: {value_label(rule.start_stage, lang)}"
        met = ", ".join(value_label(s, lang) for s in sorted(rule.met_at))
        what += f"; {label('cli.met_at', lang)}: {met}"
    lines = [f"    - {name} [{rule.id}]: {what}"]
    if rule.responsible is not None:
        lines[0] += f" ({label('cli.by', lang)} {value_label(rule.responsible, lang)})"
    lines.append(f"      {label('cli.source', lang)}: {rule.source}")
    lines.append(f"      {label(f'certainty.{rule.certainty}', lang)}")
    return lines


def machine_text(machine: Machine, book: Rulebook, lang: str) -> str:
    out = [f"== {value_label(machine.kind, lang)} ({machine.kind.value}) ==", ""]
    out.append(f"{label('cli.stages', lang)}:")
    for s in machine.stages:
        mark = ""
        if s == machine.initial:
            mark = f" ({label('cli.initial', lang)})"
        elif s in machine.terminal:
            mark = f" ({label('cli.final', lang)})"
        out.append(f"  {s.value:32} {value_label(s, lang)}{mark}")
    out += ["", f"{label('cli.transitions', lang)}:"]
    for t in machine.transitions:
        sides = ", ".join(value_label(s, lang) for s in sorted(t.sides))
        line = f"  {t.source.value} -> {t.target.value}  [{label('cli.by', lang)}: {sides}]"
        if t.note:
            line += f"  ! {label(t.note, lang)}"
        needs = [label(f"reason.{_NEEDS_REASON[n]}", lang) for n in sorted(t.needs)]
        if t.after_any:
            needs.append(label("reason.formal_request_required", lang))
        if needs:
            line += f"  ({'; '.join(needs)})"
        out.append(line)
    out += ["", f"{label('cli.deadline_rules', lang)}:", f"  {label('cli.rule_precedence', lang)}"]
    for rs in _rulesets(book, machine.kind):
        if rs.always:
            applies = label("cli.all_consultations", lang)
        else:
            keys = list(rs.instruments) + [value_label(b, lang) for b in rs.basis_types]
            applies = ", ".join(keys)
        origin = value_label(origin_of(rs), lang)
        out.append(
            f"  {rs.title} [{rs.id}] — {label('cli.applies_to', lang)}: {applies} ({origin})"
        )
        for rule in rs.rules:
            out += _rule_text(rule, lang)
    for state, rs in _state_rulesets(machine.kind):
        origin = value_label(RuleOrigin.REQUESTED_STATE, lang)
        out.append(f"  {state} [{rs.id}] — {origin}")
        for rule in rs.rules:
            out += _rule_text(rule, lang)
    return "\n".join(out)


_NEEDS_REASON = {"due_date": "due_date_required", "grounds": "grounds_required"}


def cmd_stages(args: argparse.Namespace) -> int:
    book = load_rulebook(args.rules)
    kinds = [Kind(args.kind)] if args.kind else list(Kind)
    machines = [MACHINES[k] for k in kinds]
    if args.json:
        _dump({"machines": [machine_json(m, book, args.lang) for m in machines]})
    else:
        print("\n\n".join(machine_text(m, book, args.lang) for m in machines))
    return 0
