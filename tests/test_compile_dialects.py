"""The compiler across dialects and engines: PostgreSQL selects the same members as DuckDB; every dialect's
SQL parses back with sqlglot; hostile strings stay data; boolean algebra holds on real data (hypothesis)."""

from typing import get_args

import duckdb
import psycopg
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.data.preview import Database, member_ids
from grammar import ast as A
from grammar.check import check
from grammar.compile import DIALECTS, compile_segment
from grammar.format import format_segment
from grammar.parser import parse
from tests.test_compile_execution import CASES

HOSTILE = ["x'; DROP TABLE contacts;--", 'back\\slash \\\' \\" end', "Zoë", "José", "Łukasz", "%_wild_%", "\"quoted\"",
           "tab\there", "emoji 🎯", "$$dollar$$", "/* comment */", "') OR 1=1 --"]


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(CASES))
def test_postgres_selects_the_same_members_as_duckdb(name, pg_demo, demo_db, catalog, as_of):
    node = parse(CASES[name][0])
    on_duckdb = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    on_postgres = member_ids(Database(pg_demo), compile_segment(node, catalog, "postgres", as_of))
    assert on_postgres == on_duckdb


@pytest.mark.postgres
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_data_on_postgres(text, pg_demo, catalog, as_of):
    node = A.Or(conditions=[A.TraitCondition(trait="first_name", op="=", value=text),
                            A.TraitCondition(trait="city", op="contains", value=text)])
    db = Database(pg_demo)
    ids = member_ids(db, compile_segment(node, catalog, "postgres", as_of))
    with psycopg.connect(pg_demo) as conn:
        want = {r[0] for r in conn.execute(
            "SELECT contact_id FROM contacts WHERE first_name = %s OR strpos(lower(city), lower(%s)) > 0", (text, text))}
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2000
    assert ids == want


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_data_on_duckdb(text, demo_db, catalog, as_of):
    node = A.Or(conditions=[A.TraitCondition(trait="first_name", op="=", value=text),
                            A.TraitCondition(trait="email", op="ends_with", value=text)])
    ids = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    con = duckdb.connect(demo_db, read_only=True)
    want = {r[0] for r in con.execute("SELECT contact_id FROM contacts WHERE first_name = ? OR suffix(lower(email), lower(?))",
                                      [text, text]).fetchall()}
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2000
    assert ids == want


def test_unicode_names_are_found(demo_db, catalog, as_of):
    con = duckdb.connect(demo_db, read_only=True)
    names = [r[0] for r in con.execute("SELECT DISTINCT first_name FROM contacts WHERE first_name <> regexp_replace(first_name, '[^a-zA-Z]', '', 'g')").fetchall()]
    assert names, "the demo store should hold some non-ASCII first names"
    for name in names:
        ids = member_ids(Database(demo_db), compile_segment(A.TraitCondition(trait="first_name", op="=", value=name), catalog, "duckdb", as_of))
        assert ids == {r[0] for r in con.execute("SELECT contact_id FROM contacts WHERE first_name = ?", [name]).fetchall()}


# ---- hypothesis: catalog-valid segments ------------------------------------------------------------------

UNITS = st.sampled_from(["hour", "day", "week", "month"])
windows = st.one_of(
    st.none(),
    st.builds(A.InLast, amount=st.integers(1, 400), unit=UNITS),
    st.builds(A.MoreThanAgo, amount=st.integers(1, 400), unit=UNITS),
    st.integers(0, 200).flatmap(lambda lo: st.builds(A.BetweenAgo, low=st.just(lo), high=st.integers(lo, lo + 200), unit=UNITS)),
    st.dates().filter(lambda d: 2024 <= d.year <= 2027).map(lambda d: A.Before(at=d.isoformat())),
    st.builds(A.CalendarPeriod, which=st.sampled_from(["this", "previous"]),
              period=st.sampled_from(["day", "week", "weekend", "month", "quarter", "year"])),
    st.builds(A.NamedPeriod, name=st.sampled_from(get_args(A.NamedName)),
              year=st.sampled_from([None, "this", "last", 2024, 2025])),
)
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
categories = st.sampled_from(["shoes", "apparel", "home", "beauty", "flowers"])
order_filter = st.one_of(
    st.none(),
    st.builds(A.PropertyCondition, property=st.just("product_category"), op=st.just("in"), value=st.lists(categories, min_size=1, max_size=3)),
    st.builds(A.PropertyCondition, property=st.just("amount"), op=st.sampled_from([">", "<=", "!="]), value=st.integers(0, 400)),
    st.builds(A.FilterNot, condition=st.builds(A.PropertyCondition, property=st.just("discounted"), op=st.just("="), value=st.booleans())),
)
orders = st.builds(A.EventRef, name=st.just("order_completed"), where=order_filter)
any_event = st.one_of(orders, st.builds(A.EventRef, name=st.sampled_from(["email_opened", "app_opened", "cart_added", "page_viewed"])))
counts = st.one_of(st.none(), st.builds(A.Count, op=st.sampled_from(["at_least", "at_most", "exactly"]), n=st.integers(0, 6)))
leaves = st.one_of(
    st.builds(A.TraitCondition, trait=st.just("country"), op=st.just("in"), value=st.lists(st.sampled_from(["US", "DE", "GB", "JP"]), min_size=1, max_size=3)),
    st.builds(A.TraitCondition, trait=st.just("plan"), op=st.sampled_from(["=", "!="]), value=st.sampled_from(["free", "trial", "pro", "team"])),
    st.builds(A.TraitCondition, trait=st.sampled_from(["first_name", "city"]), op=st.sampled_from(["=", "contains", "starts_with", "not_contains"]), value=texts),
    st.builds(A.TraitCondition, trait=st.just("birthday"), op=st.sampled_from(["is_set", "is_not_set"])),
    st.builds(A.TraitTime, trait=st.just("signup_at"), window=windows.filter(lambda w: w is not None)),
    st.builds(A.Did, event=any_event, count=counts, window=windows),
    st.builds(A.Aggregate, func=st.sampled_from(["total", "average", "max"]), property=st.just("amount"), event=orders,
              window=windows, op=st.sampled_from([">", "<"]), value=st.integers(0, 800)),
    st.builds(A.Occurrence, which=st.sampled_from(["first", "last"]), event=any_event, window=windows.filter(lambda w: w is not None)),
    st.builds(A.Sequence, event=st.just(A.EventRef(name="cart_added")), window=windows,
              steps=st.lists(st.builds(A.SequenceStep, negated=st.booleans(), event=orders,
                                       within=st.builds(A.Duration, amount=st.integers(1, 10), unit=st.just("day"))), min_size=1, max_size=1)),
    st.builds(A.Rank, direction=st.sampled_from(["top", "bottom"]), amount=st.integers(1, 60), percent=st.booleans(),
              measure=st.builds(A.Measure, func=st.just("total"), property=st.just("amount"), event=orders)),
    st.builds(A.Stopped, event=any_event, duration=st.builds(A.Duration, amount=st.integers(1, 90), unit=st.just("day"))),
)
segments = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(A.And, conditions=st.lists(inner, min_size=2, max_size=3)),
        st.builds(A.Or, conditions=st.lists(inner, min_size=2, max_size=3)),
        st.builds(A.Not, condition=inner),
    ),
    max_leaves=5,
)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SLOW
@given(node=segments)
def test_generated_segments_compile_to_every_dialect_and_parse_back(node, catalog, as_of):
    # the generator may build 'x and not x', which check() rightly refuses; everything else must be valid
    assert [d for d in check(node, catalog) if d.severity == "error" and d.code != "contradiction"] == []
    assert parse(format_segment(node)) == node
    for dialect in DIALECTS:
        sql = compile_segment(node, catalog, dialect, as_of)
        reparsed = sqlglot.parse_one(sql, read=dialect)
        assert reparsed.find(sqlglot.exp.Select) is not None
    literals = {lit.this for lit in sqlglot.parse_one(compile_segment(node, catalog, "duckdb", as_of), read="duckdb").find_all(sqlglot.exp.Literal) if lit.is_string}
    for leaf in A.walk(node):
        if isinstance(leaf, A.TraitCondition) and leaf.op in ("=",) and isinstance(leaf.value, str):
            assert leaf.value in literals  # the string survived as one literal, byte for byte


@SLOW
@given(x=segments, y=segments)
def test_boolean_algebra_holds_on_real_data(x, y, demo_db, catalog, as_of):
    db = Database(demo_db)
    run = lambda node: member_ids(db, compile_segment(node, catalog, "duckdb", as_of))  # noqa: E731
    everyone = run(A.TraitCondition(trait="email", op="is_set")) | run(A.TraitCondition(trait="email", op="is_not_set"))
    mx, my = run(x), run(y)
    assert run(A.Not(condition=x)) == everyone - mx
    assert run(A.And(conditions=[x, y])) == mx & my
    assert run(A.Or(conditions=[x, y])) == mx | my


@pytest.mark.parametrize("dsl, shown", [
    ("did order_completed in last 999999999 days", "in last 999999999 days"),
    ("signup_at more than 2000 years ago", "more than 2000 years ago"),
    ("did order_completed within 5000 years after trial_started", "within 5000 years after trial_started"),
])
def test_a_window_longer_than_the_calendar_is_a_positioned_error_not_a_crash(dsl, shown, catalog):
    # its bound would fall before the year 1: the compiler's datetime arithmetic would overflow
    [error] = [d for d in check(parse(dsl), catalog) if d.severity == "error"]
    assert error.message == f"'{shown}' is longer than 1000 years: leave the window out for all of history"
    assert (error.line, error.end_line) == (1, 1)
    assert dsl[error.column - 1:error.end_column - 1] == shown


def test_a_window_of_a_thousand_years_still_compiles(catalog, as_of):
    assert "contact_id" in compile_segment(parse("did order_completed in last 1000 years"), catalog, "duckdb", as_of)
