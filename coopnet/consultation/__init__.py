"""The consultation core (pure): the one place where a consultation's state is computed.

- :mod:`~coopnet.consultation.roster` – who is in the network (from the signed directory);
- :mod:`~coopnet.consultation.message` – what the core is fed: decrypted timeline messages;
- :mod:`~coopnet.consultation.order` – the causal order of steps, the same on every server;
- :mod:`~coopnet.consultation.fold` – the rules that accept or refuse each step;
- :mod:`~coopnet.consultation.assurances` – the assurances' state machine;
- :mod:`~coopnet.consultation.documents` – documents: versions, translations, certification;
- :mod:`~coopnet.consultation.drafts` – draft review: versions, checklists, answers, ready;
  :mod:`~coopnet.consultation.draft_check` – the completeness check against a profile;
- :mod:`~coopnet.consultation.decision` – consultation before refusal, the duty to prosecute;
- :mod:`~coopnet.consultation.progress` – progress queries and the answer the bot proposes;
- :mod:`~coopnet.consultation.state` – :class:`Consultation`: stage, deadlines, assurances,
  refusals, conflicts and receipts of one room, folded incrementally;
- :mod:`~coopnet.consultation.library` – the practice library: entries, search, "relied on";
- :mod:`~coopnet.consultation.room` – the plan of a consultation room (and a library room);
- :mod:`~coopnet.consultation.coordination` – an authority's internal coordination room:
  tasks, shared items, what the bot mirrors there;
- :mod:`~coopnet.consultation.access` – an expert's temporary access to one consultation:
  who has it, until when, on whose word; the grants in force for the device policy.

The bot and the client compute a consultation through this package and nowhere else, so
they cannot disagree. No I/O: it imports neither nio, Textual, sqlite3, asyncio nor aiohttp.
"""

from __future__ import annotations

from coopnet.consultation.access import (
    ACCESS_REASONS,
    AccessRegister,
    ConsultationGrants,
    HeldGrant,
)
from coopnet.consultation.assurances import (
    RELIANCE_NO_ASSURANCE,
    AssuranceRecord,
    AssuranceRegister,
)
from coopnet.consultation.coordination import (
    Board,
    HeldTask,
    Mirror,
    TaskNotice,
    board_of,
    item_to_share,
    judge_task,
    mirror_of,
    share_refusals,
    shared_item_refusals,
    task_notices,
)
from coopnet.consultation.decision import REASONS as _DECISION_REASONS
from coopnet.consultation.documents import (
    Certification,
    DocumentRow,
    DocumentState,
    HeldDocument,
    document_tree,
    versions,
)
from coopnet.consultation.draft_check import changes_between, check_draft
from coopnet.consultation.drafts import DraftReview, HeldAnswer, HeldChecklist
from coopnet.consultation.fold import (
    LIBRARY_INCOMPLETE,
    NOT_A_PARTY,
    NOT_OPENED,
    UNTRUSTED_DEVICE,
    Refusal,
    Step,
    Topic,
    topic_of,
)
from coopnet.consultation.library import (
    Library,
    LibraryEntry,
    misplaced_in_library,
    reliance,
    relied_on,
)
from coopnet.consultation.message import Message
from coopnet.consultation.order import CausalOrder
from coopnet.consultation.progress import REASONS as _PROGRESS_REASONS
from coopnet.consultation.progress import propose_answer
from coopnet.consultation.room import (
    LIBRARY_ROOM_NAME,
    RoomPlan,
    is_library_room,
    plan_coordination_room,
    plan_library_room,
    plan_room,
    room_plan,
)
from coopnet.consultation.roster import Party, Person, Roster
from coopnet.consultation.settings import DEFAULT_RESPOND_DAYS, ConsultationSettings
from coopnet.consultation.state import (
    Consultation,
    HeldReceipt,
    Parties,
    ReceiptMatch,
    SignatureCheck,
    Summary,
)

STEP_REASONS: tuple[str, ...] = (
    *_DECISION_REASONS,
    *_PROGRESS_REASONS,
    NOT_OPENED,
    NOT_A_PARTY,
    LIBRARY_INCOMPLETE,
    RELIANCE_NO_ASSURANCE,
    *ACCESS_REASONS,
)
"""Reason codes of refused steps beside the stage machine's, each labelled
``reason.<code>`` in six languages."""

__all__ = [
    "AccessRegister",
    "ConsultationGrants",
    "HeldGrant",
    "Board",
    "HeldTask",
    "Mirror",
    "TaskNotice",
    "board_of",
    "judge_task",
    "mirror_of",
    "item_to_share",
    "share_refusals",
    "shared_item_refusals",
    "task_notices",
    "STEP_REASONS",
    "DEFAULT_RESPOND_DAYS",
    "UNTRUSTED_DEVICE",
    "AssuranceRecord",
    "AssuranceRegister",
    "CausalOrder",
    "Certification",
    "Consultation",
    "ConsultationSettings",
    "propose_answer",
    "DocumentState",
    "DocumentRow",
    "DraftReview",
    "HeldAnswer",
    "HeldChecklist",
    "changes_between",
    "check_draft",
    "HeldDocument",
    "HeldReceipt",
    "Library",
    "LibraryEntry",
    "Message",
    "Parties",
    "Party",
    "Person",
    "ReceiptMatch",
    "Refusal",
    "RoomPlan",
    "Roster",
    "SignatureCheck",
    "Step",
    "Summary",
    "Topic",
    "LIBRARY_ROOM_NAME",
    "is_library_room",
    "misplaced_in_library",
    "plan_library_room",
    "plan_room",
    "relied_on",
    "reliance",
    "plan_coordination_room",
    "room_plan",
    "topic_of",
    "document_tree",
    "versions",
]
