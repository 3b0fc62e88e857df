"""Benchmark: every template's members in ONE batch statement (shared events scans) against the templates run
one by one, side by side in one run: interleaved, each repeated, medians compared, and the members checked
equal first. Two ways, both reported: written inside the engine (`CREATE TEMP TABLE ... AS`, what a refresh
does: the members never leave the database) and fetched into Python (`members_of_many`; moving every member
row to Python costs the same either way). Target: the batch at least 3x faster.

    python -m benchmarks.bench_refresh [--db PATH|URL] [--repeat 5] [--before DIR]

`--before DIR`: another checkout's batch statement (built by that checkout in a subprocess) timed in the same
run, interleaved, checked to select the same members: before and after side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from assistant.data import demo_store
from assistant.data.database import is_postgres
from assistant.data.preview import Database
from assistant.segments import templates
from grammar.batch import batch_sql
from grammar.catalog import load_catalog
from grammar.compile import compile_segment


# Run in the other checkout (PYTHONPATH=DIR): its batch statement for the templates.
BEFORE = """
import sys
from assistant.data import demo_store
from assistant.segments import templates
from grammar.batch import batch_sql
from grammar.catalog import load_catalog
target, dialect = sys.argv[1], sys.argv[2]
named = {name: t.condition for name, t in templates().items()}
print(batch_sql(named, load_catalog(), dialect, demo_store.resolve_as_of(None, target), pretty=False))
"""


def before_statement(checkout: str, target: str, dialect: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(checkout)}
    return subprocess.run([sys.executable, "-c", BEFORE, target, dialect], env=env, check=True, capture_output=True,
                          text=True, cwd=os.path.abspath(checkout)).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB file or postgresql:// URL (default: the cached 20k demo store)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", metavar="DIR", help="another checkout whose batch to time side by side")
    args = parser.parse_args()
    target = args.db or str(demo_store.demo_db_path())
    # temp tables only: DuckDB allows them read-only; PostgreSQL refuses them in a read-only transaction
    db = Database(target, timeout=None, read_only=not is_postgres(target))
    catalog, as_of = load_catalog(), demo_store.resolve_as_of(None, target)
    named = {name: t.condition for name, t in templates().items()}
    alone = {name: compile_segment(node, catalog, db.dialect, as_of, named, pretty=False) for name, node in named.items()}
    batch = batch_sql(named, catalog, db.dialect, as_of, pretty=False)
    before = before_statement(args.before, target, db.dialect) if args.before else None

    with db.connect() as conn:  # one connection for every run: only the SQL differs
        def one_by_one() -> dict[str, set[int]]:
            return {name: {r[0] for r in conn.rows(sql)} for name, sql in alone.items()}

        def together(sql: str = batch) -> dict[str, set[int]]:
            out: dict[str, set[int]] = {name: set() for name in named}
            for name, contact in conn.rows(sql):
                out[name].add(contact)
            return out

        def written(statements: list[str]):
            def run() -> None:
                for i, sql in enumerate(statements):
                    conn.query(f"CREATE OR REPLACE TEMP TABLE bench_members_{i} AS {sql}")
            return run

        assert together() == one_by_one(), "the batch must select each template's own members"
        labels = ("one by one", "batch", "before")
        ways = {"in engine": (written(list(alone.values())), written([batch])), "fetched": (one_by_one, together)}
        if before:
            assert together(before) == one_by_one(), "the other checkout's batch must select the same members"
            ways = {way: (*pair, written([before]) if way == "in engine" else (lambda: together(before)))
                    for way, pair in ways.items()}
        runs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for way, runners in ways.items():
                for label, run in zip(labels, runners):
                    start = time.perf_counter()
                    run()
                    runs.setdefault((way, label), []).append(time.perf_counter() - start)
    print(f"{target}, as of {as_of}: {len(named)} templates; medians of {args.repeat} interleaved runs")
    print(f"{'':10} {'one by one ms':>14} {'batch ms':>9} {'batch faster':>13}"
          + (f" {'before ms':>10} {'before faster':>14}" if before else ""))
    for way in ways:
        single, many = statistics.median(runs[(way, "one by one")]), statistics.median(runs[(way, "batch")])
        line = f"{way:10} {single * 1000:14.1f} {many * 1000:9.1f} {single / many:12.2f}x"
        if before:
            old = statistics.median(runs[(way, "before")])
            line += f" {old * 1000:10.1f} {single / old:13.2f}x"
        print(line)
    print("target: the batch at least 3x faster")


if __name__ == "__main__":
    main()
