"""Rankings planned in buckets (Spark: `grammar/compile/ranking.py`) keep exactly the members the language says,
on a hand-made store built to break them: long runs of equal values that cross bucket borders (ties go by
contact id), every value equal, NULL amounts, fewer candidates than buckets, a percentage that keeps nobody or
everyone. The expected members are worked out by hand from the rows; each case runs on DuckDB (its own plan,
the reference plan, and Spark's plan translated to DuckDB) and on Spark. Random percentage rankings select the
same members in Spark's plan as in DuckDB's, on the demo store."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import ast as A

from assistant.data.preview import Database, member_ids
from grammar.check import validate
from grammar.compile import compile_segment
from grammar.compile.ranking import SAMPLE
from tests import test_compile_dialects as dialects
from tests.test_compile_plans import write_store

AS_OF = datetime(2026, 11, 1)
IDS = range(1, 101)  # contacts 1..100 exist at as-of; 101 signs up after it
# Orders (all 2026-10-01): contacts 1..60 one each of 10 * (id % 3), so total 20 for ids 2, 5, .., 59 (20 of them),
# 10 for 1, 4, .., 58 (20), 0 for 3, 6, .., 60; 91..100 one with no amount (total 0, no average); 61..90 none.
TWENTY, TEN = list(range(2, 60, 3)), list(range(1, 59, 3))
ZERO = list(range(3, 61, 3)) + list(range(61, 101))  # 60 contacts with total 0, in id order

CASES = {
    # total: 100 candidates (no orders: 0), 31 sample rows, ties of 20, 20 and 60 across the bucket borders
    "top 10% by total amount of order_completed": set(TWENTY[:10]),
    "top 25% by total amount of order_completed": set(TWENTY) | set(TEN[:5]),
    "top 1% by total amount of order_completed": {2},
    "bottom 1% by total amount of order_completed": {3},
    "bottom 10% by total amount of order_completed": set(ZERO[:10]),
    "bottom 59% by total amount of order_completed": set(ZERO[:59]),  # all but the last of 60 equal values
    "bottom 70% by total amount of order_completed": set(ZERO) | set(TEN[:10]),
    "top 100% by total amount of order_completed": set(IDS),
    # every value equal (nobody opened an email): the lowest ids
    "top 10% by count of email_opened": set(range(1, 11)),
    "bottom 100% by count of email_opened": set(IDS),
    # average: only the 60 with an amount are ranked (NULL amounts are no value); ceil(60 * 10%) = 6
    "top 10% by average amount of order_completed": set(TWENTY[:6]),
    "bottom 50% by average amount of order_completed": set(range(3, 61, 3)) | set(TEN[:10]),
    "top 95% by average amount of order_completed": set(TWENTY) | set(TEN) | set(range(3, 61, 3)[:17]),  # 57 of 60
    "top 99% by average amount of order_completed": set(range(1, 61)),  # ceil(59.4) = 60: all of them
    # fewer candidates (20) than buckets: every candidate is a sample row
    "bottom 50% by max amount of order_completed where (amount > 15)": set(TWENTY[:10]),
    # no candidates at all: K = ceil(0 * N%) = 0, the only way to keep nobody (the checker refuses 0%)
    "top 50% by average amount of order_completed in last 7 days": set(),
    # a ranking inside a boolean tree, and two rankings in one segment
    "top 25% by total amount of order_completed and not top 10% by total amount of order_completed":
        set(TWENTY[10:]) | set(TEN[:5]),
    "top 5% by average amount of order_completed or bottom 2% by total amount of order_completed": set(TWENTY[:3]) | {3, 6},
}


def test_the_store_has_more_candidates_than_buckets():
    assert len(IDS) > SAMPLE + 1 > len(TWENTY)


@pytest.fixture(scope="module")
def rank_db(tmp_path_factory) -> str:
    contacts = [(cid, datetime(2026, 12, 1) if cid == 101 else datetime(2026, 1, 1)) for cid in [*IDS, 101]]
    orders = [(cid, 10 * (cid % 3)) for cid in range(1, 61)] + [(cid, None) for cid in range(91, 101)]
    orders += [(101, 5000), (None, 9000)]  # not a contact yet; no contact at all
    events = [(cid, "order_completed", datetime(2026, 10, 1), amount, None) for cid, amount in orders]
    return write_store(str(tmp_path_factory.mktemp("ranks") / "ranks.duckdb"), contacts, events)


def _sql(text: str, catalog, dialect: str, plan: str = "planned") -> str:
    node, diagnostics = validate(text, catalog)
    assert node is not None, diagnostics
    return compile_segment(node, catalog, dialect, AS_OF, plan=plan)


@pytest.mark.parametrize("text", list(CASES))
def test_rankings_on_duckdb_in_every_plan(text, rank_db, catalog):
    db = Database(rank_db)
    assert member_ids(db, _sql(text, catalog, "duckdb")) == CASES[text]
    assert member_ids(db, _sql(text, catalog, "duckdb", plan="reference")) == CASES[text]
    spark_plan = sqlglot.transpile(_sql(text, catalog, "spark"), read="spark", write="duckdb")[0]
    assert member_ids(db, spark_plan) == CASES[text]


@pytest.mark.slow
def test_rankings_on_spark(rank_db, catalog, tmp_path_factory):
    from assistant.data.parquet import export_parquet

    folder = tmp_path_factory.mktemp("ranks-parquet")
    export_parquet(rank_db, folder)
    spark = Database(f"spark:{folder}", timeout=None)
    got = {text: member_ids(spark, _sql(text, catalog, "spark")) for text in CASES}
    assert got == CASES


percent_ranks = st.builds(
    A.Rank, direction=st.sampled_from(["top", "bottom"]), amount=st.integers(1, 100), percent=st.just(True),
    measure=st.one_of(
        st.builds(A.Measure, func=st.just("count"), event=dialects.any_event, window=dialects.windows),
        st.builds(A.Measure, func=st.sampled_from(["total", "average", "min"]), property=st.just("amount"),
                  event=dialects.orders, window=dialects.windows)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(node=st.one_of(percent_ranks, st.builds(A.Not, condition=percent_ranks)))
def test_spark_plan_selects_duckdbs_members(node, demo_db, catalog, as_of):
    db = Database(demo_db)
    spark_plan = sqlglot.transpile(compile_segment(node, catalog, "spark", as_of), read="spark", write="duckdb")[0]
    assert member_ids(db, spark_plan) == member_ids(db, compile_segment(node, catalog, "duckdb", as_of))
