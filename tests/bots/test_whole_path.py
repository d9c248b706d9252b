"""From draft to decision in one consultation, through both bots on the real network
(issue 17): Mexico shares a draft that misses two items, corrects it, Switzerland
confirms it ready, Mexico transmits the request and asks how it is going, the Swiss bot
proposes the answer its officer sends, and Switzerland consults before it refuses.
Each step is certified by the other side's bot, and both bots end with the same state."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from coopnet.consultation.draft_check import missing
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY, DraftChecklist, encode, parse_content
from coopnet.protocol.labels import label
from tests.bots.helpers import payload_type, receipt_for, send_event, shared_room, wait_notice
from tests.drafts import EXPECTED_MISSING, draft_content
from tests.harness import opened, wait_for

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()
LAPSED = {"grounds": ["lapse_of_time"], "reasons": "La prescription est acquise en droit suisse."}


def step(type_: str, **content: object) -> dict:
    return {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}


def stage(from_stage: str, to_stage: str, **extra: object) -> dict:
    return step("stage", from_stage=from_stage, to_stage=to_stage, date=TODAY.isoformat(), **extra)


async def test_from_draft_to_decision_through_both_bots(
    network: Network, open_client, start_bot
) -> None:
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    case_ref = f"MX-CH-PATH-{uuid.uuid4().hex[:6]}"
    room = await shared_room(mx, ch, [ch_bot.user_id, mx_bot.user_id], case_ref)

    async def certified(client, inbox, event: dict) -> str:
        """Send one step; the other side's bot certifies it."""
        event_id = await send_event(client, room, event)
        await wait_for(lambda: receipt_for(inbox, event_id) is not None, f"receipt of {event}")
        return event_id

    async def checklist(draft_id: str) -> DraftChecklist:
        def found():
            return mx_inbox.find(
                lambda e: (
                    payload_type(e) == "org.coopnet.consultation.draft.checklist"
                    and e.content[PAYLOAD_KEY]["content"].get("draft") == draft_id
                )
            )

        await wait_for(lambda: found() is not None, f"the checklist of {draft_id}")
        parsed = parse_content(found().content)
        assert isinstance(parsed, DraftChecklist), parsed
        return parsed

    opening = await mx.send(room, encode(opened(case_ref, "mx", "ch")))
    await wait_for(lambda: receipt_for(mx_inbox, opening) is not None, "the opening's receipt")

    # Draft, checklist, correction, ready to transmit.
    draft = step("draft", **draft_content(translated=False, penalty_months=6))
    first = await send_event(mx, room, draft)
    assert missing((await checklist(first)).items) == EXPECTED_MISSING
    second = await send_event(mx, room, step("draft", **draft_content(replaces=first)))
    assert missing((await checklist(second)).items) == []
    await certified(ch, ch_inbox, step("draft.ready", draft=second))

    # Transmitted, then a progress query: the Swiss bot proposes the answer.
    await certified(mx, mx_inbox, stage("pre_request_consultation", "formal_request_transmitted"))
    query = await certified(mx, mx_inbox, step("progress.query", question="¿En qué estado?"))

    def proposal():
        return ch_inbox.find(
            lambda e: (
                e.sender == ch_bot.user_id
                and e.content.get("org.coopnet.bot", {}).get("kind") == "proposal"
            )
        )

    await wait_for(lambda: proposal() is not None, "the Swiss bot's proposed answer")
    proposed = proposal().content["org.coopnet.bot"]["answer"]
    assert proposed["query"] == query and proposed["stage"] == "formal_request_transmitted"
    await certified(ch, ch_inbox, step("progress.answer", **proposed))

    # A refusal without consulting first is refused; consulted, it stands.
    await send_event(ch, room, stage("formal_request_transmitted", "refused", **LAPSED))
    why = label("reason.consultation_required", "fr")
    await wait_notice(ch_inbox, mx_bot.user_id, why, "the Mexican bot to refuse the refusal")
    respond_by = (TODAY + dt.timedelta(days=30)).isoformat()
    await certified(ch, ch_inbox, step("refusal.envisaged", respond_by=respond_by, **LAPSED))
    await certified(ch, ch_inbox, stage("formal_request_transmitted", "refused", **LAPSED))

    # Both bots fold the consultation to the same state.
    states = []
    for bot in (ch_bot, mx_bot):
        view = await bot.view(room)
        status = view.consultation.status(TODAY)
        assert status is not None
        review = view.consultation.draft_review(first)
        assert review is not None and review.is_ready
        states.append((str(status.stages.current), [str(d.rule.id) for d in status.deadlines]))
    assert states[0] == states[1] and states[0][0] == "refused"
