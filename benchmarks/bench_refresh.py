"""Benchmark: every template's members in ONE batch statement (shared events scans) against the templates run
one by one, side by side in one run: interleaved, each repeated, medians compared, and the members checked
equal first. Two ways, both reported: written inside the engine (`CREATE TEMP TABLE ... AS`, what a refresh
does: the members never leave the database) and fetched into Python (as `members_of_many` fetches them: one
array of ids per segment on DuckDB and PostgreSQL). Target: the batch at least 3x faster. Next to them, on the templates,
an expert's batch written by hand (`expert_batch`: each shared aggregate computed once, checked to select the
same members): how much faster sharing scans can make the templates at all.

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
from datetime import datetime, timedelta

from assistant.data import demo_store
from assistant.data.database import is_postgres
from assistant.data.preview import Database
from assistant.data.refresh import fetch_members
from assistant.segments import templates
from benchmarks.bench_compiled_vs_handwritten import FEATURE
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


def expert_batch(as_of: datetime, engine: str) -> str:
    """The templates' members as an expert would batch them by hand, rows (segment_name, contact_id): every order
    grouped by contact once (value, count, last order, discounted orders), 90 days of email opens and clicks
    grouped once (last one), the top 20% by value sorted once and the top 10% read from it, every other template
    reading its own slice. What sharing scans can at best buy, measured next to the compiled batch."""
    def at(days: int = 0) -> str:
        return f"TIMESTAMP '{as_of - timedelta(days=days):%Y-%m-%d %H:%M:%S}'"
    now, member = at(), "contact_id IN (SELECT contact_id FROM u)"
    top = "CAST(CEIL((SELECT COUNT(*) FROM u) * {} / 100.0) AS BIGINT)"
    # DuckDB plans a correlated NOT EXISTS as a delim join; PostgreSQL a NOT IN (subquery) as a per-row subplan
    def absent(rows: str) -> str:
        return (f"contact_id NOT IN (SELECT contact_id FROM {rows} AND contact_id IS NOT NULL)" if engine == "duckdb"
                else f"NOT EXISTS (SELECT 1 FROM {rows} AND x.contact_id = u.contact_id)")
    feature = FEATURE["duckdb" if engine == "duckdb" else "postgres"]
    ctes = f"""WITH u AS MATERIALIZED (SELECT contact_id, signup_at, plan FROM contacts WHERE signup_at <= {now}),
      o AS MATERIALIZED (SELECT contact_id, sum(amount) AS v, count(*) AS n, max(occurred_at) AS last,
          count(CASE WHEN discounted THEN 1 END) AS discounted, count(CASE WHEN occurred_at >= {at(180)} THEN 1 END) AS n180
        FROM events WHERE event = 'order_completed' AND occurred_at <= {now} GROUP BY contact_id),
      em AS MATERIALIZED (SELECT contact_id, max(occurred_at) AS last FROM events
        WHERE event IN ('email_opened', 'email_clicked') AND occurred_at >= {at(90)} AND occurred_at <= {now}
        GROUP BY contact_id),
      top20 AS MATERIALIZED (SELECT u.contact_id, coalesce(o.v, 0) AS v FROM u LEFT JOIN o ON o.contact_id = u.contact_id
        ORDER BY 2 DESC, 1 LIMIT {top.format(20)})"""
    segments = {
        "vips": f"""SELECT contact_id FROM ((SELECT contact_id FROM top20 ORDER BY v DESC, contact_id LIMIT {top.format(10)})
            UNION SELECT contact_id FROM o WHERE n >= 5 AND {member}) AS t""",
        "high_value": "SELECT contact_id FROM top20",
        "regular_buyers": f"SELECT contact_id FROM o WHERE n BETWEEN 2 AND 5 AND {member}",
        "one_time_buyers": f"SELECT contact_id FROM o WHERE n = 1 AND last < {at(60)} AND {member}",
        "recent_buyers": f"SELECT contact_id FROM o WHERE last >= {at(60)} AND {member}",
        "at_risk": f"SELECT contact_id FROM o WHERE last >= {at(120)} AND last <= {at(60)} AND {member}",
        "cart_abandoners": f"""SELECT contact_id FROM (SELECT contact_id FROM events WHERE occurred_at <= {now} AND (
              (event = 'cart_added' AND occurred_at >= {at(7)}) OR (event = 'order_completed' AND occurred_at > {at(7)}))
            GROUP BY contact_id HAVING max(CASE WHEN event = 'cart_added' THEN occurred_at END) IS NOT NULL
              AND (max(CASE WHEN event = 'order_completed' THEN occurred_at END) IS NULL
                   OR max(CASE WHEN event = 'order_completed' THEN occurred_at END)
                      <= max(CASE WHEN event = 'cart_added' THEN occurred_at END))) AS g WHERE {member}""",
        "ghosts": f"""SELECT contact_id FROM u WHERE {absent("em x WHERE TRUE")} AND {absent("o x WHERE n180 > 0")}""",
        "new_signups": f"SELECT contact_id FROM u WHERE signup_at >= {at(7)}",
        "trial_power_users": f"""SELECT contact_id FROM u WHERE plan = 'trial' AND contact_id IN (SELECT contact_id
            FROM events WHERE event = 'feature_used' AND occurred_at >= {at(14)} AND occurred_at <= {now}
            GROUP BY contact_id HAVING count(DISTINCT {feature}) >= 3)""",
        "high_intent_clickers": f"""SELECT contact_id FROM u WHERE EXISTS (SELECT 1 FROM events e
            WHERE e.contact_id = u.contact_id AND e.event = 'email_clicked' AND e.occurred_at >= {at(30)}
            AND e.occurred_at <= {now} AND (e.url ILIKE '%pricing%' OR e.url ILIKE '%demo%'))""",
        "inactive_app_users": f"""SELECT contact_id FROM (SELECT contact_id FROM events WHERE event = 'app_opened'
            AND occurred_at <= {now} GROUP BY contact_id HAVING max(occurred_at) < {at(30)}) AS g WHERE {member}""",
        "sale_waiters": f"SELECT contact_id FROM o WHERE 2 * discounted > n AND {member}",
        "engaged": f"SELECT contact_id FROM em WHERE last >= {at(30)} AND {member}",
        "lapsing": f"SELECT contact_id FROM em WHERE last < {at(30)} AND {member}",
        "dormant": f"""SELECT contact_id FROM u WHERE {absent("em x WHERE TRUE")}""",
    }
    return ctes + "\n" + "\nUNION ALL ".join(f"SELECT '{name}' AS segment_name, contact_id FROM ({sql}) AS s{i}"
                                      for i, (name, sql) in enumerate(segments.items()))


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

        def together(sql: str) -> dict[str, set[int]]:  # as `members_of_many` fetches them
            return fetch_members(conn.rows, sql, db.dialect, named)

        def written(statements: list[str]):
            def run() -> None:
                for i, sql in enumerate(statements):
                    if db.dialect == "postgres":  # no CREATE OR REPLACE TABLE there
                        conn.query(f"DROP TABLE IF EXISTS bench_members_{i}")
                        conn.query(f"CREATE TEMP TABLE bench_members_{i} AS {sql}")
                    else:
                        conn.query(f"CREATE OR REPLACE TEMP TABLE bench_members_{i} AS {sql}")
            return run

        statements = {"batch": batch, "expert": expert_batch(as_of, db.engine)}
        if before:
            statements["before"] = before
        members = one_by_one()
        for label, sql in statements.items():
            assert together(sql) == members, f"the {label} batch must select each template's own members"
        ways = {"in engine": {"one by one": written(list(alone.values())),
                              **{label: written([sql]) for label, sql in statements.items()}},
                "fetched": {"one by one": one_by_one,
                            **{label: (lambda sql=sql: together(sql)) for label, sql in statements.items()}}}
        runs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for way, runners in ways.items():
                for label, run in runners.items():
                    start = time.perf_counter()
                    run()
                    runs.setdefault((way, label), []).append(time.perf_counter() - start)
    print(f"{target}, as of {as_of}: {len(named)} templates; medians of {args.repeat} interleaved runs")
    print("ms (one by one / this: how many times faster than one by one)")
    labels = ["one by one", *statements]
    print(f"{'':10}" + "".join(f" {label:>22}" for label in labels))
    for way in ways:
        single = statistics.median(runs[(way, "one by one")])
        cells = [f"{single * 1000:.1f}"] + [f"{statistics.median(runs[(way, label)]) * 1000:.1f} "
                                            f"({single / statistics.median(runs[(way, label)]):.2f}x)"
                                            for label in statements]
        print(f"{way:10}" + "".join(f" {cell:>22}" for cell in cells))
    print("target: the batch at least 3x faster")


if __name__ == "__main__":
    main()
