"""Benchmark: every seed segment counted on two demo stores of different sizes, side by side in one run.
Reports milliseconds per segment on each store and the ratio large / small against the ratio of their
event counts: a segment whose ratio stays near (or below) the data ratio scales linearly.

    python -m benchmarks.bench_templates [--small PATH] [--large PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

from assistant.data import demo_store
from assistant.segments import templates
from grammar.catalog import load_catalog
from grammar.compile import compile_segment
from grammar.parser import parse


def time_counts(path: str, repeat: int) -> tuple[int, dict[str, tuple[float, int]]]:
    catalog, as_of = load_catalog(), demo_store.demo_data.AS_OF
    con = duckdb.connect(path, read_only=True)
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    out = {}
    for name, template in templates().items():
        sql = f"SELECT count(*) FROM ({compile_segment(parse(template.dsl), catalog, 'duckdb', as_of)}) AS m"
        runs, count = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            count = con.execute(sql).fetchone()[0]
            runs.append(time.perf_counter() - start)
        out[name] = (statistics.median(runs), count)
    con.close()
    return events, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", help="smaller store (default: the cached 20k-contact demo store)")
    parser.add_argument("--large", required=True, help="larger store, e.g. from: segment-assistant demo-data "
                                                       "--out big.duckdb --contacts 1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    small_events, small = time_counts(args.small or str(demo_store.demo_db_path()), args.repeat)
    large_events, large = time_counts(args.large, args.repeat)
    data_ratio = large_events / small_events
    print(f"events: {small_events:,} vs {large_events:,} ({data_ratio:.0f}x); medians of {args.repeat} runs")
    print(f"{'segment':22} {'small ms':>9} {'large ms':>9} {'ratio':>7} {'members (large)':>16}")
    for name in small:
        (ts, _), (tl, n) = small[name], large[name]
        print(f"{name:22} {ts * 1000:9.1f} {tl * 1000:9.1f} {tl / ts:6.1f}x {n:16,}")
    total_s, total_l = sum(v[0] for v in small.values()), sum(v[0] for v in large.values())
    print(f"{'all segments':22} {total_s * 1000:9.1f} {total_l * 1000:9.1f} {total_l / total_s:6.1f}x")


if __name__ == "__main__":
    main()
