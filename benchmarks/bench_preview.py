"""Benchmark: a whole preview (count, share, sample, stats) against one count of the same segment, for every seed
segment, side by side in one run: the two are interleaved, each repeated, and medians compared. Both open a
connection through the same adapter, as a request does. Target: a preview at most 1.5x one count.

    python -m benchmarks.bench_preview [--db PATH|URL] [--repeat 5] [--segments vips ghosts ...]

Runs as a plain script too (`python benchmarks/bench_preview.py`), so it can time another checkout's preview
with the same code: `PYTHONPATH=/path/to/checkout python benchmarks/bench_preview.py --db ...`. `--before DIR`
times another checkout's preview statement in the same run (its SQL, built by that checkout in a subprocess, run
interleaved with this one's), so before and after are side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from sqlglot import exp

from assistant.data import demo_store
from assistant.data.preview import Database, preview
from assistant.segments import templates
from grammar.catalog import load_catalog
from grammar.compile import compile_expression


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# Run in the other checkout (PYTHONPATH=DIR): its preview statement for each seed segment, as JSON.
BEFORE = """
import json, sys
from assistant.data import demo_store
from assistant.data.preview import preview_query
from assistant.segments import templates
from grammar.catalog import load_catalog
from grammar.compile import compile_expression
target, dialect, names = sys.argv[1], sys.argv[2], sys.argv[3:]
catalog, as_of = load_catalog(), demo_store.resolve_as_of(None, target)
seeds = {name: t.condition for name, t in templates().items()}
out = {}
for name in names:
    query = preview_query(catalog, compile_expression(seeds[name], catalog, as_of, seeds), as_of, 10)
    out[name] = (query[0] if isinstance(query, tuple) else query).sql(dialect)
print(json.dumps(out))
"""


def before_statements(checkout: str, target: str, dialect: str, names: list[str]) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(checkout)}
    done = subprocess.run([sys.executable, "-c", BEFORE, target, dialect, *names], env=env, check=True,
                          capture_output=True, text=True, cwd=os.path.abspath(checkout))
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB file or postgresql:// URL (default: the cached 20k demo store)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segments", nargs="*", help="seed segment names (default: all)")
    parser.add_argument("--before", metavar="DIR", help="another checkout whose preview to time side by side")
    args = parser.parse_args()
    db = Database(args.db or str(demo_store.demo_db_path()), timeout=None)
    catalog, as_of = load_catalog(), demo_store.resolve_as_of(None, args.db or str(demo_store.demo_db_path()))
    seeds = {name: t.condition for name, t in templates().items()}
    names = args.segments or list(seeds)
    before = before_statements(args.before, db.target, db.dialect, names) if args.before else {}
    print(f"{db.target}, as of {as_of}; medians of {args.repeat} interleaved runs")
    print(f"{'segment':22} {'count ms':>9} {'preview ms':>11} {'ratio':>7} {'members':>9}"
          + (f" {'before ms':>10} {'ratio':>7}" if before else ""))
    totals = [0.0, 0.0, 0.0]
    ratios, before_ratios = [], []
    for name in names:
        segment = compile_expression(seeds[name], catalog, as_of, seeds)
        count_sql = exp.select(exp.Count(this=exp.Star())).from_(segment.subquery("m")).sql(db.dialect)

        def count() -> int:
            with db.connect() as conn:
                return conn.rows(count_sql)[0][0]

        def shown():
            return preview(db, seeds[name], catalog, as_of, seeds, expression=segment)

        def old():
            with db.connect() as conn:
                return conn.rows(before[name])[0][0]

        members = count()
        assert shown().count == members, name  # warm both, and they agree
        runs = {"count": (count, []), "preview": (shown, [])}
        if before:
            assert old() == members, name
            runs["before"] = (old, [])
        for _ in range(args.repeat):
            for run, times in runs.values():
                times.append(timed(run))
        c, p = statistics.median(runs["count"][1]), statistics.median(runs["preview"][1])
        totals[0] += c
        totals[1] += p
        ratios.append(p / c)
        line = f"{name:22} {c * 1000:9.1f} {p * 1000:11.1f} {p / c:6.2f}x {members:9,}"
        if before:
            b = statistics.median(runs["before"][1])
            totals[2] += b
            before_ratios.append(b / c)
            line += f" {b * 1000:10.1f} {b / c:6.2f}x"
        print(line)
    print(f"{'all (sum of medians)':22} {totals[0] * 1000:9.1f} {totals[1] * 1000:11.1f} {totals[1] / totals[0]:6.2f}x"
          + (f" {'':9} {totals[2] * 1000:10.1f} {totals[2] / totals[0]:6.2f}x" if before else ""))
    print(f"median ratio {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x (target: at most 1.5x)")
    if before:
        print(f"before: median ratio {statistics.median(before_ratios):.2f}x, worst {max(before_ratios):.2f}x "
              "(its statement run as is; the preview column includes building the statement)")


if __name__ == "__main__":
    main()
