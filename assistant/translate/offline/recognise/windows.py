"""Windows: which window phrase belongs to a subject, and reading one into a window node (two months said
together as one span of days, durations as windows, 'in that time' as the window said before)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calendar import monthrange
from datetime import date, timedelta

from grammar import ast as A
from grammar import calendar
from grammar.format import window_text as format_window

from .. import named_days
from ..items import HEADS, Item, Kind
from ..text import THIS_YEAR, YEARLESS

if TYPE_CHECKING:
    from ..context import Builder


def window_near(b: Builder, items: list[Item], idx: int, kinds=(Kind.WINDOW,)) -> Item | None:
    """The window after items[idx] up to the next subject, else the one just before it."""
    for it in items[idx + 1:]:
        if it.kind in (Kind.EVENT, Kind.RANK, Kind.SEGMENT, Kind.TEMPLATE) or (it.kind in (Kind.TRAIT, Kind.CONSENT)):
            break
        if it.kind in kinds and not it.used:
            return it
        if it.kind == Kind.SAME_WINDOW and not it.used and b.last_window is not None:
            it.used = True
            window = _after(b.last_window, b.as_of) if it.get("after") else b.last_window
            return it.copy(Kind.WINDOW, {"window": window})
    for k in range(idx - 1, -1, -1):
        it = items[k]
        if it.kind in HEADS and not (it.kind == Kind.VALUE and not it["trait"]):
            break
        # "a birthday in the next week who has ordered": a future window right after a trait is the trait's; so
        # is any window right after a date ("signed up over a year ago never bought anything")
        after_trait = k and items[k - 1].kind == Kind.TRAIT and (isinstance(it.get("window"), A.InNext) or (
            b.catalog.traits[items[k - 1]["trait"]].type in ("timestamp", "date")))
        if it.kind in kinds and not it.used and not it.get("tenure") and not after_trait and \
                not it.get("of_before"):  # "customers for 2 years who", "new signups this week who"
            return it
    return None


def _after(window: A.Node, as_of) -> A.Node:
    """'since then', 'since that weekend': after a span of days that ended, the days from its end on; an open
    window ('since August 1') goes on to as-of, so 'since then' is that window itself."""
    if isinstance(window, A.BetweenDates):
        end = A.parse_when(window.end).date()
    elif isinstance(window, A.OnDate):
        end = A.parse_when(window.day).date()
    elif isinstance(window, (A.NamedPeriod, A.CalendarPeriod)):
        end = calendar.bounds(window, as_of)[1].date() - timedelta(days=1)
    elif isinstance(window, A.Before):  # "before May 1 but not since": from that day on
        return A.After(at=window.at)
    elif isinstance(window, A.MoreThanAgo):  # "more than 60 days ago but not since": the 60 days after
        return A.InLast(amount=window.amount, unit=window.unit)
    else:
        return window
    return A.After(at=(end + timedelta(days=1)).isoformat())


def window_of(b: Builder, item: Item | None) -> A.Node | None:
    """The window node an item stands for (and claims): a window, a calendar period or a duration."""
    if item is None:
        return None
    b.use(item)
    if item.kind in (Kind.WITHIN, Kind.FOR):
        d = item["duration"]
        window = A.InLast(amount=d.amount, unit=d.unit)
        if item.get("anchor_next"):  # "within 2 weeks of <something not read>": not the last 2 weeks
            b.guess(item, f"within {d.amount} {d.unit}s of what?")
    elif item.get("dates"):
        make, days = item["dates"]
        window = make(*with_years(days, b.as_of.date()))
        if any(d.startswith(YEARLESS) for d in days):
            b.assume(f"a day without a year read as the most recent one: {format_window(window)}")
    elif item.get("months"):
        window = months(b, *item["months"], item.words)
    elif any(item.get(k) for k in ("span", "before_days", "week_of", "before_day", "since_day", "weekend_of")):
        window = _named_day_window(item, b.as_of)
        b.assume(f"'{named_days.unmarked(item.words)}' read as {format_window(window)}")
    elif item.get("anchor"):
        window = anchored(b, item)
        if window is None:
            return None
    else:
        window = item["window"]
    b.last_window = window
    return window


def _named_day_window(item: Item, as_of) -> A.Node:
    """A span bounded by named days, worked out against the as-of (named_days.py)."""
    if item.get("span"):
        return named_days.span_window(*item["span"], as_of)
    if item.get("before_days"):
        return named_days.before_window(*item["before_days"], as_of)
    if item.get("week_of"):
        return named_days.week_window(*item["week_of"], as_of)
    if item.get("weekend_of"):
        return named_days.weekend_window(*item["weekend_of"], as_of)
    if item.get("since_day"):
        day, year = item["since_day"]
        return A.After(at=named_days.span_window(day, day, year, as_of).start)
    day, year = item["before_day"]
    return A.Before(at=named_days.span_window(day, day, year, as_of).start)


def anchored(b: Builder, item: Item) -> A.Node | None:
    """'within 7 days of signing up': anchored on the catalog's sign-up time (a date trait); a catalog without
    one leaves the words an open point."""
    what, amount, unit = item["anchor"]
    if what == "signup":
        trait = b.catalog.contacts.created_at
        spec = b.catalog.traits.get(trait) if trait else None
        if spec is None or spec.type not in ("timestamp", "date"):
            b.guess(item, "this catalog has no sign-up date trait: within that time of what?")
            return None
        what = trait
    return A.Anchored(amount=amount, unit=unit, anchor=what)


def with_years(days: tuple[str, ...], today: date) -> list[str]:
    """Days said without a year (--MM-DD) get the most recent year that puts them at or before `today`, and
    an earlier day of a range the year that keeps it before the next one; ++MM-DD is this year's."""
    out: list[str] = []
    limit = today
    for day in reversed(days):
        if day.startswith(THIS_YEAR):
            day = f"{today.year}-{day[2:]}"
        elif day.startswith(YEARLESS):
            month, dom = int(day[2:4]), int(day[5:7])
            year = limit.year
            while not _valid(year, month, dom) or date(year, month, dom) > limit:
                year -= 1
            day = f"{year:04d}-{day[2:]}"
        out.insert(0, day)
        limit = A.parse_when(day).date()
    return out


def _valid(year: int, month: int, dom: int) -> bool:
    return dom <= monthrange(year, month)[1]


def months(b: Builder, first: str, last: str, year: str | None, words: str) -> A.Node:
    """'November or December last year': the days from the first month's start to the last month's end
    (the year as said, else the most recent first month that began before as-of)."""
    start = calendar.bounds(A.NamedPeriod(name=first, year=year), b.as_of)[0]
    index = calendar.MONTHS.index
    end_year = start.year + (index(last) < index(first))  # "December to January" runs into the next year
    end = calendar.named_bounds(last, end_year)[1] - timedelta(days=1)
    window = A.BetweenDates(start=start.date().isoformat(), end=end.date().isoformat())
    b.assume(f"'{words}' read as {format_window(window)}")
    return window
