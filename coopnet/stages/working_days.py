"""Working days in one State's calendar: its weekend and its public holidays (pure).

A deadline counted in working days (e.g. the answer to a progress query, UNTOC art.
18(24)) is counted in the calendar of the State that must act, from the maintained PyPI
``holidays`` library (national holidays only: regional ones, such as a Swiss canton's,
are not counted). Each :class:`WorkingCalendar` says which calendar it is, so a deadline
can say what it was counted with. A State the library does not know gets a calendar of
weekends only, and says so.

The library is imported when a calendar is first used, not with the core: its package
metadata loads the standard library's e-mail modules, and with them ``socket``, which the
pure core never loads at import (tests/unit/test_protocol_purity.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import holidays

SATURDAY_SUNDAY = frozenset({5, 6})
_MAX_WORKING_DAYS = 3660  # a bound on the loop: ten years of working days


@dataclass(frozen=True)
class WorkingCalendar:
    """The working days of one State. ``country`` is its ISO 3166-1 alpha-2 code (None:
    unknown to the library: weekends only); ``source`` names the calendar used."""

    country: str | None
    weekend: frozenset[int]
    source: str

    def is_working_day(self, day: dt.date) -> bool:
        if self.country is None:
            return day.weekday() not in self.weekend
        # The library's own rule: weekend, public holidays, and the weekend days some
        # States make working days in exchange for a bridge holiday (China).
        return bool(_holidays(self.country, day.year).is_working_day(day))

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The day ``count`` working days after ``start`` (``start`` itself not counted)."""
        if not 0 <= count <= _MAX_WORKING_DAYS:
            raise ValueError(f"working days must be between 0 and {_MAX_WORKING_DAYS}")
        day, left = start, count
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day


def _library() -> Any:
    import holidays  # see the module's docstring: loaded on first use

    return holidays


@cache
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return _library().country_holidays(country, years=year)


@cache
def _codes_by_name() -> dict[str, str]:
    """Country name (as the library writes it, e.g. "Switzerland", "UnitedKingdom") in
    lower case without spaces → ISO code."""
    out: dict[str, str] = {}
    from holidays.registry import COUNTRIES

    for module_name, (class_name, code, *_rest) in COUNTRIES.items():
        out[module_name.replace("_", "")] = code
        out[class_name.lower()] = code
    return out


def country_code(state: str | None, authority_id: str | None = None) -> str | None:
    """The ISO code of a State from its name (``"Switzerland"`` → ``CH``), else from an
    authority id that is itself a code the library knows (``mx``), else None."""
    known = _codes_by_name()
    if state:
        key = "".join(ch for ch in state.lower() if ch.isalnum())
        if key in known:
            return known[key]
        if state.upper() in known.values():
            return state.upper()
    if authority_id and authority_id.upper() in known.values():
        return authority_id.upper()
    return None


@cache
def calendar_for(state: str | None, authority_id: str | None = None) -> WorkingCalendar:
    """The working calendar of a State (by name, or by an authority id that is its code)."""
    code = country_code(state, authority_id)
    if code is None:
        shown = state or authority_id or "?"
        return WorkingCalendar(None, SATURDAY_SUNDAY, f"{shown}: weekends only (no holidays known)")
    library = _library()
    weekend = frozenset(library.country_holidays(code).weekend) or SATURDAY_SUNDAY
    source = f"{code} public holidays (holidays {library.__version__})"
    return WorkingCalendar(code, weekend, source)
