"""Folding one structured event into a consultation's state, in the bot and in the
client, both through the shared core (``coopnet.consultation``).

Builds a consultation of ``--events`` structured events (opening, stage changes,
identity exchanges, assurance steps, receipts, plain messages, each step linked to the
one before it as senders link them), then times, ``--repeat`` times each:

* bot: one new record entry folded into the view the bot keeps in memory
  (``bots.consultation.view.fold_entry``);
* client: one new timeline entry added to the client's consultation
  (``tui.model.Consultation.add``), then its status on today (what the list and the side
  panel read after every event);
* late step: a step that lands before the end of the order (a concurrent step delivered
  late), which makes the core fold every step again;
* baseline, in the same run: rebuilding the bot's view from all its entries (what the bot
  did per event before views were kept in memory).

    .venv/bin/python bench/fold.py [--events 1000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This folder holds a script named tui.py: the project's packages come first.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bots.consultation.bot import classify  # noqa: E402
from bots.consultation.view import build_view, fold_entry, recorded_content  # noqa: E402
from coopnet.consultation import Message, Party, Person, Roster  # noqa: E402
from coopnet.protocol import PAYLOAD_KEY  # noqa: E402
from coopnet.records import Entry, NewEntry  # noqa: E402
from tui.directory import Directory  # noqa: E402
from tui.model import Consultation, entry_from  # noqa: E402

CH, MX = "@officer:ch.example", "@officer:mx.example"
CH_BOT, MX_BOT = "@bot:ch.example", "@bot:mx.example"
ROSTER = Roster(
    (
        Party("ch", "Switzerland", "FOJ", "ch.example", ("fr",), (Person(CH),), CH_BOT),
        Party("mx", "Mexico", "FGR", "mx.example", ("es",), (Person(MX),), MX_BOT),
    )
)
T0 = 1_795_000_000_000
TODAY = dt.date(2026, 11, 25)


def step(type_: str, content: dict[str, Any], after: str | None) -> dict[str, Any]:
    payload = {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}
    payload["after"] = after
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


OPENED = {
    "case_ref": "BENCH-1",
    "kind": "extradition",
    "requesting_authority": "ch",
    "requested_authority": "mx",
    "legal_basis": {"basis": "untoc"},
}
IDENTITY = {"names": [{"family": "Doe", "given": "John"}], "date_of_birth": "1980-02-29"}
# A cycle of stages the machine allows, so stage history keeps growing.
CYCLE = [
    ("pre_request_consultation", "provisional_arrest_requested", CH),
    ("provisional_arrest_requested", "locating_person", MX),
    ("locating_person", "provisional_arrest_requested", CH),
]


def consultation(count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(event id, sender, content): a busy consultation of ``count`` steps, with a
    receipt and a plain message for every other step."""
    out = [("$opened", CH, step("opened", OPENED, None))]
    head, i, steps = "$opened", 0, 1
    while steps < count:
        kind = i % 4
        event_id = f"$e{i:05d}"
        if kind == 0 and i // 4 < 30:  # some stage changes
            source, target, who = CYCLE[(i // 4) % 3] if i else CYCLE[0]
            if i and (i // 4) % 3 == 0:
                source = "provisional_arrest_requested"
                target, who = "locating_person", MX
            content = step(
                "stage", {"from_stage": source, "to_stage": target, "date": "2026-11-20"}, head
            )
        elif kind == 1:
            who, content = MX, step("identity", IDENTITY, head)
        elif kind == 2:
            who = MX_BOT
            content = step(
                "receipt",
                {
                    "event_id": head,
                    "content_hash": "0" * 64,
                    "receiver": MX_BOT,
                    "received_at": "2026-11-20T10:00:00+00:00",
                },
                False,
            )
        else:
            who, content = CH, {"msgtype": "m.text", "body": f"note {i}"}
        out.append((event_id, who, content))
        if PAYLOAD_KEY in content and kind != 2:
            head = event_id
            steps += 1
        i += 1
    return out


def record_entry(seq: int, event_id: str, sender: str, content: dict[str, Any]) -> Entry:
    new = NewEntry(
        "BENCH-1",
        "!r:ch.example",
        classify(content),
        sender,
        recorded_content("m.room.message", content),
        event_id,
        T0 + seq,
    )
    return Entry(
        seq,
        new.case_ref,
        new.room_id,
        event_id,
        new.kind,
        sender,
        T0 + seq,
        0,
        new.content_json(),
        "",
        "",
        "",
        "",
    )


def median_ms(fn: Callable[[int], object], repeat: int) -> float:
    times = []
    for n in range(repeat):
        t0 = time.perf_counter()
        fn(n)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    messages = consultation(args.events)
    entries = [record_entry(seq, *m) for seq, m in enumerate(messages, 1)]
    steps = sum(1 for e in entries if e.kind == "event")
    print(f"consultation of {steps} steps ({len(entries)} messages), {args.repeat} runs each")

    bot = build_view(MX_BOT, entries, ROSTER)
    client = Consultation("!r:ch.example", "BENCH-1", Directory(ROSTER), "ch")
    for ts, (event_id, sender, content) in enumerate(messages):
        client.add(entry_from(event_id, sender, T0 + ts, "m.room.message", content))
    assert client.core.summary() == bot.consultation.summary()
    head = bot.consultation.head()

    def new_step(n: int) -> tuple[str, str, dict[str, Any]]:
        nonlocal head
        event_id = f"$new{n:06d}"
        content = step("identity", IDENTITY, head)
        head = event_id
        return event_id, MX, content

    bot_news = [new_step(n) for n in range(2 * args.repeat)]
    seq = len(entries)
    bot_entries = [record_entry(seq + n + 1, *new) for n, new in enumerate(bot_news)]
    # Live, the bot folds the event it parsed on receipt (``ViewCache.append``); after a
    # restart it parses the recorded entries (``build_view``).
    received = [Message.of(e, who, T0 + seq + n, c) for n, (e, who, c) in enumerate(bot_news)]
    bot_ms = median_ms(lambda n: fold_entry(bot, bot_entries[n], received[n]), args.repeat)
    parse_ms = median_ms(lambda n: fold_entry(bot, bot_entries[args.repeat + n]), args.repeat)
    client_news = [
        entry_from(e, who, T0 + seq + n, "m.room.message", c)
        for n, (e, who, c) in enumerate(bot_news)
    ]
    client_ms = median_ms(lambda n: client.add(client_news[n]), 2 * args.repeat)
    status_ms = median_ms(
        lambda n: (
            client.add(
                entry_from(
                    f"$more{n}",
                    MX,
                    T0,
                    "m.room.message",
                    step("identity", IDENTITY, f"$more{n - 1}" if n else client.core.head()),
                )
            ),
            client.status(TODAY),
        ),
        args.repeat,
    )
    late = [step("identity", IDENTITY, "$opened") for _ in range(5)]
    late_ms = median_ms(
        lambda n: bot.consultation.add(Message.of(f"$late{n}", MX, T0, late[n])), len(late)
    )
    rebuild_ms = median_ms(lambda n: build_view(MX_BOT, entries, ROSTER), 5)
    print(f"bot    fold one step into the view in memory     {bot_ms:8.4f} ms")
    print(f"bot    the same, parsing the recorded entry too    {parse_ms:8.4f} ms")
    print(f"client add one step to the consultation           {client_ms:8.4f} ms")
    print(f"client add one step, then status on today         {status_ms:8.4f} ms")
    print(f"a late concurrent step (fold every step again)    {late_ms:8.4f} ms")
    print(f"baseline: rebuild the bot's view from the record  {rebuild_ms:8.4f} ms")
    print(
        f"rebuild / bot fold: {rebuild_ms / bot_ms:,.0f}x   "
        f"rebuild / client add: {rebuild_ms / client_ms:,.0f}x"
    )


if __name__ == "__main__":
    main()
