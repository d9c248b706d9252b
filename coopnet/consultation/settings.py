"""What a network sets for the steps of its consultations (pure data, with defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coopnet.protocol.handling import parse_entries
from coopnet.protocol.vocab import HandlingCode
from coopnet.trust.directory import Rules

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
    handling: Mapping[str, tuple[HandlingCode, ...]] | None = None
    """The network's default handling codes per kind of exchange (None: the built-in
    ones, :data:`coopnet.protocol.handling.DEFAULT_HANDLING`)."""

    @classmethod
    def from_rules(cls, rules: Rules | None) -> ConsultationSettings:
        """The settings a signed directory's rules give (its parse already checked them)."""
        if rules is None:
            return cls()
        parsed = parse_entries(rules.handling_defaults) if rules.handling_defaults else None
        return cls(
            progress_answer_working_days=rules.progress_answer_working_days,
            prosecution_report_days=rules.prosecution_report_days,
            handling=None if isinstance(parsed, list) else parsed,
        )

    def to_rules(self, handling_entries: tuple[str, ...] = ()) -> Rules:
        """These settings as a directory's rules (``handling_entries``: the network file's
        ``KIND=CODE,CODE`` entries that gave :attr:`handling`)."""
        return Rules(
            progress_answer_working_days=self.progress_answer_working_days,
            prosecution_report_days=self.prosecution_report_days,
            handling_defaults=handling_entries,
        )
