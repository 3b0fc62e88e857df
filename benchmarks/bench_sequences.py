"""Benchmark: the two plans of `did A [window] then did not B` on DuckDB, side by side in one run (interleaved,
medians, the members checked equal first): one grouped scan of the A's and B's (the last A after the last B)
against the A's read with a correlated NOT EXISTS over the B's after each (a range join). The planner picks
rows on DuckDB when the window spans at most `ROWS_NOT_AFTER_SPAN` (grammar/compile/planner.py); this prints
where that holds.

    python -m benchmarks.bench_sequences [--db PATH] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

import grammar.compile.planner as planner
from assistant.data import demo_store
from grammar.catalog import load_catalog
from grammar.check import check
from grammar.compile import compile_segment
from grammar.parser import parse

SHAPES = [
    "did cart_added in last 3 days then did not order_completed",
    "did cart_added in last 7 days then did not order_completed",
    "did email_clicked in last 7 days then did not order_completed",
    "did app_opened in last 7 days then did not feature_used",
    "did cart_added in last 14 days then did not order_completed",
    "did cart_added in last 30 days then did not order_completed",
    "did email_opened in last 30 days then did not email_clicked",
    "not (did cart_added in last 30 days then did not order_completed)",
    "did cart_added in last 90 days then did not order_completed",
    "did app_opened in last 365 days then did not order_completed",
    "did cart_added then did not order_completed",
]


def plan(text: str, rows: bool, as_of) -> str:
    catalog = load_catalog()
    node = parse(text)
    errors = [d.message for d in check(node, catalog) if d.severity == "error"]
    assert not errors, (text, errors)
    saved = planner.not_after_as_rows
    planner.not_after_as_rows = lambda low, high, as_of: rows  # force one plan or the other
    try:
        return compile_segment(node, catalog, "duckdb", as_of, pretty=False)
    finally:
        planner.not_after_as_rows = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a DuckDB demo store (default: the cached 20k one)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    target = args.db or str(demo_store.demo_db_path())
    as_of = demo_store.resolve_as_of(None, target)
    con = duckdb.connect(target, read_only=True)
    print(f"{target}, as of {as_of}: medians of {args.repeat} interleaved runs; the planner picks rows up to "
          f"{planner.ROWS_NOT_AFTER_SPAN.days} days")
    print(f"{'segment':68} {'members':>8} {'grouped ms':>11} {'rows ms':>8} {'rows/grouped':>13}")
    for text in SHAPES:
        grouped, rows = plan(text, False, as_of), plan(text, True, as_of)
        members = sorted(con.execute(grouped).fetchall())
        assert members == sorted(con.execute(rows).fetchall()), f"the two plans of {text!r} select different members"
        times: dict[str, list[float]] = {grouped: [], rows: []}
        for i in range(args.repeat):
            for sql in (grouped, rows) if i % 2 == 0 else (rows, grouped):
                start = time.perf_counter()
                con.execute(f"CREATE OR REPLACE TEMP TABLE bench_members AS {sql}")
                times[sql].append(time.perf_counter() - start)
        g, r = statistics.median(times[grouped]) * 1000, statistics.median(times[rows]) * 1000
        print(f"{text:68} {len(members):8,} {g:11.1f} {r:8.1f} {r / g:12.2f}x")


if __name__ == "__main__":
    main()
