"""What a network sets for the steps of its consultations (pure data, with defaults)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PROGRESS_ANSWER_WORKING_DAYS = 10
DEFAULT_PROSECUTION_REPORT_DAYS = 60
DEFAULT_RESPOND_DAYS = 30
"""What a form proposes as the requesting side's time to answer an envisaged refusal (the
requested side sets the date it gives; UNTOC fixes none)."""


@dataclass(frozen=True)
class ConsultationSettings:
    """``progress_answer_working_days``: how long the other side has to answer a progress
    query (UNTOC art. 18(24) fixes no period; working days in the answering State's
    calendar). ``prosecution_report_days``: when the bots remind the requested State to
    report that it submitted a national's case for prosecution after refusing to extradite
    (art. 16(10) says "without undue delay", no period: an illustrative default)."""

    progress_answer_working_days: int = DEFAULT_PROGRESS_ANSWER_WORKING_DAYS
    prosecution_report_days: int = DEFAULT_PROSECUTION_REPORT_DAYS
