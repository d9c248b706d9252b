"""The client's pure parts: timeline entries, consultation state, forms, display text."""

from __future__ import annotations

import datetime as dt

from coopnet.protocol import (
    ConsultationOpened,
    PersonIdentity,
    Receipt,
    StageTransition,
    encode,
)
from coopnet.protocol.vocab import Stage
from tui.forms import (
    FORM_CLASSES,
    FieldDef,
    GroupDef,
    ListDef,
    assemble,
    convert,
    expand,
    place,
    validate,
    walk,
)
from tui.i18n import has_rtl, show, t
from tui.model import Consultation, EntryKind, entry_from, urgency
from tui.seed import (
    BASE_DAY,
    CN,
    ME,
    consultation_entries,
    demo_directory,
    seeded_service,
    structured,
)


def test_entries_are_classified_without_raising_on_bad_content():
    text = entry_from("$1", ME, 1, "m.room.message", {"msgtype": "m.text", "body": "hi"})
    assert text.kind is EntryKind.TEXT and text.body == "hi"
    bad = entry_from(
        "$2",
        ME,
        1,
        "m.room.message",
        {
            "body": "x",
            "org.coopnet.consultation": {
                "type": "org.coopnet.consultation.identity",
                "version": 1,
                "content": {"names": []},
            },
        },
    )
    assert bad.kind is EntryKind.INVALID
    assert bad.error is not None and bad.error.problems[0].path.endswith("names")
    assert entry_from("$3", ME, 1, "m.room.message", {}, decrypted=False).kind is (
        EntryKind.UNDECRYPTABLE
    )
    assert entry_from("$4", ME, 1, "m.room.message", {"body": 5}).body == ""
    reply = entry_from(
        "$5",
        ME,
        1,
        "m.room.message",
        {"body": "ok", "m.relates_to": {"m.in_reply_to": {"event_id": "$1"}}},
    )
    assert reply.reply_to == "$1"


def test_consultation_derives_stage_deadlines_assurances_and_receipts():
    service = seeded_service(rooms=2, events_per_room=12, invite=False)
    room = service.consultation("!room1:127.0.0.11")
    assert room.counterpart() == "cn"
    assert room.stage(BASE_DAY) is Stage.PROVISIONAL_ARREST_EXECUTED
    deadline = room.next_deadline(BASE_DAY)
    assert deadline is not None and urgency(deadline, BASE_DAY) == "pending"
    assert urgency(deadline, deadline.due + dt.timedelta(days=1)) == "overdue"
    assert list(room.assurances()) == ["A1"]
    receipt = next(e.event for e in room.entries if isinstance(e.event, Receipt))
    assert room.receipt_check(receipt).value == "matches"
    forged = Receipt(
        event_id=receipt.event_id,
        content_hash="0" * 64,
        receiver=ME,
        received_at=receipt.received_at,
    )
    assert room.receipt_check(forged).value == "mismatch"
    # Unread: entries added by others count, own ones do not; duplicates are ignored.
    room.mark_read()
    entry = entry_from("$new", CN, 2_000_000_000_000, "m.room.message", {"body": "hello"})
    assert room.add(entry) and not room.add(entry)
    assert room.unread == 1
    assert [e.event_id for e in room.find("HELLO")] == ["$new"]


def test_list_puts_invitations_then_nearest_deadlines_first():
    service = seeded_service(rooms=4)
    order = [c.case_ref for c in service.consultations()]
    assert order[0] == "CN-CH-2026-0100"  # the invitation
    assert order[1:3] == ["CH-CN-2026-0003", "CH-CN-2026-0001"]  # deadlines, nearest first


def test_forms_walk_nested_records_and_assemble_content():
    defs = list(walk(PersonIdentity))
    paths = {d.path for d in expand(PersonIdentity)}
    assert {"names", "names[0].family", "warrant.issuing_authority"} <= paths
    assert any(isinstance(d, GroupDef) and d.path == "warrant" for d in defs)
    assert any(isinstance(d, ListDef) and d.path == "names" for d in defs)
    assert all(isinstance(d, FieldDef | GroupDef | ListDef) for d in defs)
    content = assemble(
        {
            "names[0].family": "DOE",
            "names[0].given": "",
            "aliases": ["JD"],
            "warrant.reference": None,
        }
    )
    assert content == {"names": [{"family": "DOE"}], "aliases": ["JD"]}
    assert isinstance(validate(PersonIdentity, content), PersonIdentity)


def test_form_errors_carry_field_paths_placed_on_the_nearest_input():
    content = assemble(
        {
            "case_ref": "bad ref!",
            "kind": "extradition",
            "requesting_authority": "ch",
            "requested_authority": "cn",
        }
    )
    errors = validate(ConsultationOpened, content)
    assert isinstance(errors, dict)
    assert set(errors) == {"case_ref", "legal_basis"}
    known = {d.path for d in walk(ConsultationOpened)}
    assert place("legal_basis.basis", known) == "legal_basis.basis"
    assert place("names[0]", {"names"}) == "names"
    assert place("nowhere.x", known) == ""
    assert convert(FieldDef("n", "n", _integer(), False, 0).spec, "12") == 12
    assert Receipt not in FORM_CLASSES and StageTransition in FORM_CLASSES


def _integer():
    from coopnet.protocol.fields import Integer

    return Integer(0, 10)


def test_arabic_is_reordered_for_display_only():
    label = t("list.title", "ar")
    assert has_rtl(label)
    assert show("CH-CN-1") == "CH-CN-1"
    assert show("المشاورات") != "المشاورات"  # reshaped and reordered for the terminal
    # What is encoded for sending keeps logical order.
    opened = consultation_entries(1, "cn", CN, 6)[0].event
    assert opened is not None and "المشاورات" not in encode(opened, "ar")["body"]
    assert demo_directory().authority_of("@x:127.0.0.13") == "mx"


def test_an_undecryptable_entry_is_replaced_when_its_key_arrives():
    consultation = Consultation("!r", "CASE", demo_directory())
    assert consultation.add(entry_from("$a", ME, 1, "m.room.message", {"body": "first"}))
    assert consultation.add(entry_from("$b", ME, 2, "m.room.message", {}, decrypted=False))
    readable = entry_from("$b", ME, 2, "m.room.message", {"body": "late key"})
    assert not consultation.add(readable)  # same event: not a second entry
    assert consultation.decrypted(readable)
    assert [e.body for e in consultation.entries] == ["first", "late key"]
    assert not consultation.decrypted(readable)  # already readable: nothing to replace
    assert not consultation.decrypted(entry_from("$c", ME, 3, "m.room.message", {"body": "?"}))


def test_next_deadline_follows_a_new_stage_and_is_not_changed_by_callers():
    service = seeded_service(rooms=2, events_per_room=12, invite=False)
    room = service.consultation("!room1:127.0.0.11")
    first = room.next_deadline(BASE_DAY)
    assert first is not None and first.rule.id == "formal_request_after_provisional_arrest"
    room.open_deadlines(BASE_DAY).clear()  # a copy: the cache stays
    assert room.next_deadline(BASE_DAY) == first
    # The formal request is sent and received: that deadline is met, no longer the next.
    sent = StageTransition(
        from_stage=Stage.PROVISIONAL_ARREST_EXECUTED,
        to_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
        date=BASE_DAY,
    )
    assert room.add(structured("$formal", CN, 2_000_000_000_000, sent))
    assert room.stage(BASE_DAY) is Stage.FORMAL_REQUEST_TRANSMITTED
    # Sent is not received (ECE art. 16(4)): the deadline is still open.
    assert room.next_deadline(BASE_DAY).rule.id == first.rule.id
    received = StageTransition(
        from_stage=Stage.FORMAL_REQUEST_TRANSMITTED,
        to_stage=Stage.FORMAL_REQUEST_RECEIVED,
        date=BASE_DAY,
    )
    assert room.add(structured("$received", ME, 2_000_000_001_000, received))
    assert room.stage(BASE_DAY) is Stage.FORMAL_REQUEST_RECEIVED
    after = room.open_deadlines(BASE_DAY)
    assert all(d.rule.id != first.rule.id for d in after)
    assert room.next_deadline(BASE_DAY) == (after[0] if after else None)


def test_every_consultation_is_tracked_with_the_rules_parsed_once(monkeypatch):
    import coopnet.stages.tracker as tracker

    def reparse(*_args: object) -> None:
        raise AssertionError("the deadline rules were read again")

    monkeypatch.setattr(tracker, "load_rulebook", reparse)
    service = seeded_service(rooms=3, events_per_room=12, invite=False)
    assert [c.stage(BASE_DAY) for c in service.consultations()]


def test_a_breach_the_bots_refuse_is_not_shown_as_having_happened():
    """Regression: the client showed a refused "breached" assurance step as if it had
    happened (the assurance state machine lived only in the bot)."""
    from rich.console import Console

    from coopnet.protocol import Assurance
    from coopnet.protocol.vocab import AssuranceStatus
    from tui.widgets.cards import render_entry

    service = seeded_service(rooms=2, events_per_room=12, invite=False)
    room = service.consultation("!room1:127.0.0.11")
    offered = room.assurances()["A1"]
    assert offered.assurance_status is AssuranceStatus.OFFERED
    breach = Assurance(
        assurance_id="A1",
        assurance_type=offered.assurance_type,
        giver=offered.giver,
        receiver=offered.receiver,
        text=offered.text,
        assurance_status=AssuranceStatus.BREACHED,
    )
    assert room.draft_refusal(breach, ME) is not None  # explained before sending
    entry = structured("$breach", ME, room.last_ts() + 1, breach)
    room.add(entry)
    assert room.assurances()["A1"].assurance_status is AssuranceStatus.OFFERED
    console = Console(width=100, record=True)
    console.print(render_entry(entry, room, service.names, "en"))
    assert "Not applied" in console.export_text()
