"""Benchmark: a whole preview (count, share, sample, stats) against one count of the same segment, for every seed
segment, side by side in one run: the two are interleaved, each repeated, and medians compared. Both open a
connection through the same adapter, as a request does. Target: a preview at most 1.5x one count.

    python -m benchmarks.bench_preview [--db PATH|URL] [--repeat 5] [--segments vips ghosts ...]

Runs as a plain script too (`python benchmarks/bench_preview.py`), so it can time another checkout's preview
with the same code: `PYTHONPATH=/path/to/checkout python benchmarks/bench_preview.py --db ...`.
"""

from __future__ import annotations

import argparse
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB file or postgresql:// URL (default: the cached 20k demo store)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segments", nargs="*", help="seed segment names (default: all)")
    args = parser.parse_args()
    db = Database(args.db or str(demo_store.demo_db_path()), timeout=None)
    catalog, as_of = load_catalog(), demo_store.resolve_as_of(None, args.db or str(demo_store.demo_db_path()))
    seeds = {name: t.condition for name, t in templates().items()}
    names = args.segments or list(seeds)
    print(f"{db.target}, as of {as_of}; medians of {args.repeat} interleaved runs")
    print(f"{'segment':22} {'count ms':>9} {'preview ms':>11} {'ratio':>7} {'members':>9}")
    totals = [0.0, 0.0]
    ratios = []
    for name in names:
        segment = compile_expression(seeds[name], catalog, as_of, seeds)
        count_sql = exp.select(exp.Count(this=exp.Star())).from_(segment.subquery("m")).sql(db.dialect)

        def count() -> int:
            with db.connect() as conn:
                return conn.rows(count_sql)[0][0]

        def shown():
            return preview(db, seeds[name], catalog, as_of, seeds, expression=segment)

        members = count()
        assert shown().count == members, name  # warm both, and they agree
        counts, previews = [], []
        for _ in range(args.repeat):
            counts.append(timed(count))
            previews.append(timed(shown))
        c, p = statistics.median(counts), statistics.median(previews)
        totals[0] += c
        totals[1] += p
        ratios.append(p / c)
        print(f"{name:22} {c * 1000:9.1f} {p * 1000:11.1f} {p / c:6.2f}x {members:9,}")
    print(f"{'all (sum of medians)':22} {totals[0] * 1000:9.1f} {totals[1] * 1000:11.1f} {totals[1] / totals[0]:6.2f}x")
    print(f"median ratio {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main()
