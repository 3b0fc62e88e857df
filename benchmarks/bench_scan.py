"""Benchmark: one six-condition segment three ways: the planned SQL (the compiler's default), one grouped
events scan (the reference plan, what the compiler wrote before planning) and naive SQL with one correlated
subquery per condition.

All three select the same members (checked here); the figures reported are ratios of their median run times,
measured side by side in one run on the same store.

    python -m benchmarks.bench_scan [--db PATH] [--repeat 5] [--postgres URL | --start-postgres]

DuckDB decorrelates correlated subqueries into hash aggregates, so there the two are close; PostgreSQL
runs a correlated subquery per contact and per condition, which is what the grouped scan avoids.
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb
import sqlglot

from assistant.data import demo_store
from grammar.catalog import load_catalog
from grammar.compile import compile_segment
from grammar.parser import parse

SEGMENT = ("did order_completed at least 3 times in last 365 days and total amount of order_completed > 300 "
           "and did not email_opened in last 30 days and last app_opened more than 7 days ago "
           "and did cart_added in last 90 days and count distinct product_category of order_completed >= 2")
AS_OF = "TIMESTAMP '2026-11-01 00:00:00'"
EV = f"(SELECT * FROM events WHERE occurred_at <= {AS_OF})"
NAIVE = f"""
SELECT c.contact_id FROM contacts c WHERE
  (SELECT count(*) FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'order_completed'
     AND e.occurred_at >= {AS_OF} - INTERVAL 365 DAY) >= 3
  AND (SELECT coalesce(sum(amount), 0) FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'order_completed') > 300
  AND NOT EXISTS (SELECT 1 FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'email_opened'
     AND e.occurred_at >= {AS_OF} - INTERVAL 30 DAY)
  AND (SELECT max(occurred_at) FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'app_opened') < {AS_OF} - INTERVAL 7 DAY
  AND EXISTS (SELECT 1 FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'cart_added'
     AND e.occurred_at >= {AS_OF} - INTERVAL 90 DAY)
  AND (SELECT count(DISTINCT product_category) FROM {EV} e WHERE e.contact_id = c.contact_id AND e.event = 'order_completed') >= 2
"""


def _runs(run, variants: dict[str, str], repeat: int) -> dict[str, tuple[float, set[int]]]:
    """Median seconds and members of each variant, interleaved round robin (the order rotating each round)."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    rows: dict[str, set[int]] = {}
    names = list(variants)
    for r in range(repeat):
        for k in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            rows[k] = {row[0] for row in run(variants[k])}
            times[k].append(time.perf_counter() - start)
    return {k: (statistics.median(times[k]), rows[k]) for k in names}


def timed(con, variants: dict[str, str], repeat: int) -> dict[str, tuple[float, set[int]]]:
    return _runs(lambda sql: con.execute(sql).fetchall(), variants, repeat)


def timed_pg(dsn: str, variants: dict[str, str], repeat: int) -> dict[str, tuple[float, set[int]]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return _runs(lambda sql: conn.execute(sql).fetchall(), variants, repeat)


def report(engine: str, got: dict[str, tuple[float, set[int]]], repeat: int) -> None:
    assert got["planned"][1] == got["grouped"][1] == got["naive"][1], "the three must select the same members"
    ms = {k: v[0] * 1000 for k, v in got.items()}
    print(f"[{engine}] planned: {ms['planned']:9.1f} ms   grouped scan: {ms['grouped']:9.1f} ms   one subquery per "
          f"condition: {ms['naive']:9.1f} ms   (medians of {repeat})   naive / grouped: "
          f"{ms['naive'] / ms['grouped']:.2f}x   planned / grouped: {ms['planned'] / ms['grouped']:.2f}x")


def variants(node, catalog, as_of, dialect: str, naive: str) -> dict[str, str]:
    return {"planned": compile_segment(node, catalog, dialect, as_of),
            "grouped": compile_segment(node, catalog, dialect, as_of, plan="reference"), "naive": naive}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB demo store (default: the cached 20k-contact demo store)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (loaded with the same store)")
    parser.add_argument("--start-postgres", action="store_true",
                        help="start a throw-away PostgreSQL server, load the store into it, and run there too")
    args = parser.parse_args()
    db = args.db or str(demo_store.demo_db_path())
    con = duckdb.connect(db, read_only=True)
    con.execute("SET threads = 2")
    as_of = demo_store.database_as_of(db) or demo_store.demo_data.AS_OF
    node, catalog = parse(SEGMENT), load_catalog()
    contacts, events = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("contacts", "events"))
    got = timed(con, variants(node, catalog, as_of, "duckdb", NAIVE), args.repeat)
    print(f"store: {contacts:,} contacts, {events:,} events; segment: 6 event conditions, {len(got['planned'][1]):,} members")
    report("duckdb", got, args.repeat)
    con.close()
    if args.postgres or args.start_postgres:
        naive_pg = sqlglot.transpile(NAIVE, read="duckdb", write="postgres")[0]
        if args.postgres:
            report("postgres", timed_pg(args.postgres, variants(node, catalog, as_of, "postgres", naive_pg), args.repeat),
                   args.repeat)
        else:
            from assistant.data.postgres import copy_to_postgres
            from assistant.data.local_postgres import postgres_server

            with postgres_server() as dsn:
                copy_to_postgres(db, dsn)
                report("postgres", timed_pg(dsn, variants(node, catalog, as_of, "postgres", naive_pg), args.repeat),
                       args.repeat)


if __name__ == "__main__":
    main()
