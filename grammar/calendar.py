"""Calendar windows: the [start, end) instants of `today`, `in previous month`, `in november of last year`,
`on black friday`, ... at an as-of instant. Pure functions of (window, as_of); compile, explain and check
all read them, so a calendar window rolls with the as-of instead of being frozen into dates.

Weeks are ISO weeks (Monday to Sunday); a weekend is the Saturday and Sunday of a week. A month, holiday
or season without a year is the most recent one that began before the as-of instant. US holidays come from
the `holidays` package; Black Friday is the day after Thanksgiving, Cyber Monday the Monday after it, and
the holiday season runs from Black Friday to 31 December.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
HOLIDAYS = ("black_friday", "cyber_monday", "thanksgiving", "christmas", "valentines_day", "labor_day",
            "holiday_season", "halloween", "new_years_eve", "new_years_day", "independence_day", "memorial_day",
            "mothers_day", "fathers_day", "easter")
# The `holidays` package's US names of the days it computes.
_US_NAMES = {"thanksgiving": "Thanksgiving Day", "christmas": "Christmas Day", "labor_day": "Labor Day",
             "new_years_day": "New Year's Day", "independence_day": "Independence Day", "memorial_day": "Memorial Day"}
# Days on a fixed date, and days that are the n-th Sunday of a month (US Mother's and Father's Day).
_FIXED = {"valentines_day": (2, 14), "halloween": (10, 31), "new_years_eve": (12, 31)}
_NTH_SUNDAY = {"mothers_day": (5, 2), "fathers_day": (6, 3)}


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _month_start(year: int, month: int) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1  # month 13 is January of the next year
    return datetime(year, month, 1)


@lru_cache(maxsize=256)
def _us_day(name: str, year: int) -> date:
    found = [d for d, label in holidays.US(years=year, observed=False).items() if label == _US_NAMES[name]]
    if len(found) != 1:
        raise ValueError(f"no single US {_US_NAMES[name]} in {year}")
    return found[0]


def holiday_day(name: str, year: int) -> date:
    """The day of a named holiday in `year` (the holiday season: its first day, Black Friday)."""
    if name in _US_NAMES:
        return _us_day(name, year)
    if name in ("black_friday", "holiday_season"):
        return _us_day("thanksgiving", year) + timedelta(days=1)
    if name == "cyber_monday":
        return _us_day("thanksgiving", year) + timedelta(days=4)
    if name in _FIXED:
        return date(year, *_FIXED[name])
    if name in _NTH_SUNDAY:
        month, n = _NTH_SUNDAY[name]
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
    if name == "easter":
        return easter(year)  # Western Easter Sunday (dateutil, which `holidays` is built on)
    raise ValueError(f"not a named day: {name!r}")


def period_bounds(which: str, period: str, as_of: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the calendar day/week/weekend/month/quarter/year holding as_of ('this') or the one
    before it ('previous')."""
    back = 1 if which == "previous" else 0
    today = _midnight(as_of.date())
    if period == "day":
        start = today - timedelta(days=back)
        return start, start + timedelta(days=1)
    if period in ("week", "weekend"):
        monday = today - timedelta(days=today.weekday() + 7 * back)
        start = monday + timedelta(days=5) if period == "weekend" else monday
        return start, monday + timedelta(days=7)
    size = {"month": 1, "quarter": 3, "year": 12}[period]
    first = as_of.month - (as_of.month - 1) % size - size * back  # may be <= 0: a month of the year before
    start = _month_start(as_of.year, first)
    return start, _month_start(as_of.year, first + size)


def named_bounds(name: str, year: int) -> tuple[datetime, datetime]:
    """[start, end) of a month or named day in one year."""
    if name in MONTHS:
        month = MONTHS.index(name) + 1
        return _month_start(year, month), _month_start(year, month + 1)
    start = _midnight(holiday_day(name, year))
    if name == "holiday_season":
        return start, datetime(year + 1, 1, 1)
    return start, start + timedelta(days=1)


def named_year(name: str, year: int | str | None, as_of: datetime) -> int:
    """The year a month or named day refers to: given, this / last year, else the most recent one that
    began before as_of."""
    if isinstance(year, int):
        return year
    if year == "this":
        return as_of.year
    if year == "last":
        return as_of.year - 1
    return as_of.year if named_bounds(name, as_of.year)[0] < as_of else as_of.year - 1


def bounds(window, as_of: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a calendar window node (kind `calendar` or `named`) at as_of."""
    if window.kind == "calendar":
        return period_bounds(window.which, window.period, as_of)
    return named_bounds(window.name, named_year(window.name, window.year, as_of))
