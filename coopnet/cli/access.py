"""``coopnet access grant|list|end``: an expert's temporary access to one consultation.

An officer gives an expert of the officer's own authority (an interpreter, a domestic
agency: an internal account made with ``coopnet net add-agency``, on the same homeserver)
access to one consultation until a date. The grant is an encrypted step of the
consultation room naming the expert's devices as this authority enrolled them (and the
master key that signed them), so the counterpart's bot records and certifies it and the
counterpart's devices trust exactly those keys while the grant is in force. At expiry the
granting authority's bot removes the expert, a new room key starts and the bot posts
``access.ended``; ``end`` does it at once (revoked).

Each command acts as an account (:mod:`coopnet.cli.officer`). Exit codes: 0 done,
1 failed (a homeserver), 2 bad input (an expiry in the past, an expert of another server
or not enrolled here, no such case or grant).
"""

from __future__ import annotations

import argparse
from typing import Any

from coopnet.cli.officer import add_officer_command_arguments, print_result, run_as_officer
from coopnet.protocol.vocab import ExpertRole


def register(subparsers: Any) -> None:
    access = subparsers.add_parser(
        "access",
        help="give an expert temporary access to one consultation, list it, end it",
        description="Give an expert of your own authority (an interpreter, a domestic "
        "agency: an account of your homeserver) access to one consultation until a date. "
        "The counterpart's bot is told (an encrypted step it certifies); its devices trust "
        "only the expert's enrolled keys, and only until the access ends. At expiry your "
        "bot removes the expert and the room key is renewed.",
    )
    commands = access.add_subparsers(title="access commands", metavar="COMMAND")
    commands.required = True

    grant = commands.add_parser(
        "grant",
        help="give EXPERT-USER access to CASE-REF until a date",
        description="EXPERT-USER must be an account of your own homeserver that your "
        "authority enrolled (coopnet net add-agency); --until must not be in the past. "
        "The expert is invited to the consultation room once the grant is sent.",
    )
    grant.add_argument("case_ref", metavar="CASE-REF", help="the consultation's case reference")
    grant.add_argument("expert", metavar="EXPERT-USER", help="the expert's Matrix user id")
    grant.add_argument(
        "--until", required=True, metavar="YYYY-MM-DD", help="the last day of access"
    )
    grant.add_argument(
        "--role",
        choices=[r.value for r in ExpertRole],
        default=ExpertRole.EXPERT.value,
        help="what the expert is there for (default: expert)",
    )
    grant.add_argument("--purpose", help="why the expert needs access (encrypted)")
    add_officer_command_arguments(grant)
    grant.set_defaults(func=_grant)

    listing = commands.add_parser("list", help="the experts given access to CASE-REF")
    listing.add_argument("case_ref", metavar="CASE-REF")
    add_officer_command_arguments(listing)
    listing.set_defaults(func=_list)

    end = commands.add_parser(
        "end",
        help="end EXPERT-USER's access to CASE-REF now (revoked)",
        description="Posts access.ended, removes the expert from the room and renews the "
        "room key. Only the granting authority ends an access.",
    )
    end.add_argument("case_ref", metavar="CASE-REF")
    end.add_argument("expert", metavar="EXPERT-USER")
    add_officer_command_arguments(end)
    end.set_defaults(func=_end)


def _grant(args: argparse.Namespace) -> int:
    from coopnet.cli.access_io import grant

    done = run_as_officer(
        args,
        lambda a: grant(
            a, args.case_ref, args.expert, args.until, args.role, args.purpose, args.lang
        ),
    )
    return print_result(
        args,
        done,
        f"{done['expert']} has access to {args.case_ref} until {done['until']} "
        f"({len(done['devices'])} device(s)"
        + (", master key" if done.get("master_key") else "")
        + f"): {done['event_id']}",
    )


def _list(args: argparse.Namespace) -> int:
    from coopnet.cli.access_io import grants

    rows = run_as_officer(args, lambda a: grants(a, args.case_ref))
    lines = [f"{len(rows)} grant(s) of access to {args.case_ref}"]
    for row in rows:
        lines.append(
            f"{row['expert']}  until {row['until']}  {row['state']}  {row['role']}  "
            f"granted by {row['granted_by']}"
        )
    return print_result(args, rows, "\n".join(lines))


def _end(args: argparse.Namespace) -> int:
    from coopnet.cli.access_io import end

    done = run_as_officer(args, lambda a: end(a, args.case_ref, args.expert, args.lang))
    return print_result(args, done, f"access of {args.expert} ended: {done['event_id']}")
