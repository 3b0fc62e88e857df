"""Benchmark: every seed segment as the compiler writes it vs careful hand-written SQL, side by side in one run.

For each seed segment three queries run on the same store, interleaved (round robin, the order rotating each
round), and the medians are compared: the planned SQL (the default), the reference plan (the grouped scan the
compiler wrote before planning: `plan="reference"`) and the hand-written query below. Before timing, each
hand-written query is checked to return exactly the compiled members. Also: growth over store sizes (each
segment's sizes timed in the same rounds) and the latency of parse + check + compile (`--before-root`: another
checkout in a second worker, each text timed by both in turn; with `--growth`, its planned SQL timed too).

    python -m benchmarks.bench_compiled_vs_handwritten [--contacts 1000000] [--repeat 5]
        [--postgres URL | --start-postgres] [--pg-contacts 200000] [--growth 20000,200000,1000000]
        [--segments vips,ghosts]
        [--compile-only] [--before-root /path/to/a/checkout/of/main] [--latency-runs 300]

Stores are the demo store at each size, generated once into ~/.cache/segment-assistant (1M contacts takes
minutes). Run it under `nice` on a shared machine: ratios measured side by side stay meaningful under load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

from assistant.data import demo_store
from assistant.segments import templates
from grammar.catalog import load_catalog
from grammar.check import check
from grammar.compile import compile_segment
from grammar.parser import parse

AS = "TIMESTAMP '2026-11-01 00:00:00'"
U = f"(SELECT contact_id FROM contacts WHERE signup_at <= {AS})"  # every contact that exists at as_of


def ago(days: int) -> str:
    return f"({AS} - INTERVAL '{days} days')"


def _ranked() -> str:
    """Lifetime value (and order count) per buyer, and every contact's value (no orders: 0)."""
    return f"""WITH ltv AS (SELECT contact_id, sum(amount) AS v, count(*) AS n FROM events
                 WHERE event = 'order_completed' AND occurred_at <= {AS} GROUP BY contact_id),
           ranked AS (SELECT c.contact_id, coalesce(l.v, 0) AS v FROM contacts c LEFT JOIN ltv l
                 ON l.contact_id = c.contact_id WHERE c.signup_at <= {AS})"""


def _top(share: int) -> str:
    """Top share% by lifetime value, ties by contact id: a top-N whose N comes from the contact count."""
    return (f"SELECT contact_id FROM (SELECT contact_id FROM ranked ORDER BY v DESC, contact_id "
            f"LIMIT (SELECT CAST(ceil(count(*) * {share} / 100.0) AS BIGINT) FROM ranked)) top")


EMAIL = "event IN ('email_opened', 'email_clicked')"
# The feature of a feature_used event, per engine (JSON access is the one place the two dialects differ).
FEATURE = {"duckdb": "json_extract_string(properties, '$.feature')", "postgres": "properties->>'feature'"}

HAND = {
    "vips": f"""{_ranked()} {_top(10)} UNION SELECT contact_id FROM ltv WHERE n >= 5 AND contact_id IN {U}""",
    "high_value": f"{_ranked()} {_top(20)}",
    "regular_buyers": f"""SELECT contact_id FROM events WHERE event = 'order_completed' AND occurred_at <= {AS}
        AND contact_id IN {U} GROUP BY contact_id HAVING count(*) BETWEEN 2 AND 5""",
    "one_time_buyers": f"""SELECT contact_id FROM events WHERE event = 'order_completed' AND occurred_at <= {AS}
        AND contact_id IN {U} GROUP BY contact_id HAVING count(*) = 1 AND max(occurred_at) < {ago(60)}""",
    "recent_buyers": f"""SELECT contact_id FROM contacts c WHERE signup_at <= {AS} AND EXISTS (SELECT 1 FROM events e
        WHERE e.contact_id = c.contact_id AND e.event = 'order_completed' AND e.occurred_at >= {ago(60)}
        AND e.occurred_at <= {AS})""",
    "at_risk": f"""SELECT contact_id FROM events WHERE event = 'order_completed' AND occurred_at >= {ago(120)}
        AND occurred_at <= {AS} AND contact_id IN {U} GROUP BY contact_id HAVING max(occurred_at) <= {ago(60)}""",
    "cart_abandoners": f"""SELECT DISTINCT a.contact_id FROM events a WHERE a.event = 'cart_added'
        AND a.occurred_at >= {ago(7)} AND a.occurred_at <= {AS} AND a.contact_id IN {U}
        AND NOT EXISTS (SELECT 1 FROM events b WHERE b.contact_id = a.contact_id AND b.event = 'order_completed'
                        AND b.occurred_at > a.occurred_at AND b.occurred_at <= {AS})""",
    "ghosts": f"""SELECT contact_id FROM contacts c WHERE signup_at <= {AS} AND NOT EXISTS (SELECT 1 FROM events e
        WHERE e.contact_id = c.contact_id AND e.occurred_at <= {AS} AND (
          (e.{EMAIL} AND e.occurred_at >= {ago(90)}) OR (e.event = 'order_completed' AND e.occurred_at >= {ago(180)})))""",
    "new_signups": f"SELECT contact_id FROM contacts WHERE signup_at >= {ago(7)} AND signup_at <= {AS}",
    "trial_power_users": f"""SELECT contact_id FROM contacts c WHERE plan = 'trial' AND signup_at <= {AS}
        AND contact_id IN (SELECT contact_id FROM events WHERE event = 'feature_used' AND occurred_at >= {ago(14)}
          AND occurred_at <= {AS} GROUP BY contact_id HAVING count(DISTINCT {{feature}}) >= 3)""",
    "high_intent_clickers": f"""SELECT contact_id FROM contacts c WHERE signup_at <= {AS} AND EXISTS (SELECT 1
        FROM events e WHERE e.contact_id = c.contact_id AND e.event = 'email_clicked' AND e.occurred_at >= {ago(30)}
        AND e.occurred_at <= {AS} AND (e.url ILIKE '%pricing%' OR e.url ILIKE '%demo%'))""",
    "inactive_app_users": f"""SELECT contact_id FROM events WHERE event = 'app_opened' AND occurred_at <= {AS}
        AND contact_id IN {U} GROUP BY contact_id HAVING max(occurred_at) < {ago(30)}""",
    "sale_waiters": f"""SELECT contact_id FROM events WHERE event = 'order_completed' AND occurred_at <= {AS}
        AND contact_id IN {U} GROUP BY contact_id
        HAVING avg(CASE WHEN discounted THEN 1.0 ELSE 0.0 END) > 0.5""",
    "engaged": f"""SELECT contact_id FROM contacts c WHERE signup_at <= {AS} AND EXISTS (SELECT 1 FROM events e
        WHERE e.contact_id = c.contact_id AND e.{EMAIL} AND e.occurred_at >= {ago(30)} AND e.occurred_at <= {AS})""",
    "lapsing": f"""SELECT contact_id FROM events WHERE {EMAIL} AND occurred_at >= {ago(90)} AND occurred_at <= {AS}
        AND contact_id IN {U} GROUP BY contact_id HAVING max(occurred_at) < {ago(30)}""",
    "dormant": f"""SELECT contact_id FROM contacts c WHERE signup_at <= {AS} AND NOT EXISTS (SELECT 1 FROM events e
        WHERE e.contact_id = c.contact_id AND e.{EMAIL} AND e.occurred_at >= {ago(90)} AND e.occurred_at <= {AS})""",
}
# Where an expert writes a segment differently per engine. DuckDB plans a correlated NOT EXISTS as a delim join
# (every contact grouped, then a mark join): on DuckDB an expert anti-joins with NOT IN over the rows to avoid.
HAND_BY_ENGINE = {"duckdb": {
    "ghosts": f"""SELECT contact_id FROM contacts WHERE signup_at <= {AS} AND contact_id NOT IN (SELECT contact_id
        FROM events WHERE occurred_at <= {AS} AND contact_id IS NOT NULL AND (
          ({EMAIL} AND occurred_at >= {ago(90)}) OR (event = 'order_completed' AND occurred_at >= {ago(180)})))""",
    "dormant": f"""SELECT contact_id FROM contacts WHERE signup_at <= {AS} AND contact_id NOT IN (SELECT contact_id
        FROM events WHERE {EMAIL} AND occurred_at >= {ago(90)} AND occurred_at <= {AS} AND contact_id IS NOT NULL)""",
}}
# The 5-condition segment whose parse + check + compile latency is measured.
LATENCY_SEGMENT = ('did order_completed at least 3 times in last 365 days and total amount of order_completed > 300 '
                   'and did not email_opened in last 30 days and last app_opened more than 7 days ago and plan = "trial"')


def hand_sql(name: str, engine: str) -> str:
    return HAND_BY_ENGINE.get(engine, {}).get(name, HAND[name]).replace("{feature}", FEATURE[engine])


def store(contacts: int) -> str:
    path = demo_store.cached_store_path(contacts)
    if not path.exists():
        print(f"generating the {contacts:,}-contact demo store into {path} (minutes for 1M) ...", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial")
        tmp.unlink(missing_ok=True)
        demo_store.write_demo_store(tmp, contacts=contacts)
        tmp.replace(path)
    return str(path)


class Engine:
    def __init__(self, kind: str, target: str):
        self.kind = kind
        if kind == "duckdb":
            import duckdb

            self.con = duckdb.connect(target, read_only=True)
            self.con.execute("SET threads = 2")
        else:
            import psycopg

            self.con = psycopg.connect(target, autocommit=True)

    def members(self, sql: str) -> set[int]:
        return {r[0] for r in self.con.execute(sql).fetchall()}

    def count(self, sql: str) -> float:
        start = time.perf_counter()
        self.con.execute(f"SELECT count(*) FROM ({sql}) AS m").fetchall()
        return time.perf_counter() - start

    def close(self) -> None:
        self.con.close()


def queries(engine: str) -> dict[str, dict[str, str]]:
    catalog, as_of = load_catalog(), demo_store.demo_data.AS_OF
    out = {}
    for name, template in templates().items():
        node = parse(template.dsl)
        out[name] = {"planned": compile_segment(node, catalog, engine, as_of),
                     "reference": compile_segment(node, catalog, engine, as_of, plan="reference"),
                     "hand": hand_sql(name, engine)}
    return out


def interleaved(engine: Engine, variants: dict[str, str], repeat: int) -> dict[str, float]:
    """Median seconds of each variant, run round robin with the order rotating each round (after one warm-up)."""
    return interleaved_on({n: (engine, sql) for n, sql in variants.items()}, repeat)


def interleaved_on(variants: dict, repeat: int) -> dict:
    """`interleaved` over (engine, SQL) pairs: several stores timed in the same rounds see the same load."""
    names = list(variants)
    for n in names:
        variants[n][0].count(variants[n][1])
    runs: dict = {n: [] for n in names}
    for r in range(repeat):
        for n in names[r % len(names):] + names[:r % len(names)]:
            runs[n].append(variants[n][0].count(variants[n][1]))
    return {n: statistics.median(v) for n, v in runs.items()}


def compare(kind: str, target: str, label: str, repeat: int, only: list[str] | None) -> dict[str, dict[str, float]]:
    engine = Engine(kind, target)
    print(f"\n[{kind}, {label}] medians of {repeat} interleaved runs; every hand-written query checked against "
          f"the compiled members")
    print(f"{'segment':22} {'members':>9} {'hand ms':>9} {'planned':>9} {'reference':>10} {'planned/hand':>13} "
          f"{'reference/hand':>15}")
    results = {}
    for name, variants in queries(kind).items():
        if only and name not in only:
            continue
        want = engine.members(variants["planned"])
        for variant in ("hand", "reference"):
            got = engine.members(variants[variant])
            if got != want:
                raise SystemExit(f"{name}: the {variant} query selects {len(got)} people, the compiler {len(want)}")
        t = interleaved(engine, variants, repeat)
        results[name] = t
        print(f"{name:22} {len(want):9,} {t['hand'] * 1000:9.1f} {t['planned'] * 1000:9.1f} {t['reference'] * 1000:10.1f} "
              f"{t['planned'] / t['hand']:12.2f}x {t['reference'] / t['hand']:14.2f}x", flush=True)
    total = {v: sum(r[v] for r in results.values()) for v in ("hand", "planned", "reference")}
    worst = max(results, key=lambda n: results[n]["planned"] / results[n]["hand"])
    print(f"{'total':22} {'':9} {total['hand'] * 1000:9.1f} {total['planned'] * 1000:9.1f} {total['reference'] * 1000:10.1f} "
          f"{total['planned'] / total['hand']:12.2f}x {total['reference'] / total['hand']:14.2f}x")
    print(f"worst planned/hand: {worst} {results[worst]['planned'] / results[worst]['hand']:.2f}x")
    engine.close()
    return results


# The planned DuckDB SQL of every seed segment as another checkout compiles it (run there, in a subprocess).
_BEFORE_SQL = """
import json
from benchmarks.bench_compiled_vs_handwritten import queries
print(json.dumps({name: q["planned"] for name, q in queries("duckdb").items()}))
"""


def before_planned(root: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", _BEFORE_SQL], cwd=root, env=dict(os.environ, PYTHONPATH=root),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def growth(sizes: list[int], repeat: int, before_root: str | None = None, only: list[str] | None = None) -> None:
    """Every seed segment counted at every size. For each segment the sizes and plans run in the same rounds, so
    a growth ratio is not a change of load between sizes. With `before_root`, that checkout's planned SQL runs
    too (its members checked equal to this checkout's)."""
    before = before_planned(before_root) if before_root else {}
    plans = ["planned", "reference", *(["before"] if before else [])]
    print(f"\n[duckdb, growth] all seed segments counted at each size; per segment, sizes and plans ({', '.join(plans)}) "
          f"interleaved; medians of {repeat}")
    engines = {n: Engine("duckdb", store(n)) for n in sizes}
    events = {n: e.con.execute("SELECT count(*) FROM events").fetchone()[0] for n, e in engines.items()}
    times: dict[str, dict] = {}
    for name, q in queries("duckdb").items():
        if only and name not in only:
            continue
        sql = {"planned": q["planned"], "reference": q["reference"], **({"before": before[name]} if before else {})}
        for n, engine in engines.items():
            if before and engine.members(sql["before"]) != engine.members(sql["planned"]):
                raise SystemExit(f"{name}: the {before_root} plan selects other people at {n:,} contacts")
        times[name] = interleaved_on({(n, p): (engines[n], sql[p]) for n in sizes for p in plans}, repeat)
    for engine in engines.values():
        engine.close()
    total = {(n, p): sum(t[(n, p)] for t in times.values()) for n in sizes for p in plans}
    print(f"{'contacts':>10} {'events':>12} " + " ".join(f"{p + ' ms':>12}" for p in plans))
    for n in sizes:
        print(f"{n:10,} {events[n]:12,} " + " ".join(f"{total[(n, p)] * 1000:12.1f}" for p in plans))
    for n0, n1 in zip(sizes, sizes[1:]):
        print(f"{n0:,} -> {n1:,}: events x{events[n1] / events[n0]:.1f}, "
              + ", ".join(f"{p} time x{total[(n1, p)] / total[(n0, p)]:.1f}" for p in plans))
        print(f"  per segment, ms at {n0:,} -> {n1:,} (x growth):")
        for name, t in times.items():
            print(f"  {name:22} " + "  ".join(f"{p} {t[(n0, p)] * 1000:7.1f} -> {t[(n1, p)] * 1000:7.1f} "
                                            f"(x{t[(n1, p)] / t[(n0, p)]:.1f})" for p in plans if p != "reference"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


# One worker per checkout: it reads texts (one JSON line each) and answers each with the time of every stage.
_LATENCY = """
import json, sys, time
from datetime import datetime
from grammar.catalog import load_catalog
from grammar.check import check
from grammar.compile import compile_expression, to_sql
from grammar.parser import parse
catalog, as_of = load_catalog(), datetime(2026, 11, 1)
clocks = (("", time.perf_counter), ("cpu ", time.process_time))  # wall time, and this process's CPU time
for line in sys.stdin:
    text, runs = json.loads(line), {}
    for name, clock in clocks:
        t0 = clock(); node = parse(text); t1 = clock(); check(node, catalog)
        t2 = clock(); query = compile_expression(node, catalog, as_of); t3 = clock()
        to_sql(query, "duckdb"); t4 = clock()  # the API's /v1/compile also writes the SQL text
        for k, v in (("parse", t1 - t0), ("check", t2 - t1), ("compile", t3 - t2), ("total", t3 - t0), ("sql text", t4 - t3)):
            runs[name + k] = v * 1000
    print(json.dumps(runs), flush=True)
"""


def _latency_texts(n: int, warmup: int) -> list[str]:
    """A new text each run (the segment's numbers moved by i), so nothing keyed on the text can hide the work."""
    assert not [d for d in check(parse(LATENCY_SEGMENT), load_catalog()) if d.severity == "error"]
    return [re.sub(r"[0-9]+", lambda m: str(int(m.group()) + i), LATENCY_SEGMENT) for i in range(warmup + n)]


def compile_latency(before_root: str | None, n: int, rounds: int = 3, warmup: int = 50) -> None:
    """Parse + check + compile per stage, medians. With `before_root`, that checkout runs in a second worker and
    every text is timed by both workers one after the other (the order alternating), so both see the same load."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = {"after": here} | ({"before": before_root} if before_root else {})
    texts = _latency_texts(n, warmup)
    got: dict[str, list[dict[str, float]]] = {k: [] for k in roots}
    for _ in range(rounds):  # new workers each round
        workers = {k: subprocess.Popen([sys.executable, "-c", _LATENCY], env=dict(os.environ, PYTHONPATH=root),
                                       cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for k, root in roots.items()}  # `python -c` puts the working directory first
        for i, text in enumerate(texts):
            for k in (list(workers) if i % 2 else list(workers)[::-1]):
                workers[k].stdin.write(json.dumps(text) + "\n")
                workers[k].stdin.flush()
                runs = json.loads(workers[k].stdout.readline())
                if i >= warmup:
                    got[k].append(runs)
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    print(f"\n[compile latency] parse + check + compile of a 5-condition segment (a new text each run), ms, median "
          f"of {rounds} x {n} runs{', every text timed by each checkout in turn' if before_root else ''}; 'sql text' "
          "(not in total) is sqlglot writing the SQL, which the API also does; 'cpu': the process's CPU time, which "
          "other processes' load inflates less than wall time")
    meds = {}
    for k, runs in got.items():
        meds[k] = {stage: statistics.median(r[stage] for r in runs) for stage in runs[0]}
        print(f"{k:7} ({roots[k]}): " + ", ".join(f"{s} {v:.3f}" for s, v in meds[k].items()))
    if "before" in meds:
        print("after / before: " + ", ".join(f"{s} {meds['after'][s] / meds['before'][s]:.2f}x" for s in meds["after"]))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="DuckDB store size (default 1M)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segments", help="comma-separated seed segment names (default: all)")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL, loaded with the --pg-contacts store")
    parser.add_argument("--start-postgres", action="store_true",
                        help="start a throw-away PostgreSQL server and load the --pg-contacts store into it")
    parser.add_argument("--pg-contacts", type=int, default=200_000)
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--growth", help="comma-separated store sizes to time all seeds on, e.g. 20000,200000,1000000")
    parser.add_argument("--growth-repeat", type=int, default=3)
    parser.add_argument("--compile-only", action="store_true", help="only the compile latency")
    parser.add_argument("--before-root", help="a checkout of main: its compile latency (and with --growth, its planned "
                        "SQL) is measured side by side")
    parser.add_argument("--latency-runs", type=int, default=300)
    args = parser.parse_args()
    only = args.segments.split(",") if args.segments else None
    compile_latency(args.before_root, args.latency_runs)
    if args.compile_only:
        return
    if not args.no_duckdb:
        compare("duckdb", store(args.contacts), f"{args.contacts:,} contacts", args.repeat, only)
    if args.postgres:
        compare("postgres", args.postgres, f"{args.pg_contacts:,} contacts", args.repeat, only)
    elif args.start_postgres:
        from assistant.data.local_postgres import postgres_server
        from assistant.data.postgres import copy_to_postgres

        with postgres_server() as dsn:
            print(f"loading the {args.pg_contacts:,}-contact store into PostgreSQL ...", flush=True)
            copy_to_postgres(store(args.pg_contacts), dsn)
            compare("postgres", dsn, f"{args.pg_contacts:,} contacts", args.repeat, only)
    if args.growth:
        growth([int(s) for s in args.growth.split(",")], args.growth_repeat, args.before_root, only)


if __name__ == "__main__":
    main()
