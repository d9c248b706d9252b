"""Draft review on the real network: Mexico shares a draft with Switzerland, whose bot
checks it against the Swiss (illustrative) profile and posts the checklist in both
officers' languages; item answers, a corrected version, and "ready to transmit"."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from coopnet.consultation.draft_check import missing
from coopnet.matrix import ReceivedEvent
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY, DraftChecklist, encode, parse_content
from coopnet.protocol.labels import label
from tests.bots.helpers import payload_type, receipt_for, send_event, shared_room, wait_notice
from tests.drafts import EXPECTED_MISSING, draft_content
from tests.harness import Inbox, opened, wait_async, wait_for

pytestmark = pytest.mark.integration

CHECKLIST = "org.coopnet.consultation.draft.checklist"


def draft_event(**changes: Any) -> dict[str, Any]:
    return {
        "type": "org.coopnet.consultation.draft",
        "version": 1,
        "content": draft_content(**changes),
    }


def checklist_of(inbox: Inbox, draft_id: str) -> ReceivedEvent | None:
    return inbox.find(
        lambda e: (
            payload_type(e) == CHECKLIST
            and e.content[PAYLOAD_KEY]["content"].get("draft") == draft_id
        )
    )


async def wait_checklist(inbox: Inbox, draft_id: str) -> tuple[DraftChecklist, str]:
    await wait_for(
        lambda: checklist_of(inbox, draft_id) is not None, f"the checklist of {draft_id}"
    )
    event = checklist_of(inbox, draft_id)
    assert event is not None
    parsed = parse_content(event.content)
    assert isinstance(parsed, DraftChecklist), parsed
    return parsed, event.content["body"]


async def test_draft_review_from_checklist_to_ready(network: Network, open_client, start_bot):
    ch_bot = await start_bot("ch")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    case_ref = f"MX-CH-DRAFT-{uuid.uuid4().hex[:6]}"
    room = await shared_room(mx, ch, [ch_bot.user_id], case_ref)
    opening = await mx.send(room, encode(opened(case_ref, "mx", "ch")))
    await wait_for(lambda: receipt_for(mx_inbox, opening) is not None, "ch's receipt of opening")

    # A draft whose fields do not validate: the exact field errors, in Spanish.
    broken = draft_content()
    broken["penalty_months"] = -1
    del broken["person_sought"]
    bad = await mx.send(
        room,
        {
            "msgtype": "m.text",
            "body": "draft",
            PAYLOAD_KEY: {
                "type": "org.coopnet.consultation.draft",
                "version": 1,
                "content": broken,
            },
        },
    )
    answer = await wait_notice(mx_inbox, ch_bot.user_id, "penalty_months", "the field errors")
    assert answer.content["org.coopnet.bot"] == {"kind": "answer", "to": bad}
    body = answer.content["body"]
    assert "Pena (meses) (org.coopnet.consultation.content.penalty_months): fuera de rango" in body
    assert "Persona buscada (org.coopnet.consultation.content.person_sought)" in body
    assert "falta un campo obligatorio" in body

    # No translation and a penalty under the threshold: exactly those two items missing.
    first = await send_event(mx, room, draft_event(translated=False, penalty_months=6))
    checklist, body = await wait_checklist(mx_inbox, first)
    assert missing(checklist.items) == EXPECTED_MISSING
    assert checklist.authority == "ch" and checklist.illustrative is True
    for lang in ("es", "fr"):  # the Mexican officer's and the Swiss officer's language
        assert (
            f"✗ {label('check_kind.translation', lang)} — {label('item_state.missing', lang)}"
            in body
        )
        assert (
            f"✗ {label('check_kind.penalty_threshold', lang)} — {label('item_state.missing', lang)}"
            in body
        )
    assert body.count("✗") == 4  # nothing else is missing, in either language
    assert checklist_of(ch_inbox, first) is not None  # the Swiss officer has it too

    # Answers item by item; an answer to an item that does not exist is refused.
    reply = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.draft.answer",
            "version": 1,
            "content": {"draft": first, "item_id": "penalty_threshold", "comment": "15 años."},
        },
    )
    await wait_for(lambda: receipt_for(mx_inbox, reply) is not None, "the answer's receipt")
    bogus = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.draft.answer",
            "version": 1,
            "content": {"draft": first, "item_id": "no_such_item", "comment": "?"},
        },
    )
    refusal = await wait_notice(
        mx_inbox, ch_bot.user_id, label("reason.unknown_item", "es"), "the refused answer"
    )
    assert refusal.content["org.coopnet.bot"]["to"] == bogus
    assert receipt_for(mx_inbox, bogus) is None

    # The corrected version passes; the checklist shows what changed.
    second = await send_event(mx, room, draft_event(replaces=first))
    corrected, body = await wait_checklist(mx_inbox, second)
    assert missing(corrected.items) == []
    assert corrected.previous == first
    assert {(c.item_id, c.state_before, c.state_after) for c in corrected.changes} == {
        ("translation", "missing", "met"),
        ("penalty_threshold", "missing", "met"),
    }
    assert label("field.changes", "fr") in body and label("field.changes", "es") in body

    # Only the requested side confirms it ready to transmit.
    early = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.draft.ready",
            "version": 1,
            "content": {"draft": second},
        },
    )
    await wait_notice(
        mx_inbox, ch_bot.user_id, label("reason.draft_wrong_side", "es"), "mx's ready refused"
    )
    assert receipt_for(mx_inbox, early) is None
    ready = await send_event(
        ch,
        room,
        {
            "type": "org.coopnet.consultation.draft.ready",
            "version": 1,
            "content": {"draft": second},
        },
    )

    async def confirmed() -> bool:
        review = (await ch_bot.view(room)).consultation.draft_review(second)
        return review is not None and review.is_ready

    await wait_for(lambda: any(e.event_id == ready for e in mx_inbox.events), "mx to see ready")
    await wait_async(confirmed, "the bot's view to hold the draft ready to transmit")
    review = (await ch_bot.view(room)).consultation.draft_review(first)
    assert review is not None and [v for v, _ in review.versions] == [first, second]
