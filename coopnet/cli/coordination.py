"""``coopnet coordination open|task|tasks|share``: an authority's internal coordination
room for one consultation, from the command line.

The internal room lives on the authority's own homeserver only (created with
``m.federate: false``) and holds its officers, its bot and the accounts of its domestic
agencies (``internal`` accounts of ``network.json``, never in the signed directory). The
bot mirrors the consultation's stage, deadlines and open checklist items there and
reminds tasks. Nothing from the counterpart is copied: ``share`` sends one item the
officer chose, refused when its handling code forbids domestic agencies to see it.

Each command acts as an account (:mod:`coopnet.cli.officer`). Exit codes: 0 done,
1 failed (a homeserver), 2 bad input (a task for someone not in the room, a due date in
the past, an item that may not be shared, no such case or room).
"""

from __future__ import annotations

import argparse
from typing import Any

from coopnet.cli.officer import add_officer_command_arguments, print_result, run_as_officer


def register(subparsers: Any) -> None:
    coordination = subparsers.add_parser(
        "coordination",
        help="an internal room per consultation for the authority's domestic agencies",
        description="Coordinate the domestic agencies (prosecutor, police, foreign affairs, "
        "court liaison) of one authority on a consultation, in a room that never leaves its "
        "homeserver: the bot mirrors stage, deadlines and open checklist items, tracks tasks "
        "and reminds them; officers share items explicitly.",
    )
    commands = coordination.add_subparsers(title="coordination commands", metavar="COMMAND")
    commands.required = True

    opening = commands.add_parser(
        "open", help="open the internal room of a consultation (not federated)"
    )
    opening.add_argument("case_ref", metavar="CASE-REF", help="the consultation's case reference")
    opening.add_argument(
        "--agency",
        action="append",
        required=True,
        metavar="USER",
        help="an internal account of this authority to invite (repeat for each agency)",
    )
    add_officer_command_arguments(opening)
    opening.set_defaults(func=_open)

    task = commands.add_parser(
        "task",
        help="create or update a task (what, assignee, due date, done)",
        description="A new task needs --title, --assignee and --due; an update names only "
        "what changes. The assignee must be in the internal room; a new due date must not "
        "be in the past.",
    )
    task.add_argument("case_ref", metavar="CASE-REF")
    task.add_argument("task_id", metavar="TASK-ID", help="a short id, e.g. locate-1")
    task.add_argument("--title", help="what is to be done")
    task.add_argument("--assignee", metavar="USER", help="who does it (a member of the room)")
    task.add_argument("--due", metavar="YYYY-MM-DD", help="the due date")
    task.add_argument("--done", action="store_true", help="mark the task done")
    add_officer_command_arguments(task)
    task.set_defaults(func=_task)

    listing = commands.add_parser("tasks", help="the tasks of the internal room")
    listing.add_argument("case_ref", metavar="CASE-REF")
    add_officer_command_arguments(listing)
    listing.set_defaults(func=_tasks)

    share = commands.add_parser(
        "share",
        help="share one item of the consultation with the internal room",
        description="Refused when the item's handling code forbids sharing it with "
        "domestic agencies (e.g. no onward transmission without consent).",
    )
    share.add_argument("case_ref", metavar="CASE-REF")
    share.add_argument("event_id", metavar="EVENT", help="the item's event id")
    add_officer_command_arguments(share)
    share.set_defaults(func=_share)


def _open(args: argparse.Namespace) -> int:
    from coopnet.cli.coordination_io import open_room

    done = run_as_officer(args, lambda a: open_room(a, args.case_ref, args.agency, args.lang))
    invited = ", ".join(done["invited"])
    return print_result(args, done, f"opened {done['room_id']} (not federated); invited {invited}")


def _task(args: argparse.Namespace) -> int:
    from coopnet.cli.coordination_io import set_task

    fields: dict[str, Any] = {"task_id": args.task_id}
    for key, value in (("title", args.title), ("assignee", args.assignee), ("due_date", args.due)):
        if value is not None:
            fields[key] = value
    if args.done:
        fields["done"] = True
    done = run_as_officer(args, lambda a: set_task(a, args.case_ref, fields, lang=args.lang))
    task = done["task"]
    return print_result(
        args,
        done,
        f"task {task['task_id']} for {task['assignee']}, due {task['due_date']}"
        + (" (done)" if task.get("done") else "")
        + f": {done['event_id']}",
    )


def _tasks(args: argparse.Namespace) -> int:
    from coopnet.cli.coordination_io import tasks

    rows = run_as_officer(args, lambda a: tasks(a, args.case_ref))
    lines = [f"{len(rows)} task(s) in the internal room of {args.case_ref}"]
    for row in rows:
        state = "done" if row.get("done") else "open"
        lines.append(
            f"{row['task_id']}  {row['due_date']}  {state}  {row['assignee']}  {row['title']}"
        )
    return print_result(args, rows, "\n".join(lines))


def _share(args: argparse.Namespace) -> int:
    from coopnet.cli.coordination_io import share

    done = run_as_officer(args, lambda a: share(a, args.case_ref, args.event_id, args.lang))
    codes = ", ".join(done["handling"]) or "-"
    return print_result(args, done, f"shared as {done['event_id']} (handling: {codes})")
