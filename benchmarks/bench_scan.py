"""Benchmark: the compiler's one grouped events scan vs. the naive SQL with one subquery per condition.

Both select the same members (checked here); the figure reported is the ratio of their median run times,
measured side by side in one run on the same DuckDB store.

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


def timed(con, sql: str, repeat: int) -> tuple[float, set[int]]:
    runs, rows = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        rows = {r[0] for r in con.execute(sql).fetchall()}
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), rows


def timed_pg(dsn: str, sql: str, repeat: int) -> tuple[float, set[int]]:
    import psycopg

    runs, rows = [], set()
    with psycopg.connect(dsn) as conn:
        for _ in range(repeat):
            start = time.perf_counter()
            rows = {r[0] for r in conn.execute(sql).fetchall()}
            runs.append(time.perf_counter() - start)
    return statistics.median(runs), rows


def report(engine: str, grouped: tuple[float, set[int]], naive: tuple[float, set[int]], repeat: int) -> None:
    assert grouped[1] == naive[1], "the two formulations must select the same members"
    print(f"[{engine}] grouped scan (compiler): {grouped[0] * 1000:9.1f} ms   one subquery per condition: "
          f"{naive[0] * 1000:9.1f} ms   (medians of {repeat})   ratio naive / grouped: {naive[0] / grouped[0]:.1f}x")


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
    grouped = timed(con, compile_segment(node, catalog, "duckdb", as_of), args.repeat)
    print(f"store: {contacts:,} contacts, {events:,} events; segment: 6 event conditions, {len(grouped[1]):,} members")
    report("duckdb", grouped, timed(con, NAIVE, args.repeat), args.repeat)
    con.close()
    if args.postgres or args.start_postgres:
        naive_pg = sqlglot.transpile(NAIVE, read="duckdb", write="postgres")[0]
        if args.postgres:
            dsn = args.postgres
            report("postgres", timed_pg(dsn, compile_segment(node, catalog, "postgres", as_of), args.repeat),
                   timed_pg(dsn, naive_pg, args.repeat), args.repeat)
        else:
            from assistant.data.postgres import copy_to_postgres
            from assistant.data.local_postgres import postgres_server

            with postgres_server() as dsn:
                copy_to_postgres(db, dsn)
                report("postgres", timed_pg(dsn, compile_segment(node, catalog, "postgres", as_of), args.repeat),
                       timed_pg(dsn, naive_pg, args.repeat), args.repeat)

if __name__ == "__main__":
    main()
