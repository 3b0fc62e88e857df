"""Benchmark: every seed segment on Apache Spark and on DuckDB over the same demo store, members checked equal.

    python -m benchmarks.bench_spark [--contacts 1000000] [--repeat 3] [--spark sc://host:15002] [--clickhouse chdb:PATH]
    python -m benchmarks.bench_spark --rank-plans [--contacts 200000]

The store is generated once (DuckDB) and written as Parquet beside it, under the cache directory; Spark runs in
local mode over that folder unless --spark names another target (a Spark Connect URL whose catalog holds
`contacts` and `events`). Runs are interleaved (DuckDB, Spark, DuckDB, ...) and the medians compared. The
ratio is reported, not targeted: Spark local on one machine pays for a distributed plan (shuffles, stages)
that only a cluster repays. --clickhouse adds a third column (`chdb:PATH` is loaded from the Parquet files).
--rank-plans times, on Spark only, the seed rankings in Spark's plan (ranked in buckets) against one
ROW_NUMBER() over every contact (the plan Trino gets, rendered for Spark), interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from assistant.data import demo_store
from assistant.data.database import Database
from assistant.data.demo_data import AS_OF
from assistant.data.parquet import export_parquet
from assistant.segments import templates
from grammar.catalog import load_catalog
from grammar.compile import compile_expression, to_sql


def prepare(contacts: int, seed: int, workdir: Path) -> tuple[str, Path]:
    """The DuckDB store and its Parquet folder, generated on first use."""
    workdir.mkdir(parents=True, exist_ok=True)
    duck, parquet = workdir / "demo.duckdb", workdir / "parquet"
    if not duck.exists():
        print(f"generating {contacts:,} contacts into {duck} ...", flush=True)
        tmp = duck.with_suffix(".partial")
        tmp.unlink(missing_ok=True)
        demo_store.write_demo_store(tmp, contacts=contacts, seed=seed)
        tmp.replace(duck)
    if not (parquet / "events.parquet").exists():
        print(f"writing Parquet into {parquet} ...", flush=True)
        export_parquet(str(duck), parquet)
    return str(duck), parquet


def load_chdb(target: str, parquet: Path) -> None:
    from assistant.data import clickhouse

    with Database(target, timeout=None).connect() as conn:
        if clickhouse.table_comment(conn.raw, "events") is None:
            print(f"loading {target} from {parquet} ...", flush=True)
            clickhouse.load_parquet(conn.raw, parquet)


def run(db: Database, sql: str) -> tuple[float, set[int]]:
    start = time.perf_counter()
    _, rows = db.rows(sql)
    return time.perf_counter() - start, {r[0] for r in rows}


def compare_rank_plans(engines: dict[str, Database], catalog, repeat: int) -> None:
    """Each seed ranking on Spark in its bucketed plan and as one window (Trino's plan in Spark's SQL)."""
    spark, duck = engines["spark"], engines["duckdb"]
    print(f"{'segment':<22}{'members':>9}{'one window ms':>15}{'buckets ms':>15}{'buckets/window':>16}")
    for name, template in templates().items():
        if not template.dsl.startswith(("top ", "bottom ")):
            continue
        plans = {plan: to_sql(compile_expression(template.condition, catalog, AS_OF, dialect=plan), "spark", pretty=False)
                 for plan in ("trino", "spark")}
        _, want = run(duck, to_sql(compile_expression(template.condition, catalog, AS_OF), "duckdb", pretty=False))
        times: dict[str, list[float]] = {plan: [] for plan in plans}
        for _ in range(repeat):
            for plan, sql in plans.items():
                elapsed, members = run(spark, sql)
                assert members == want, f"{name} ({plan} plan): {len(members)} members, DuckDB {len(want)}"
                times[plan].append(elapsed)
        window, buckets = (statistics.median(times[p]) for p in ("trino", "spark"))
        print(f"{name:<22}{len(want):>9,}{window * 1000:>15.0f}{buckets * 1000:>15.0f}{buckets / window:>15.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=demo_store.DEMO_SEED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="where the store and its Parquet live (default: the cache)")
    parser.add_argument("--spark", help="Spark target (default: spark:WORKDIR/parquet, local mode)")
    parser.add_argument("--clickhouse", help="also run on this ClickHouse target (chdb:PATH is loaded here)")
    parser.add_argument("--rank-plans", action="store_true",
                        help="the seed rankings on Spark: bucketed plan against one window over every contact")
    args = parser.parse_args()
    workdir = args.workdir or demo_store.cache_dir() / f"bench-spark-{args.contacts}-{args.seed}"
    duck_path, parquet = prepare(args.contacts, args.seed, workdir)
    engines = {"duckdb": Database(duck_path, timeout=None),
               "spark": Database(args.spark or f"spark:{parquet}", timeout=None)}
    if args.clickhouse:
        if args.clickhouse.startswith("chdb:"):
            load_chdb(args.clickhouse, parquet)
        engines["clickhouse"] = Database(args.clickhouse, timeout=None)
    start = time.perf_counter()
    for db in engines.values():  # warm up: Spark's JVM and its first job, the files in the page cache
        db.rows("SELECT count(*) FROM events")
    print(f"engines ready in {time.perf_counter() - start:.1f} s; {args.contacts:,} contacts; medians of {args.repeat}, "
          "interleaved\n")
    catalog = load_catalog()
    if args.rank_plans:
        return compare_rank_plans(engines, catalog, args.repeat)
    names = list(engines)
    print(f"{'segment':<22}{'members':>9}" + "".join(f"{n + ' ms':>15}" for n in names) + "".join(
        f"{n + '/duckdb':>19}" for n in names[1:]))
    totals = {n: 0.0 for n in names}
    for name, template in templates().items():
        sql = {n: to_sql(compile_expression(template.condition, catalog, AS_OF, dialect=db.dialect), db.dialect, pretty=False)
               for n, db in engines.items()}  # each engine's own plan (Spark's LIMIT takes no subquery)
        times: dict[str, list[float]] = {n: [] for n in names}
        members: dict[str, set[int]] = {}
        for _ in range(args.repeat):
            for n, db in engines.items():
                elapsed, members[n] = run(db, sql[n])
                times[n].append(elapsed)
        for n in names[1:]:
            assert members[n] == members["duckdb"], f"{name}: {n} selects {len(members[n])} members, DuckDB {len(members['duckdb'])}"
        medians = {n: statistics.median(t) for n, t in times.items()}
        for n in names:
            totals[n] += medians[n]
        print(f"{name:<22}{len(members['duckdb']):>9,}" + "".join(f"{medians[n] * 1000:>15.0f}" for n in names)
              + "".join(f"{medians[n] / medians['duckdb']:>18.1f}x" for n in names[1:]), flush=True)
    print(f"{'all seed segments':<31}" + "".join(f"{totals[n] * 1000:>15.0f}" for n in names)
          + "".join(f"{totals[n] / totals['duckdb']:>18.1f}x" for n in names[1:]))
    print("\nmembers equal on every engine for every segment")


if __name__ == "__main__":
    main()
