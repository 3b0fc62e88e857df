"""Calendar windows (`in previous month`, `on black friday`, `yesterday`, ...): their bounds at month, quarter,
year and leap-year edges for several as-of instants, US holidays checked against known dates, and every form
run on the demo store against hand-written SQL (DuckDB, PostgreSQL) and compiled for every dialect."""

from datetime import date, datetime
from typing import get_args

import pytest
import sqlglot

from assistant.data.preview import Database, member_ids
from grammar import ast as A
from grammar import calendar as C
from grammar.check import check, validate
from grammar.errors import SegmentError
from grammar.compile import DIALECTS, compile_segment
from grammar.explain import explain
from grammar.format import format_segment
from grammar.parser import parse

MONDAY = datetime(2026, 10, 26)           # a Monday, 00:00
SUNDAY = datetime(2026, 11, 1)            # the demo as-of: a Sunday, 00:00
NEW_YEAR = datetime(2027, 1, 1, 10, 0)    # a Friday
LEAP = datetime(2024, 3, 1, 12, 0)        # the day after 29 February
NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 59)  # a Thursday


def d(*parts: int) -> datetime:
    return datetime(*parts)


def window(text: str) -> A.Node:
    return parse(f"did x {text}").window


@pytest.mark.parametrize("text, as_of, start, end", [
    # days
    ("today", MONDAY, d(2026, 10, 26), d(2026, 10, 27)),
    ("yesterday", MONDAY, d(2026, 10, 25), d(2026, 10, 26)),
    ("yesterday", NEW_YEAR, d(2026, 12, 31), d(2027, 1, 1)),
    ("yesterday", LEAP, d(2024, 2, 29), d(2024, 3, 1)),
    # ISO weeks start on Monday; a weekend is that week's Saturday and Sunday
    ("in this week", MONDAY, d(2026, 10, 26), d(2026, 11, 2)),
    ("in previous week", MONDAY, d(2026, 10, 19), d(2026, 10, 26)),
    ("in this week", SUNDAY, d(2026, 10, 26), d(2026, 11, 2)),
    ("in previous week", SUNDAY, d(2026, 10, 19), d(2026, 10, 26)),
    ("in this week", NEW_YEAR, d(2026, 12, 28), d(2027, 1, 4)),
    ("on previous weekend", MONDAY, d(2026, 10, 24), d(2026, 10, 26)),  # the weekend that just ended
    ("on previous weekend", SUNDAY, d(2026, 10, 24), d(2026, 10, 26)),  # not the one in progress
    ("on this weekend", SUNDAY, d(2026, 10, 31), d(2026, 11, 2)),
    ("on previous weekend", NEW_YEARS_EVE, d(2026, 12, 26), d(2026, 12, 28)),
    # months, quarters, years
    ("in this month", SUNDAY, d(2026, 11, 1), d(2026, 12, 1)),
    ("in previous month", SUNDAY, d(2026, 10, 1), d(2026, 11, 1)),
    ("in previous month", NEW_YEAR, d(2026, 12, 1), d(2027, 1, 1)),
    ("in previous month", LEAP, d(2024, 2, 1), d(2024, 3, 1)),
    ("in this month", NEW_YEARS_EVE, d(2026, 12, 1), d(2027, 1, 1)),
    ("in this quarter", SUNDAY, d(2026, 10, 1), d(2027, 1, 1)),
    ("in previous quarter", SUNDAY, d(2026, 7, 1), d(2026, 10, 1)),
    ("in previous quarter", NEW_YEAR, d(2026, 10, 1), d(2027, 1, 1)),
    ("in this quarter", LEAP, d(2024, 1, 1), d(2024, 4, 1)),
    ("in this year", SUNDAY, d(2026, 1, 1), d(2027, 1, 1)),
    ("in previous year", NEW_YEAR, d(2026, 1, 1), d(2027, 1, 1)),
    ("in previous year", NEW_YEARS_EVE, d(2025, 1, 1), d(2026, 1, 1)),
    # a month without a year: the most recent one that began before as-of
    ("in november", SUNDAY, d(2025, 11, 1), d(2025, 12, 1)),  # November 2026 begins at as-of: not yet
    ("in october", SUNDAY, d(2026, 10, 1), d(2026, 11, 1)),
    ("in february", LEAP, d(2024, 2, 1), d(2024, 3, 1)),
    ("in march", LEAP, d(2024, 3, 1), d(2024, 4, 1)),
    ("in december", NEW_YEAR, d(2026, 12, 1), d(2027, 1, 1)),
    ("in november of this year", SUNDAY, d(2026, 11, 1), d(2026, 12, 1)),
    ("in november of last year", SUNDAY, d(2025, 11, 1), d(2025, 12, 1)),
    ("in february of 2023", LEAP, d(2023, 2, 1), d(2023, 3, 1)),
    # named days
    ("on black friday", SUNDAY, d(2025, 11, 28), d(2025, 11, 29)),
    ("on black friday of this year", SUNDAY, d(2026, 11, 27), d(2026, 11, 28)),
    ("on black friday of last year", NEW_YEAR, d(2026, 11, 27), d(2026, 11, 28)),
    ("on cyber monday", SUNDAY, d(2025, 12, 1), d(2025, 12, 2)),
    ("on christmas", NEW_YEARS_EVE, d(2026, 12, 25), d(2026, 12, 26)),
    ("on christmas", SUNDAY, d(2025, 12, 25), d(2025, 12, 26)),
    ("on valentines day", LEAP, d(2024, 2, 14), d(2024, 2, 15)),
    ("on labor day", SUNDAY, d(2026, 9, 7), d(2026, 9, 8)),
    ("in holiday season", SUNDAY, d(2025, 11, 28), d(2026, 1, 1)),
    ("in holiday season", NEW_YEARS_EVE, d(2026, 11, 27), d(2027, 1, 1)),
    ("in holiday season of 2024", SUNDAY, d(2024, 11, 29), d(2025, 1, 1)),
])
def test_bounds(text, as_of, start, end):
    assert C.bounds(window(text), as_of) == (start, end)


@pytest.mark.parametrize("year, thanksgiving, labor_day, cyber_monday", [
    (2024, date(2024, 11, 28), date(2024, 9, 2), date(2024, 12, 2)),
    (2025, date(2025, 11, 27), date(2025, 9, 1), date(2025, 12, 1)),
    (2026, date(2026, 11, 26), date(2026, 9, 7), date(2026, 11, 30)),
    (2027, date(2027, 11, 25), date(2027, 9, 6), date(2027, 11, 29)),
])
def test_us_holidays(year, thanksgiving, labor_day, cyber_monday):
    assert C.holiday_day("thanksgiving", year) == thanksgiving
    assert C.holiday_day("black_friday", year) == date(year, thanksgiving.month, thanksgiving.day + 1)
    assert C.holiday_day("cyber_monday", year) == cyber_monday
    assert C.holiday_day("labor_day", year) == labor_day
    assert C.holiday_day("christmas", year) == date(year, 12, 25)  # never the observed weekday
    assert C.holiday_day("valentines_day", year) == date(year, 2, 14)


@pytest.mark.parametrize("year, memorial, mothers, fathers, easter", [
    (2024, date(2024, 5, 27), date(2024, 5, 12), date(2024, 6, 16), date(2024, 3, 31)),
    (2025, date(2025, 5, 26), date(2025, 5, 11), date(2025, 6, 15), date(2025, 4, 20)),
    (2026, date(2026, 5, 25), date(2026, 5, 10), date(2026, 6, 21), date(2026, 4, 5)),
    (2027, date(2027, 5, 31), date(2027, 5, 9), date(2027, 6, 20), date(2027, 3, 28)),
])
def test_more_named_days(year, memorial, mothers, fathers, easter):
    assert C.holiday_day("memorial_day", year) == memorial
    assert C.holiday_day("mothers_day", year) == mothers
    assert C.holiday_day("fathers_day", year) == fathers
    assert C.holiday_day("easter", year) == easter
    assert C.holiday_day("halloween", year) == date(year, 10, 31)
    assert C.holiday_day("new_years_eve", year) == date(year, 12, 31)
    assert C.holiday_day("new_years_day", year) == date(year, 1, 1)
    assert C.holiday_day("independence_day", year) == date(year, 7, 4)  # never the observed weekday


def test_the_ast_lists_the_calendar_module_names():
    assert get_args(A.NamedName) == C.MONTHS + C.HOLIDAYS


@pytest.mark.parametrize("text", ["did x IN Previous Month", "did x On Black FRIDAY Of Last Year", "did x Today",
                                  "did x in HOLIDAY season of 2025"])
def test_keywords_in_any_case(text):
    assert format_segment(parse(text)) == text.lower()


@pytest.mark.parametrize("text, message", [
    ("did x on black_friday", "unexpected 'black_friday'"),  # a name, not the day
    ("did x in previous weekend", "unexpected 'weekend'"),
    ("did x on november", "unexpected 'november'"),
    ("did x in november of 1850", "greater than or equal to 1900"),
])
def test_malformed_calendar_windows(text, message):
    from grammar.errors import SegmentError

    with pytest.raises(SegmentError, match=message):
        parse(text)


def test_names_that_start_with_calendar_words_stay_whole():
    node = parse("did weekend_orders in previous month and todays_total > 1 and did may_promo on christmas")
    assert [n.event.name for n in node.conditions if isinstance(n, A.Did)] == ["weekend_orders", "may_promo"]
    assert node.conditions[1].trait == "todays_total"
    from grammar.errors import SegmentError

    with pytest.raises(SegmentError, match="unexpected 'Christmas_sales'"):
        parse("did x on Christmas_sales")  # never `Christmas` + `_sales`


def test_a_window_after_as_of_is_a_warning(catalog):
    future = parse("did order_completed in november of this year")
    warnings = [w for w in check(future, catalog, as_of=datetime(2026, 3, 1)) if w.code == "window"]
    assert [w.severity for w in warnings] == ["warning"] and "after the as-of" in warnings[0].message
    assert check(future, catalog, as_of=SUNDAY) == []
    assert check(parse("signup_at in november of this year"), catalog, as_of=datetime(2026, 3, 1)) == []  # traits may


@pytest.mark.parametrize("text, reading", [
    ("did order_completed in previous month", "in October 2026 (the previous month)"),
    ("did order_completed in this year", "in 2026 (the current year)"),
    ("did order_completed in previous quarter", "in Q3 2026 (the previous quarter)"),
    ("did order_completed on previous weekend", "on the weekend of 24 to 25 October 2026 (the previous weekend)"),
    ("did order_completed yesterday", "yesterday (31 October 2026)"),
    ("did order_completed in november", "in November 2025 (the most recent November)"),
    ("did order_completed on black friday", "on Black Friday 2025 (28 November 2025)"),
    ("did order_completed in holiday season of 2024", "in the holiday season 2024 (29 November to 31 December 2024)"),
])
def test_explain_names_the_dates(text, reading, catalog):
    assert explain(parse(text), catalog, as_of=SUNDAY).endswith(reading)
    assert "20" not in explain(parse(text), catalog).replace("2024", "")  # without as-of: no dates


# ---- on the demo store -----------------------------------------------------------------------------------

AS_OF = "TIMESTAMP '2026-11-01 00:00:00'"


def ev(event: str, start: str, end: str, cap: str = AS_OF) -> str:
    return (f"SELECT DISTINCT contact_id FROM events WHERE event = '{event}' AND occurred_at >= TIMESTAMP '{start}' "
            f"AND occurred_at < TIMESTAMP '{end}' AND occurred_at <= {cap}")


EVENING = datetime(2026, 10, 31, 18, 0)
CASES = {
    "previous_month": ("did order_completed in previous month", SUNDAY, ev("order_completed", "2026-10-01", "2026-11-01")),
    "this_month": ("did order_completed in this month", datetime(2026, 10, 20, 12), ev(
        "order_completed", "2026-10-01", "2026-11-01", "TIMESTAMP '2026-10-20 12:00:00'")),
    "previous_week": ("did order_completed in previous week", SUNDAY, ev("order_completed", "2026-10-19", "2026-10-26")),
    "this_week": ("did page_viewed in this week", SUNDAY, ev("page_viewed", "2026-10-26", "2026-11-02")),
    "previous_quarter": ("did order_completed in previous quarter", SUNDAY, ev("order_completed", "2026-07-01", "2026-10-01")),
    "this_quarter_count": ("did order_completed at least 2 times in this quarter", SUNDAY,
                           "SELECT contact_id FROM events WHERE event = 'order_completed' AND occurred_at >= "
                           f"TIMESTAMP '2026-10-01' AND occurred_at <= {AS_OF} GROUP BY 1 HAVING count(*) >= 2"),
    "previous_year_total": ("total amount of order_completed in previous year > 300", SUNDAY,
                            "SELECT contact_id FROM events WHERE event = 'order_completed' AND year(occurred_at) = 2025 "
                            "GROUP BY 1 HAVING sum(amount) > 300"),
    "year_to_date": ("did order_completed in this year", SUNDAY, ev("order_completed", "2026-01-01", "2027-01-01")),
    "previous_weekend": ("did page_viewed on previous weekend", SUNDAY, ev("page_viewed", "2026-10-24", "2026-10-26")),
    "yesterday": ("did page_viewed yesterday", SUNDAY, ev("page_viewed", "2026-10-31", "2026-11-01")),
    "today": ("did page_viewed today", EVENING, ev("page_viewed", "2026-10-31", "2026-11-01",
                                                  "TIMESTAMP '2026-10-31 18:00:00'")),
    "november": ("did order_completed in november", SUNDAY, ev("order_completed", "2025-11-01", "2025-12-01")),
    "march_this_year": ("did order_completed in march of this year", SUNDAY, ev("order_completed", "2026-03-01", "2026-04-01")),
    "months_or": ("did order_completed in november of last year or did order_completed in december of last year", SUNDAY,
                  ev("order_completed", "2025-11-01", "2026-01-01")),
    "black_friday": ("did order_completed on black friday", SUNDAY, ev("order_completed", "2025-11-28", "2025-11-29")),
    "black_friday_2024": ("did page_viewed on black friday of 2024", SUNDAY, ev("page_viewed", "2024-11-29", "2024-11-30")),
    "cyber_monday": ("did page_viewed on cyber monday", SUNDAY, ev("page_viewed", "2025-12-01", "2025-12-02")),
    "christmas": ("did page_viewed on christmas", SUNDAY, ev("page_viewed", "2025-12-25", "2025-12-26")),
    "thanksgiving": ("did page_viewed on thanksgiving", SUNDAY, ev("page_viewed", "2025-11-27", "2025-11-28")),
    "valentines": ("did page_viewed on valentines day", SUNDAY, ev("page_viewed", "2026-02-14", "2026-02-15")),
    "labor_day": ("did page_viewed on labor day", SUNDAY, ev("page_viewed", "2026-09-07", "2026-09-08")),
    "halloween": ("did page_viewed on halloween", SUNDAY, ev("page_viewed", "2026-10-31", "2026-11-01")),
    "new_years_eve": ("did page_viewed on new years eve", SUNDAY, ev("page_viewed", "2025-12-31", "2026-01-01")),
    "new_years_day_2025": ("did page_viewed on new years day of 2025", SUNDAY,
                           ev("page_viewed", "2025-01-01", "2025-01-02")),
    "independence_day": ("did page_viewed on independence day", SUNDAY, ev("page_viewed", "2026-07-04", "2026-07-05")),
    "memorial_day": ("did page_viewed on memorial day", SUNDAY, ev("page_viewed", "2026-05-25", "2026-05-26")),
    "mothers_day": ("did page_viewed on mothers day of last year", SUNDAY, ev("page_viewed", "2025-05-11", "2025-05-12")),
    "fathers_day": ("did page_viewed on fathers day", SUNDAY, ev("page_viewed", "2026-06-21", "2026-06-22")),
    "easter": ("did page_viewed on easter", SUNDAY, ev("page_viewed", "2026-04-05", "2026-04-06")),
    "holiday_season": ("did order_completed in holiday season of last year", SUNDAY,
                       ev("order_completed", "2025-11-28", "2026-01-01")),
    "did_not": ("did not email_opened in previous month", SUNDAY,
                "SELECT contact_id FROM contacts EXCEPT " + ev("email_opened", "2026-10-01", "2026-11-01")),
    "first": ("first order_completed in previous quarter", SUNDAY,
              "SELECT contact_id FROM events WHERE event = 'order_completed' GROUP BY 1 HAVING min(occurred_at) >= "
              "TIMESTAMP '2026-07-01' AND min(occurred_at) < TIMESTAMP '2026-10-01'"),
    "signup": ("signup_at in previous month", SUNDAY, "SELECT contact_id FROM contacts WHERE signup_at >= "
               "TIMESTAMP '2026-10-01' AND signup_at < TIMESTAMP '2026-11-01'"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_calendar_windows_match_reference_sql(name, demo_db, catalog):
    text, as_of, reference = CASES[name]
    node, _ = validate(text, catalog)
    db = Database(demo_db)
    got = member_ids(db, compile_segment(node, catalog, "duckdb", as_of))
    want = member_ids(db, reference)
    assert got == want
    assert want and len(want) < 2000, f"{name}: pick a sharper case"


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(CASES))
def test_postgres_selects_the_same_members_as_duckdb(name, pg_demo, demo_db, catalog):
    text, as_of, _ = CASES[name]
    node = parse(text)
    on_duckdb = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    assert member_ids(Database(pg_demo), compile_segment(node, catalog, "postgres", as_of)) == on_duckdb


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(dialect, catalog):
    for text, as_of, _ in CASES.values():
        sql = compile_segment(parse(text), catalog, dialect, as_of)
        assert sqlglot.parse_one(sql, read=dialect).find(sqlglot.exp.Select) is not None


def test_a_year_the_calendar_cannot_place_is_a_positioned_error_not_a_crash(catalog):
    """The `holidays` package knows US holidays up to 2100: a later year was a stack trace in check."""
    with pytest.raises(SegmentError) as err:
        validate("did order_completed on christmas of 2102", catalog)
    d = err.value.diagnostics[0]
    assert (d.line, d.column) == (1, 21) and "2100" in d.message
    node, _ = validate("did order_completed on thanksgiving of 2100", catalog)
    assert C.holiday_day("thanksgiving", 2100) == date(2100, 11, 25)
