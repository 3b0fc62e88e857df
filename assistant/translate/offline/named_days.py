"""Spans of days bounded by named days: 'between Black Friday and Cyber Monday last year', 'Black Friday /
Cyber Monday weekend', 'from February 6 to Valentine's Day', 'the two weeks before Christmas', 'Thanksgiving
week'. The text stage marks a named day inside such a span as one word (@black_friday), so the phrasing table
reads it with a slot; the window is worked out against the as-of here, with the calendar's own holiday dates
(grammar.calendar, through the `holidays` package) and its rule for a day said without a year (the most
recent one)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from grammar import ast as A
from grammar import calendar

from .text import THIS_YEAR, YEARLESS, Source

MARK = "@"
_NAMES = {
    "black_friday": r"black\s+friday", "cyber_monday": r"cyber\s+monday", "thanksgiving": r"thanksgiving(?:\s+day)?",
    "christmas": r"christmas(?:\s+day)?|xmas", "valentines_day": r"valentine'?s(?:\s+day)?",
    "labor_day": r"labou?r\s+day", "halloween": r"halloween", "new_years_eve": r"new\s+year'?s\s+eve",
    "new_years_day": r"new\s+year'?s\s+day", "independence_day": r"independence\s+day|(?:the\s+)?fourth\s+of\s+july",
    "memorial_day": r"memorial\s+day", "mothers_day": r"mother'?s\s+day", "fathers_day": r"father'?s\s+day",
    "easter": r"easter(?:\s+sunday)?",
}
_DAY = "|".join(f"(?:{p})" for p in _NAMES.values())
_DATE = r"(?:--|\+\+)\d{2}-\d{2}|\d{4}-\d{2}-\d{2}"
_SPAN = re.compile(rf"\b(between|from)\s+(?:the\s+)?({_DAY}|{_DATE})\s+(and|to|through|until|till)\s+(?:the\s+)?({_DAY})\b"
                   rf"|\b(between|from)\s+(?:the\s+)?({_DAY})\s+(and|to|through|until|till)\s+(?:the\s+)?({_DATE})",
                   re.I)
_PAIR = re.compile(rf"\b({_DAY})\s*(?:/|&|and|to|through|-)\s*({_DAY})\s+weekend\b", re.I)
_BEFORE = re.compile(rf"\b(before|leading\s+up\s+to|ahead\s+of)\s+({_DAY})\b", re.I)
_SINCE = re.compile(rf"\b(since|after|from)\s+({_DAY})\b(?!\s*\d)", re.I)  # not a campaign ("Black Friday 2025")
_WEEK = re.compile(rf"\b({_DAY})\s+week\b", re.I)


def _name(words: str) -> str | None:
    return next((n for n, p in _NAMES.items() if re.fullmatch(p, words, re.I)), None)


def _mark(words: str) -> str:
    name = _name(words)
    return MARK + name if name else words


def mark_named_days(text: Source) -> Source:
    """Named days that bound a span, as single marked words (the rest of the text as it was)."""
    def span(m: re.Match) -> str:
        g = [x for x in m.groups() if x is not None]
        return f"between {_mark(g[1])} and {_mark(g[3])}"

    text = text.sub(_SPAN, span)
    text = text.sub(_PAIR, lambda m: f"between {_mark(m.group(1))} and {_mark(m.group(2))}")
    text = text.sub(_BEFORE, lambda m: f"before {_mark(m.group(2))}")
    text = text.sub(_SINCE, lambda m: f"since {_mark(m.group(2))}")
    return text.sub(_WEEK, lambda m: f"{_mark(m.group(1))} week")


def unmarked(words: str) -> str:
    """Words as said: '@black_friday' -> 'Black Friday', '--02-06' -> 'February 6'."""
    words = re.sub(r"(?:--|\+\+)(\d{2})-(\d{2})",
                   lambda m: f"{calendar.MONTHS[int(m.group(1)) - 1].title()} {int(m.group(2))}", words)
    return re.sub(rf"{MARK}(\w+)", lambda m: m.group(1).replace("_", " ").title(), words)


def is_marked(word: str) -> bool:
    return word.startswith(MARK) and word[1:] in _NAMES


def _day(bound: str, year: int) -> date:
    """A bound in `year`: a named day, or a day of a month."""
    if is_marked(bound):
        return calendar.holiday_day(bound[1:], year)
    if bound.startswith((YEARLESS, THIS_YEAR)):
        return date(year, int(bound[2:4]), int(bound[5:7]))
    return date.fromisoformat(bound)


def _year(bound: str, said: str | int | None, as_of) -> int:
    """The year of the last bound: said, else the most recent one that began before as-of."""
    if is_marked(bound):
        return calendar.named_year(bound[1:], said, as_of)
    if isinstance(said, int):
        return said
    if said == "last":
        return as_of.year - 1
    if said == "this" or bound.startswith(THIS_YEAR):
        return as_of.year
    if bound.startswith(YEARLESS):
        day = date(as_of.year, int(bound[2:4]), int(bound[5:7]))
        return as_of.year if day <= as_of.date() else as_of.year - 1
    return date.fromisoformat(bound).year


def span_window(first: str, last: str, said: str | int | None, as_of) -> A.BetweenDates:
    """From the first bound to the last, both days included; the first falls in the last one's year unless that
    puts it after the last ('Christmas to Valentine's Day')."""
    year = _year(last, said, as_of)
    end = _day(last, year)
    start = _day(first, year) if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", first) else date.fromisoformat(first)
    if start > end:
        start = _day(first, year - 1)
    return A.BetweenDates(start=start.isoformat(), end=end.isoformat())


def before_window(amount: int, unit: str, day: str, said: str | int | None, as_of) -> A.BetweenDates:
    """'the two weeks before Christmas': the days up to the day before it."""
    end = _day(day, _year(day, said, as_of)) - timedelta(days=1)
    length = {"day": 1, "week": 7}[unit] * amount
    return A.BetweenDates(start=(end - timedelta(days=length - 1)).isoformat(), end=end.isoformat())


def week_window(day: str, said: str | int | None, as_of) -> A.BetweenDates:
    """'Thanksgiving week': the Monday-to-Sunday week holding the day."""
    d = _day(day, _year(day, said, as_of))
    monday = d - timedelta(days=d.weekday())
    return A.BetweenDates(start=monday.isoformat(), end=(monday + timedelta(days=6)).isoformat())


def weekend_window(name: str, said: str | int | None, as_of) -> A.BetweenDates:
    """'Labor Day weekend': the long weekend a day on a Monday (Saturday to it) or a Thursday or Friday (it to
    Sunday) makes."""
    day = calendar.holiday_day(name, calendar.named_year(name, said, as_of))
    if day.weekday() == 0:
        start, end = day - timedelta(days=2), day
    elif day.weekday() in (3, 4):
        start, end = day, day + timedelta(days=6 - day.weekday())
    else:
        raise ValueError(f"{name} falls on no day next to a weekend")
    return A.BetweenDates(start=start.isoformat(), end=end.isoformat())
