"""The fixed phrasing table of the offline translator: English phrasings of windows, counts, comparisons,
connectives, ranks and aggregates (nothing here knows a catalog), and the matcher that reads them at a
position of the token list."""

from __future__ import annotations

from typing import Any, Callable

from grammar import ast as A

from .items import Kind
from .named_days import is_marked
from .text import MONTHS, THIS_YEAR, UNITS, YEARLESS, Token

# ---- the fixed phrasing table ------------------------------------------------------------------------
# A pattern is words separated by spaces: `a|b` alternatives, `?x` optional, and slots N (a whole
# number), X (any number, money too), UNIT, DATE (a date or a year), MONTH (a month's name), STR (quoted text or
# one word), QSTR (quoted text only).

def _win(w: A.Node, note: str | None = None, **extra: Any) -> dict:
    return {"window": w, "note": note, **extra}


def _count(op: str, n: int, m: int | None = None, note: str | None = None) -> dict:
    return {"count": A.Count(op=op, n=n, m=m) if not (op == "at_least" and n <= 1) else None, "note": note}


def _year_end(year: str) -> str:
    return f"{year[:4]}-12-31"


def _cal(which: str, period: str) -> dict:
    return _win(A.CalendarPeriod(which=which, period=period))


def _previous(unit: str) -> dict:
    """Bare 'last week' / 'last month' is the calendar period before this one ('in the last month' is
    rolling); other units stay a rolling window of one unit."""
    return _cal("previous", unit) if unit in ("week", "month") else _win(A.InLast(amount=1, unit=unit))


def _dated(make: Callable[..., A.Node]) -> Callable[..., dict]:
    """A window of dates; one with a day said without a year waits for the as-of to give it one."""
    def read(*days: str) -> dict:
        if any(d.startswith((YEARLESS, THIS_YEAR)) for d in days):
            return _win(None, dates=(make, days))
        return _win(make(*days))
    return read


def _terse_previous(unit: str, days: int) -> dict:
    return _win(A.InLast(amount=1, unit=unit), guess=f"the calendar {unit} before this one, or the last {days} days?")


def _named(name: str, year: str | int | None = None, note: str | None = None, guess: str | None = None) -> dict:
    if isinstance(year, str) and year[:1].isdigit():
        year = int(year[:4])  # a YEAR slot: "2025-01-01"
    return _win(A.NamedPeriod(name=name, year=year), note, guess=guess)


# A person's sign-up, as an anchor ('within a week of signing up'): the catalog's contact creation time.
SIGNUP = ("signing_up|signup|sign_up|signed_up|they_signed_up|their_signup|joining|they_joined|registering|"
          "registration|their_registration|they_registered|account_creation|creating_their_account|"
          "creating_an_account")

# Named days and the words for each.
_HOLIDAY_WORDS = {
    "black_friday": "black_friday", "cyber_monday": "cyber_monday", "thanksgiving": "thanksgiving|thanksgiving_day",
    "christmas": "christmas|christmas_day|xmas", "valentines_day": "valentines_day|valentine_day|valentines",
    "labor_day": "labor_day|labour_day", "holiday_season": "holiday_season|holiday_period",
    "halloween": "halloween", "new_years_eve": "new_years_eve|nye", "new_years_day": "new_years_day|new_year_day",
    "independence_day": "independence_day|july_4th|fourth_of_july|4th_of_july", "memorial_day": "memorial_day",
    "mothers_day": "mothers_day|mother_day", "fathers_day": "fathers_day|father_day", "easter": "easter|easter_sunday",
}
_SEASON_NOTE = "'the holiday season' read as Black Friday to 31 December"
_WEEKEND_GUESS = "that day alone, or the whole long weekend?"
_AROUND_GUESS = "that day alone, or how many days around it?"
# Named days that always fall on the same weekday, next to a weekend: their weekend is a known span of days.
_WEEKDAY_HOLIDAYS = {"black_friday", "cyber_monday", "thanksgiving", "labor_day", "memorial_day"}
_YEARS = (("", None), (" last_year|previous_year|last_yr", "last"), (" this_year|this_yr", "this"))


def _holiday_phrases() -> list[tuple[str, Kind, Callable[..., dict]]]:
    out: list[tuple[str, Kind, Callable[..., dict]]] = []
    for name, words in _HOLIDAY_WORDS.items():
        note = _SEASON_NOTE if name == "holiday_season" else None
        # A name alone ("the Valentine's Day email", "Black Friday 2025") may be a campaign's: a day needs a
        # preposition before it, and a year "of" before it.
        head = f"on|during|over|for|in {words}"
        out.append((f"{head} ?of YEAR", Kind.WINDOW, lambda y, name=name, note=note: _named(name, y, note)))
        for tail, year in _YEARS:
            out.append((head + tail, Kind.WINDOW, lambda name=name, year=year, note=note: _named(name, year, note)))
            # "around Black Friday": the day, or some days either side of it? vague: read as the day, and asked
            out.append((f"around|near|close_to|about {words}{tail}", Kind.WINDOW,
                        lambda name=name, year=year, note=note: _named(name, year, note, guess=_AROUND_GUESS)))
            if name in _WEEKDAY_HOLIDAYS:  # "Labor Day weekend": the long weekend it always makes
                out.append((f"{head} weekend{tail}", Kind.WINDOW,
                            lambda name=name, year=year: _win(None, weekend_of=(name, year))))
            elif name != "holiday_season":  # "Christmas weekend": the day, but maybe the weekend around it
                out.append((f"{head} weekend{tail}", Kind.WINDOW,
                            lambda name=name, year=year: _named(name, year, guess=_WEEKEND_GUESS)))
    return out


def _span(first: str, last: str, year: str | int | None = None) -> dict:
    if not (is_marked(first) or is_marked(last)):
        raise ValueError("a span of plain dates is read by the date phrases")
    return _win(None, span=(first, last, _said_year(year)))


def _said_year(year: str | int | None) -> str | int | None:
    return int(year[:4]) if isinstance(year, str) and year[:1].isdigit() else year


def _named_day_spans() -> list[tuple[str, Kind, Callable[..., dict]]]:
    """Spans bounded by named days (named_days.py marks the days in the text)."""
    out: list[tuple[str, Kind, Callable[..., dict]]] = []
    for tail, year in (("", None), (" last_year|previous_year", "last"), (" this_year", "this")):
        out += [
            ("?in|during|over between|from BOUND and|to BOUND" + tail, Kind.WINDOW,
             lambda a, b, year=year: _span(a, b, year)),
            ("?in|during|over ?last|past N UNIT before HDAY" + tail, Kind.WINDOW,
             lambda n, u, d, year=year: _win(None, before_days=(n, u, d, year))),
            ("?in|during|over|on HDAY week" + tail, Kind.WINDOW, lambda d, year=year: _win(None, week_of=(d, year))),
            ("before HDAY" + tail, Kind.WINDOW, lambda d, year=year: _win(None, before_day=(d, year))),
            ("since HDAY" + tail, Kind.WINDOW, lambda d, year=year: _win(None, since_day=(d, year))),
        ]
    out += [("?in|during|over between|from BOUND and|to BOUND ?of YEAR", Kind.WINDOW, lambda a, b, y: _span(a, b, y)),
            ("?in|during|over ?last|past N UNIT before HDAY ?of YEAR", Kind.WINDOW,
             lambda n, u, d, y: _win(None, before_days=(n, u, d, _said_year(y)))),
            ("?in|during|over|on HDAY week ?of YEAR", Kind.WINDOW, lambda d, y: _win(None, week_of=(d, _said_year(y)))),
            ("before HDAY ?of YEAR", Kind.WINDOW, lambda d, y: _win(None, before_day=(d, _said_year(y))))]
    return out


# The seasons of the northern hemisphere, as their months (said as an assumption).
_SEASONS = {"spring": ("march", "may"), "summer": ("june", "august"), "autumn|fall": ("september", "november"),
            "winter": ("december", "february")}


def _season_phrases() -> list[tuple[str, Kind, Callable[..., dict]]]:
    out: list[tuple[str, Kind, Callable[..., dict]]] = []
    for words, (first, last) in _SEASONS.items():
        note = f"'{words.split('|')[0]}' read as {first} to {last} (the northern hemisphere's)"
        for head, tail, year in (("", "", None), ("", " last_year|previous_year", "last"), ("last ", "", "last"),
                                 ("", " this_year", "this"), ("this ", "", "this")):
            for prep in ("in|during|over|throughout ", "?in|during|over|throughout " if head else None):
                if prep is None:
                    continue
                out.append((f"{prep}{head}{words}{tail}", Kind.WINDOW,
                            lambda first=first, last=last, year=year, note=note:
                            _win(None, note, months=(first, last, year))))
    return out



AGO = "ago|back|earlier"
# Inside one slot, `_` joins the words of a multi-word alternative: "more_than|over".
PHRASES: list[tuple[str, Kind, Callable[..., dict]]] = [
    # relative windows
    ("in|within|during|over|for|from last|past|previous N UNIT", Kind.WINDOW, lambda n, u: _win(A.InLast(amount=n, unit=u))),
    # bare "last year" is the calendar year before (listed before "last UNIT", which it ties with)
    ("last_year|previous_year", Kind.WINDOW, lambda: _cal("previous", "year")),
    ("last|past N UNIT", Kind.WINDOW, lambda n, u: _win(A.InLast(amount=n, unit=u))),
    ("in|within|during|over|for last|past UNIT", Kind.WINDOW, lambda u: _win(A.InLast(amount=1, unit=u))),
    # bare "last month" / "last week" is the calendar period before this one; in a terse note ("last wk") it
    # may be the last 7 / 30 days: an open point
    ("last wk|wks", Kind.WINDOW, lambda: _terse_previous("week", 7)),
    ("last mo|mos", Kind.WINDOW, lambda: _terse_previous("month", 30)),
    ("last|previous UNIT", Kind.WINDOW, _previous),
    ("past UNIT", Kind.WINDOW, lambda u: _win(A.InLast(amount=1, unit=u))),
    ("?coming_up in|within|during|over next|coming N UNIT", Kind.WINDOW, lambda n, u: _win(A.InNext(amount=n, unit=u))),
    ("next|coming N UNIT", Kind.WINDOW, lambda n, u: _win(A.InNext(amount=n, unit=u))),
    ("in|within|during|over next|coming UNIT", Kind.WINDOW, lambda u: _win(A.InNext(amount=1, unit=u))),
    ("in|over N UNIT", Kind.WINDOW, lambda n, u: _win(A.InLast(amount=n, unit=u), bare=True)),
    ("N UNIT", Kind.WINDOW, lambda n, u: _win(A.InLast(amount=n, unit=u), bare=True)),  # terse: "shoe buyers 30d"
    ("coming_up|upcoming this_week|next_week", Kind.WINDOW, lambda: _win(A.InNext(amount=7, unit="day"))),
    ("in|during|within that|this|same time|period|window", Kind.SAME_WINDOW, lambda: {}),
    ("in|during|within|over ?that|this same time|period|window|timeframe|time_frame|stretch", Kind.SAME_WINDOW,
     lambda: {}),
    ("?in|during|within|over that week|weekend|day|month|quarter|year|season", Kind.SAME_WINDOW, lambda: {}),
    # "spent more than $200 across those two months": the months said before, not the last two
    ("?in|during|within|over|across those|these N UNIT", Kind.SAME_WINDOW, lambda n, u: {}),
    ("since_then|since_that_time", Kind.SAME_WINDOW, lambda: {"after": True}),
    ("since that|this weekend|day|date|week|month|period|sale|holiday", Kind.SAME_WINDOW, lambda: {"after": True}),
    # calendar periods of the as-of date
    ("?so_far this|current week", Kind.WINDOW, lambda: _cal("this", "week")),
    ("?so_far this|current month", Kind.WINDOW, lambda: _cal("this", "month")),
    ("?so_far this|current quarter", Kind.WINDOW, lambda: _cal("this", "quarter")),
    ("last|previous quarter", Kind.WINDOW, lambda: _cal("previous", "quarter")),
    ("this_year|so_far_this_year|year_to_date|ytd|since_start_of_year|since_start_of_this_year"
     "|since_beginning_of_year|since_beginning_of_this_year", Kind.WINDOW, lambda: _cal("this", "year")),
    ("today", Kind.WINDOW, lambda: _cal("this", "day")),
    ("yesterday", Kind.WINDOW, lambda: _cal("previous", "day")),
    ("?on|over|during last|previous|past weekend", Kind.WINDOW, lambda: _cal("previous", "weekend")),
    ("this_past_weekend|over_weekend", Kind.WINDOW, lambda: _cal("previous", "weekend")),
    ("in|during|over|throughout MONTH", Kind.WINDOW, lambda m: _named(m)),
    ("in|during|over|throughout MONTH last_year|previous_year", Kind.WINDOW, lambda m: _named(m, "last")),
    ("in|during|over|throughout MONTH this_year", Kind.WINDOW, lambda m: _named(m, "this")),
    ("in|during|over|throughout MONTH or|and|to|through MONTH", Kind.WINDOW, lambda a, b: _win(None, months=(a, b, None))),
    ("MONTH to|through|until MONTH", Kind.WINDOW, lambda a, b: _win(None, months=(a, b, None))),  # "June through August"
    *_season_phrases(),
    ("in|during|over|throughout MONTH or|and|to|through MONTH last_year|previous_year", Kind.WINDOW,
     lambda a, b: _win(None, months=(a, b, "last"))),
    ("in|during|over|throughout MONTH or|and|to|through MONTH this_year", Kind.WINDOW,
     lambda a, b: _win(None, months=(a, b, "this"))),
    *_holiday_phrases(),
    *_named_day_spans(),
    # "haven't bought in a while": a window with no length; read as 90 days, and asked about
    ("in|for a_while|while|ages|forever|a_long_time|long_time|a_long_while|long_while|some_time|quite_a_while"
     "|quite_while|quite_some_time", Kind.WINDOW,
     lambda: _win(A.InLast(amount=90, unit="day"), guess="how long? (read as the last 90 days)")),
    ("?in|within|during|over|for last|past|previous fortnight", Kind.WINDOW, lambda: _win(A.InLast(amount=2, unit="week"))),
    # no span of time is said: built with the last 30 days, and asked about ("recently" means a week to a year)
    ("recently|lately|recent", Kind.WINDOW, lambda: _win(A.InLast(amount=30, unit="day"),
                                                         guess="the last 30 days, or another span of time?")),
    ("over|more_than|at_least|over N UNIT " + AGO, Kind.WINDOW, lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("over|more_than|at_least UNIT " + AGO, Kind.WINDOW, lambda u: _win(A.MoreThanAgo(amount=1, unit=u))),
    ("N + UNIT " + AGO, Kind.WINDOW, lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    # "Last Purchase Date older than 1 year", "> 30 days ago": more than that long ago
    ("older_than|>|>= N UNIT ?ago", Kind.WINDOW, lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("N or_more UNIT " + AGO, Kind.WINDOW, lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("N UNIT " + AGO + " or_more|or_longer|or_earlier|or_before|plus", Kind.WINDOW,
     lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("N UNIT " + AGO, Kind.WINDOW, lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u),
                                                 f"'{n} {u}s ago' read as more than {n} {u}s ago")),
    ("less_than|under|within|< N UNIT " + AGO, Kind.WINDOW, lambda n, u: _win(A.InLast(amount=n, unit=u))),
    ("?between|from N and|to N UNIT " + AGO, Kind.WINDOW,
     lambda a, b, u: _win(A.BetweenAgo(low=min(a, b), high=max(a, b), unit=u))),
    ("before|prior_to|until DATE", Kind.WINDOW, _dated(lambda d: A.Before(at=d))),
    ("on_or_after|since|from|after DATE", Kind.WINDOW, _dated(lambda d: A.After(at=d))),
    # "since March": from the first day of the most recent March (a month said with its year: of that year)
    ("since|since_start_of|since_beginning_of MONTH", Kind.WINDOW, lambda m: _dated(lambda d: A.After(at=d))(
        f"{YEARLESS}{MONTHS[m]:02d}-01")),
    ("between|from DATE and|to|until DATE", Kind.WINDOW, _dated(lambda a, b: A.BetweenDates(start=a, end=b))),
    ("on DATE", Kind.WINDOW, _dated(lambda d: A.OnDate(day=d))),
    ("DATE to|until|through DATE", Kind.WINDOW, _dated(lambda a, b: A.BetweenDates(start=a, end=b))),
    ("in|during YEAR", Kind.WINDOW, lambda y: _win(A.BetweenDates(start=y, end=_year_end(y)))),
    # windows anchored on a person's own dates: 'within 7 days of signing up'; 'within 30 days after their trial
    # started' is a within that the rule anchored_events joins to the event after it ('of', or 'after their': not 'after that')
    ("within|in N UNIT of|after|from " + SIGNUP, Kind.WINDOW, lambda n, u: _win(None, anchor=("signup", n, u))),
    ("within|in UNIT of|after|from " + SIGNUP, Kind.WINDOW, lambda u: _win(None, anchor=("signup", 1, u))),
    # "within their first 7 days after signing up": the first days said with what they follow
    ("in|during|within|over ?their first N UNIT of|after|from " + SIGNUP, Kind.WINDOW,
     lambda n, u: _win(None, anchor=("signup", n, u))),
    ("in|during|within|over ?their first UNIT of|after|from " + SIGNUP, Kind.WINDOW,
     lambda u: _win(None, anchor=("signup", 1, u))),
    # "in their first 30 days", "during their first week": a person's own first days are those after sign-up
    ("in|during|within|over their first N UNIT", Kind.WINDOW, lambda n, u: _win(
        None, anchor=("signup", n, u), note=f"'their first {n} {u}s' read as the {n} {u}s after sign-up")),
    ("in|during|within|over their first UNIT", Kind.WINDOW, lambda u: _win(
        None, anchor=("signup", 1, u), note=f"'their first {u}' read as the {u} after sign-up")),
    *((f"within {n}UNIT {tail}", Kind.WITHIN, lambda *a: {"duration": A.Duration(amount=a[0] if len(a) > 1 else 1,
                                                                                    unit=a[-1]), "anchor_next": True})
      for n in ("N ", "") for tail in ("of ?their", "after|from their")),
    ("within N UNIT", Kind.WITHIN, lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    ("within UNIT", Kind.WITHIN, lambda u: {"duration": A.Duration(amount=1, unit=u)}),
    ("for N UNIT", Kind.FOR, lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    # "(been with us) for at least 6 months": with no event in its clause, how long they have been a contact
    ("for at_least|over|more_than|longer_than N UNIT", Kind.FOR,
     lambda n, u: {"duration": A.Duration(amount=n, unit=u), "tenure": True}),
    ("for at_least|over|more_than|longer_than UNIT", Kind.FOR,
     lambda u: {"duration": A.Duration(amount=1, unit=u), "tenure": True}),
    ("after|following ?gap_of|break_of|pause_of N UNIT ?away|break|gap|pause|off|absence|of_inactivity|silence|without",
     Kind.GAP, lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    # "after being gone 30 days", "after staying quiet for over a month": a gap said of the person
    ("after|following being|staying|going|having_been gone|away|quiet|inactive|absent|dormant|silent|idle|off "
     "?for ?at_least|over|more_than|longer_than N UNIT ?or_more|or_longer|plus", Kind.GAP,
     lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    ("after|following being|staying|going|having_been gone|away|quiet|inactive|absent|dormant|silent|idle|off "
     "?for ?at_least|over|more_than|longer_than UNIT", Kind.GAP, lambda u: {"duration": A.Duration(amount=1, unit=u)}),
    ("after_not|after_no", Kind.GAP_NOT, lambda: {}),
    ("ever|at_any_time|at_some_point|all_time|over_all_time|of_all_time|lifetime|in_their_lifetime|at_all", Kind.EVER, lambda: {}),
    # counts (with "times")
    ("at_least|minimum|min N time|times", Kind.COUNT, lambda n: _count("at_least", n)),
    ("N + time|times", Kind.COUNT, lambda n: _count("at_least", n)),
    ("N or_more time|times", Kind.COUNT, lambda n: _count("at_least", n)),
    ("N time|times or_more|or_above|plus", Kind.COUNT, lambda n: _count("at_least", n)),
    ("N time|times or_fewer|or_less", Kind.COUNT, lambda n: _count("at_most", n)),
    ("more_than|over N time|times", Kind.COUNT, lambda n: _count("at_least", n + 1)),
    ("N to N time|times", Kind.COUNT, lambda a, b: _count("between", min(a, b), max(a, b))),
    ("fewer_than|less_than N time|times", Kind.COUNT, lambda n: _count("at_most", max(n - 1, 0))),
    ("at_most|no_more_than|up_to|max|maximum N time|times", Kind.COUNT, lambda n: _count("at_most", n)),
    ("N or_fewer|or_less time|times", Kind.COUNT, lambda n: _count("at_most", n)),
    ("?exactly|only|just N time|times", Kind.COUNT, lambda n: _count("exactly", n)),
    ("between|from N and|to N time|times", Kind.COUNT, lambda a, b: _count("between", min(a, b), max(a, b))),
    ("?exactly|only|just once", Kind.COUNT, lambda: _count("exactly", 1)),
    ("?exactly|only|just twice", Kind.COUNT, lambda: _count("exactly", 2)),
    ("at_least once", Kind.COUNT, lambda: _count("at_least", 1)),
    ("at_least_twice|twice_or_more|2_or_more_times", Kind.COUNT, lambda: _count("at_least", 2)),
    ("at_most once", Kind.COUNT, lambda: _count("at_most", 1)),
    ("more_than_once|more_than_1_time|repeatedly|again_and_again", Kind.COUNT, lambda: _count("at_least", 2)),
    ("more_than_twice", Kind.COUNT, lambda: _count("at_least", 3)),
    ("less_than_twice|fewer_than_twice", Kind.COUNT, lambda: _count("at_most", 1)),
    ("multiple|several|many ?time|times", Kind.COUNT,
     lambda: _count("at_least", 2, note="'multiple' read as at least 2 times")),
    # comparisons of numbers (counts of events before an event noun, property values, aggregates)
    ("at_least|minimum|min|no_less_than|>= X", Kind.CMP, lambda x: {"op": ">=", "value": x}),
    ("X or_more|+|and_up|or_higher|plus|or_above", Kind.CMP, lambda x: {"op": ">=", "value": x}),
    ("more_than|over|above|greater_than|exceeding|exceeds|exceeded|higher_than|bigger_than|> X", Kind.CMP,
     lambda x: {"op": ">", "value": x}),
    ("at_most|no_more_than|up_to|maximum|max|<= X", Kind.CMP, lambda x: {"op": "<=", "value": x}),
    ("X or_less|or_fewer|or_lower|or_below", Kind.CMP, lambda x: {"op": "<=", "value": x}),
    ("less_than|under|below|fewer_than|lower_than|smaller_than|< X", Kind.CMP, lambda x: {"op": "<", "value": x}),
    ("exactly|equal_to|equals|= X", Kind.CMP, lambda x: {"op": "=", "value": x}),
    ("between|from X and|to X", Kind.RANGE, lambda a, b: {"low": min(a, b), "high": max(a, b)}),
    ("X to X", Kind.RANGE, lambda a, b: {"low": min(a, b), "high": max(a, b)}),
    ("X", Kind.NUM, lambda x: {"value": x}),
    # text matching
    ("containing|contains|contain|including|includes|include|mentioning|mentions STR", Kind.TEXT,
     lambda s: {"op": "contains", "value": s}),
    ("not_containing|not_contain|not_contains|not_including|not_include STR", Kind.TEXT,
     lambda s: {"op": "not_contains", "value": s}),
    ("starting|starts|start|beginning|begins|begin with STR", Kind.TEXT, lambda s: {"op": "starts_with", "value": s}),
    ("ending|ends|end with STR", Kind.TEXT, lambda s: {"op": "ends_with", "value": s}),
    # presence
    ("is|are set|present|known|filled|provided|available", Kind.IS_SET, lambda: {"negated": False}),
    ("is|are not set|present|known|filled|provided|available", Kind.IS_SET, lambda: {"negated": True}),
    ("is|are missing|empty|unknown|blank|null", Kind.IS_SET, lambda: {"negated": True}),
    # as CRM filters write it: "Birthday = unknown", "DOB is not null"
    ("= missing|empty|unknown|blank|null|none", Kind.IS_SET, lambda: {"negated": True}),
    ("= known|set|present", Kind.IS_SET, lambda: {"negated": False}),
    ("is|are not null|empty|blank|missing|unknown", Kind.IS_SET, lambda: {"negated": False}),
    ("we_know|on_file|on_record", Kind.IS_SET, lambda: {"negated": False}),
    ("missing", Kind.IS_SET, lambda: {"negated": True}),
    ("is|=|equals|equal_to|named|called QSTR", Kind.EQUALS, lambda s: {"value": s}),
    # negation and connectives
    ("not|no|never|none|neither|non|nobody|zero|outside|outside_of", Kind.NEG, lambda: {}),
    # a negative object ("bought nothing in May"): the rule negative_objects moves it before its verb
    ("nothing|nothing_at_all", Kind.NEG, lambda: {"object": True}),
    ("did|does|do|have|has|had|is|are|was|were not", Kind.NEG, lambda: {"past": True}),
    ("never_have|have_never|has_never|not_yet|never_ever|never_once|not_once|not_even_once", Kind.NEG, lambda: {}),
    ("without", Kind.NEG, lambda: {"without": True}),
    ("no_longer|not_anymore|anymore|any_more", Kind.STOPPED, lambda: {}),
    ("only|only_ever|ever_only|exclusively|solely", Kind.ONLY, lambda: {}),
    # "every order was over $80", "whose orders were all discounted": each of them, so no other kind
    ("every|every_single|all|all_of_their|each|each_of_their", Kind.ONLY, lambda: {"each": True}),
    ("allof", Kind.ALL_OF, lambda: {}),  # 'both' / 'all' before a window (text.tokenize marks it)
    ("and|as_well_as|plus|&", Kind.CONJ, lambda: {"op": "and"}),
    ("but|yet|while|although|though|even_though|even_if|even_so", Kind.CONJ, lambda: {"op": "but"}),
    ("or|nor|and/or", Kind.CONJ, lambda: {"op": "or"}),
    ("plus|and|or|as_well_as ?also anyone|anybody|everyone|everybody", Kind.CONJ, lambda: {"op": "or"}),  # a union
    (",", Kind.CONJ, lambda: {"op": ","}),
    # a line, a semicolon or a sentence's end: criteria listed one by one, each its own (see clauses.combine)
    (";", Kind.CONJ, lambda: {"op": ";"}),
    # "shoes or apparel but not both": an exclusive or, which the reading does not build: asked
    ("but_not_both|not_both|but_never_both|never_both|but_not_all_of_them", Kind.CONJ, lambda: {"op": "not_both"}),
    ("except|except_for|excepting|excluding|exclude|exclusions|exclusion|suppression|suppressions|suppress"
     "|do_not_include|dont_include|other_than|apart_from|but_not|minus|unless|save_for|leave_out|leaving_out"
     "|but_leave_out|but_exclude|not_including|but_not_including|drop_anyone|drop_everyone|drop_those|drop_people"
     "|remove_anyone|remove_everyone|remove_those|remove_people|take_out_anyone|filter_out|filter_out_anyone"
     "|suppress_anyone|suppress_those", Kind.CONJ,
     lambda: {"op": "except"}),
    ("then|and_then|followed_by|later|and_later|subsequently|and_after_that", Kind.THEN, lambda: {}),
    ("after_it|after_that|afterwards|after_this|since", Kind.THEN_TAIL, lambda: {}),  # "... and no order since"
    # first / last
    ("last|latest|most_recent|final|newest", Kind.WHICH, lambda: {"which": "last"}),
    ("first|earliest|initial|first_ever|very_first", Kind.WHICH, lambda: {"which": "first"}),
    ("for_first_time|for_first_time_ever", Kind.WHICH, lambda: {"which": "first"}),
    # regular / stopped / restarted
    ("?in|on at_least N of|out_of last|past N UNIT", Kind.REGULAR, lambda k, n, u: {"k": k, "n": n, "unit": u}),
    ("in|on ?each_of|every last|past N UNIT", Kind.REGULAR, lambda n, u: {"k": n, "n": n, "unit": u}),
    ("in|on each_of|every_one_of last|past N UNIT", Kind.REGULAR, lambda n, u: {"k": n, "n": n, "unit": u}),
    ("every|each UNIT for|in|over|during last|past N UNIT", Kind.REGULAR,
     lambda u, n, u2: {"k": n, "n": n, "unit": u2}),
    ("used_to|previously|formerly|before_but|in_past_but|once_used_to", Kind.USED_TO, lambda: {}),
    ("stopped|stop|quit|ceased|lapsed|stopped_using|churned|went_quiet|gone_quiet|went_silent|gone_silent",
     Kind.STOPPED, lambda: {}),
    ("came_back|come_back|coming_back|returned|restarted|resumed|again|reactivated|back", Kind.RESTARTED, lambda: {}),
    # rank
    ("top|best|highest N %|percent", Kind.RANK, lambda n: {"direction": "top", "amount": n, "percent": True}),
    ("bottom|lowest|worst N %|percent", Kind.RANK, lambda n: {"direction": "bottom", "amount": n, "percent": True}),
    # "top decile", "bottom quartile", "top half": a fraction of the ranked people, as a percentage
    *((f"{words} {name}", Kind.RANK, lambda d=direction, p=pct: {"direction": d, "amount": p, "percent": True})
      for direction, words in (("top", "top|best|highest|upper"), ("bottom", "bottom|lowest|worst|lower"))
      for name, pct in (("decile|tenth", 10), ("quintile|fifth", 20), ("quartile|quarter", 25), ("half", 50))),
    ("top|best N", Kind.RANK, lambda n: {"direction": "top", "amount": n, "percent": False}),
    ("bottom|lowest|worst N", Kind.RANK, lambda n: {"direction": "bottom", "amount": n, "percent": False}),
    ("N biggest|largest|top|best|highest", Kind.RANK, lambda n: {"direction": "top", "amount": n, "percent": False}),
    ("N smallest|lowest", Kind.RANK, lambda n: {"direction": "bottom", "amount": n, "percent": False}),
    ("most|the_most|most_often|most_frequently", Kind.MOST, lambda: {}),
    # aggregates
    ("total|sum|sum_of|in_total|combined|overall|altogether|all_time_total", Kind.AGG, lambda: {"func": "total"}),
    ("spent|spend|spends|spending|spender|spenders|paid|lifetime_value|ltv|clv|customer_lifetime_value"
     "|lifetime_spend|revenue", Kind.AGG, lambda: {"func": "total", "spend": True}),
    ("average|avg|mean|typical", Kind.AGG, lambda: {"func": "average"}),
    ("aov", Kind.AGG, lambda: {"func": "average", "spend": True}),
    ("minimum|smallest|lowest|cheapest", Kind.AGG, lambda: {"func": "min"}),
    ("maximum|largest|biggest|highest|most_expensive", Kind.AGG, lambda: {"func": "max"}),
    ("distinct|different|unique|separate|various", Kind.AGG, lambda: {"func": "count_distinct"}),
    ("number_of|count_of|how_many", Kind.COUNT_OF, lambda: {}),
    # proportions of a person's events: "most of their orders were discounted"
    ("most_of|majority_of|more_than_half_of|over_half_of", Kind.SHARE, lambda: {"op": ">", "value": 50}),
    ("at_least_half_of|half_or_more_of", Kind.SHARE, lambda: {"op": ">=", "value": 50}),
    ("less_than_half_of|under_half_of|fewer_than_half_of", Kind.SHARE, lambda: {"op": "<", "value": 50}),
    ("in_segment|segment_named|segment_called STR", Kind.SEGMENT_NAME, lambda s: {"name": s}),
]

_ALT_SLOTS = {"N", "X", "UNIT", "DATE", "YEAR", "MONTH", "STR", "QSTR", "HDAY", "BOUND"}


def _compile(pattern: str) -> list[tuple[bool, str | list[tuple[str, ...]]]]:
    out: list[tuple[bool, str | list[tuple[str, ...]]]] = []
    for part in pattern.split():
        optional = part.startswith("?")
        part = part.lstrip("?")
        out.append((optional, part if part in _ALT_SLOTS else [tuple(a.split("_")) for a in part.split("|")]))
    return out


COMPILED = [(_compile(p), kind, fn) for p, kind, fn in PHRASES]


def _as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def _slot(slot: str, tok: Token) -> tuple[bool, Any]:
    if slot == "N":
        ok = tok.kind == "num" and not tok.money and tok.number is not None and tok.number.is_integer()
        return ok, int(tok.number) if ok else None
    if slot == "X":
        return tok.kind == "num", _as_number(tok.number) if tok.kind == "num" else None
    if slot == "UNIT":
        return tok.kind == "word" and tok.text in UNITS, UNITS.get(tok.text)
    if slot == "DATE":
        if tok.kind == "date":
            return True, tok.text.upper() if "t" in tok.text else tok.text
        if tok.kind == "num" and tok.number is not None and 1900 <= tok.number <= 2100 and tok.text.isdigit():
            return True, f"{int(tok.number)}-01-01"
        return False, None
    if slot == "YEAR":
        ok = tok.kind == "num" and tok.text.isdigit() and len(tok.text) == 4 and 1900 <= int(tok.text) <= 2100
        return ok, f"{tok.text}-01-01" if ok else None
    if slot == "MONTH":
        return tok.kind == "word" and tok.text in MONTHS, tok.text
    if slot == "HDAY":
        return tok.kind == "word" and is_marked(tok.text), tok.text
    if slot == "BOUND":  # a named day or a day (with or without its year)
        ok = (tok.kind == "word" and is_marked(tok.text)) or (tok.kind == "date" and "t" not in tok.text)
        return ok, tok.text
    if slot == "QSTR":
        return tok.kind == "str", tok.orig
    if slot == "STR":
        return tok.kind in ("str", "word", "num"), tok.orig
    raise ValueError(slot)


def match(pattern, tokens: list[Token], i: int, caps: list) -> int | None:
    """Length of the longest match of `pattern` at tokens[i:], filling `caps` with slot values."""
    if not pattern:
        return 0
    (optional, want), rest = pattern[0], pattern[1:]
    best: int | None = None
    if isinstance(want, str):
        if i < len(tokens):
            ok, value = _slot(want, tokens[i])
            sub: list = []
            n = match(rest, tokens, i + 1, sub) if ok else None
            if n is not None:
                best = n + 1
                caps[:] = [value, *sub]
    else:
        for words in want:
            if all(i + k < len(tokens) and tokens[i + k].kind != "str" and tokens[i + k].text == w
                   for k, w in enumerate(words)):
                sub = []
                n = match(rest, tokens, i + len(words), sub)
                if n is not None and (best is None or n + len(words) > best):
                    best = n + len(words)
                    caps[:] = sub
    if optional:
        sub = []
        n = match(rest, tokens, i, sub)
        if n is not None and (best is None or n > best):
            best = n
            caps[:] = sub
    return best
