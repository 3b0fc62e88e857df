"""Spark (local mode over Parquet) and ClickHouse (embedded chdb, MergeTree) hold the demo store and select
exactly DuckDB's members on every seed segment and every capability case (the list the PostgreSQL parity
tests use); previews there match DuckDB's; the engine targets fail with plain messages. Real engines: one
SparkSession (a JVM) for the whole run, one chdb server per process."""

from __future__ import annotations

import pytest

from assistant.data import demo_store
from assistant.data.database import Database, DatabaseError, engine_of
from assistant.data.preview import member_ids, preview
from assistant.segments import templates
from grammar.compile import compile_segment
from grammar.parser import parse
from tests.test_compile_execution import CASES

# The seed segments (templates) and the capability suite, by DSL.
SEGMENTS = {**{f"seed:{name}": t.dsl for name, t in templates().items()},
            **{f"case:{name}": dsl for name, (dsl, _) in CASES.items()}}
RANKINGS = {name: dsl for name, dsl in SEGMENTS.items() if dsl.startswith(("top ", "bottom "))}


def on_duckdb(demo_db, catalog, as_of, dsl: str) -> set[int]:
    return member_ids(Database(demo_db), compile_segment(parse(dsl), catalog, "duckdb", as_of))


@pytest.mark.parametrize("name", list(SEGMENTS))
def test_clickhouse_selects_the_same_members_as_duckdb(name, chdb_demo, demo_db, catalog, as_of):
    dsl = SEGMENTS[name]
    got = member_ids(Database(chdb_demo), compile_segment(parse(dsl), catalog, "clickhouse", as_of))
    assert got == on_duckdb(demo_db, catalog, as_of, dsl)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SEGMENTS))
def test_spark_selects_the_same_members_as_duckdb(name, spark_demo, demo_db, catalog, as_of):
    dsl = SEGMENTS[name]
    got = member_ids(Database(spark_demo, timeout=None), compile_segment(parse(dsl), catalog, "spark", as_of))
    assert got == on_duckdb(demo_db, catalog, as_of, dsl)


@pytest.mark.slow
def test_spark_connect_selects_the_same_members_as_duckdb(spark_connect_demo, demo_db, catalog, as_of):
    """The cluster path: the same compiled SQL through Spark Connect, on a local server pyspark ships.
    A ranking, a sequence, a restart (LAG) and a JSON property: one of each kind of plan."""
    for name in ("seed:vips", "seed:cart_abandoners", "case:restarted", "case:json_property"):
        dsl = SEGMENTS[name]
        got = member_ids(Database(spark_connect_demo), compile_segment(parse(dsl), catalog, "spark", as_of))
        assert got == on_duckdb(demo_db, catalog, as_of, dsl), name
    with pytest.raises(DatabaseError) as err:
        Database(spark_connect_demo).rows("SELECT * FROM nope")
    assert str(err.value).startswith("Spark error: [TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found.")
    assert "\n" not in str(err.value) and "JVM stacktrace" not in str(err.value)


def test_restarted_is_not_fooled_by_clickhouse_default_dates(chdb_demo, demo_db, catalog, as_of):
    """ClickHouse's LAG on a non-nullable DateTime gives 1970-01-01 before a person's first event, which
    reads as a gap of 56 years: everyone whose first app open is recent would count as restarted."""
    dsl = "restarted app_opened after 60 days in last 30 days"
    firsts = member_ids(Database(demo_db), f"""SELECT contact_id FROM events WHERE event = 'app_opened'
        GROUP BY 1 HAVING min(occurred_at) >= TIMESTAMP '2026-10-02 00:00:00'""")
    got = member_ids(Database(chdb_demo), compile_segment(parse(dsl), catalog, "clickhouse", as_of))
    assert firsts and not firsts & got - on_duckdb(demo_db, catalog, as_of, dsl)
    assert got == on_duckdb(demo_db, catalog, as_of, dsl)


def _preview_on(target: str, catalog, as_of, dsl: str):
    return preview(Database(target, timeout=None), parse(dsl), catalog, as_of, sample_size=5, show_pii=True)


@pytest.mark.parametrize("engine", ["chdb", pytest.param("spark", marks=pytest.mark.slow)])
def test_preview_matches_duckdb(engine, request, demo_db, catalog, as_of):
    target = request.getfixturevalue(f"{engine}_demo")
    dsl = templates()["vips"].dsl
    want, got = _preview_on(demo_db, catalog, as_of, dsl), _preview_on(target, catalog, as_of, dsl)
    assert (got.count, got.total, got.share, got.latest_event) == (want.count, want.total, want.share, want.latest_event)
    assert got.sample == want.sample  # typed values: dates, times, booleans, text
    assert [(s.label, round(s.value, 6)) for s in got.stats] == [(s.label, round(s.value, 6)) for s in want.stats]


def test_demo_data_writes_parquet_with_its_as_of(tmp_path):
    """`demo-data --parquet` writes the store as Parquet, row for row, tagged with the store's as-of: a preview
    with --db spark:FOLDER uses the store's instant as one on the DuckDB file does."""
    from typer.testing import CliRunner

    from assistant.data.demo_data import AS_OF
    from segment_assistant import cli

    out, folder = tmp_path / "demo.duckdb", tmp_path / "parquet"
    result = CliRunner().invoke(cli.app, ["demo-data", "--out", str(out), "--contacts", "300", "--parquet", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    import json

    summary = json.loads(result.stdout)
    assert summary["parquet"] == {"contacts": 300, "events": summary["events"]}
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.parquet", "events.parquet"]
    assert demo_store.database_as_of(f"spark:{folder}") == AS_OF == demo_store.database_as_of(str(out))
    import duckdb

    con = duckdb.connect()
    for table in ("contacts", "events"):
        parquet = con.execute(f"SELECT * FROM '{folder}/{table}.parquet' ORDER BY 1").fetchall()
        original = con.execute(f"ATTACH '{out}' AS d (READ_ONLY); SELECT * FROM d.{table} ORDER BY 1").fetchall() \
            if table == "contacts" else con.execute(f"SELECT * FROM d.{table} ORDER BY 1").fetchall()
        assert parquet == original


def test_demo_data_chdb_needs_the_parquet_files(tmp_path):
    from typer.testing import CliRunner

    from segment_assistant import cli

    result = CliRunner().invoke(cli.app, ["demo-data", "--out", str(tmp_path / "d.duckdb"), "--contacts", "10",
                                          "--chdb", str(tmp_path / "ch")])
    assert result.exit_code != 0
    assert "--chdb loads the Parquet files: give --parquet FOLDER too" in result.output


def unpartitioned_windows(frame) -> int:
    """How many window operators in a Spark query's physical plan have no PARTITION BY: each is the one that
    logs "No Partition Defined for Window operation! Moving all data to a single partition" as it runs."""
    stack, found = [frame._jdf.queryExecution().executedPlan()], 0
    while stack:
        node = stack.pop()
        kind = node.getClass().getSimpleName()
        if kind == "AdaptiveSparkPlanExec":
            stack.append(node.inputPlan())
            continue
        found += kind == "WindowExec" and node.partitionSpec().isEmpty()
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))
    return found


@pytest.mark.slow
def test_spark_sorts_no_ranking_on_one_partition(spark_demo, catalog, as_of):
    """A ranking planned as one global window sorts every contact on one executor (Spark warns "No Partition
    Defined for Window operation"); the compiler ranks within buckets instead (`grammar/compile/ranking.py`)."""
    from assistant.data.spark import session_for

    session = session_for(spark_demo)
    assert unpartitioned_windows(session.sql("SELECT row_number() OVER (ORDER BY contact_id) FROM contacts")) == 1
    assert len(RANKINGS) == 6
    global_sorts = {name: unpartitioned_windows(session.sql(compile_segment(parse(dsl), catalog, "spark", as_of)))
                    for name, dsl in SEGMENTS.items()}  # rankings, sequences, restarts: every plan
    assert global_sorts == {name: 0 for name in SEGMENTS}


@pytest.mark.slow
def test_spark_batch_refresh_sorts_no_one_partition_and_keeps_each_segments_members(spark_demo, demo_db, catalog,
                                                                                    as_of):
    """Refreshing many segments at once on Spark: one statement, no window without a partition (rankings in
    buckets, top N as a top-N), and each segment exactly the members it has alone on DuckDB."""
    from assistant.data.refresh import members_of_many
    from assistant.data.spark import session_for
    from grammar.batch import batch_sql

    named = {name: parse(dsl) for name, dsl in SEGMENTS.items()}
    named["case:top_30"] = parse("top 30 by total amount of order_completed")
    sql = batch_sql(named, catalog, "spark", as_of)
    assert unpartitioned_windows(session_for(spark_demo).sql(sql)) == 0
    got = members_of_many(Database(spark_demo, timeout=None), named, as_of, catalog=catalog)
    want = {name: member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of, segments=named))
            for name, node in named.items()}
    assert got == want


# ---- targets and their errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("target, engine", [
    ("demo.duckdb", "duckdb"), ("postgresql://u@h/db", "postgres"), ("spark:/data/demo", "spark"),
    ("sc://spark.example:15002", "spark"), ("chdb:/data/demo", "clickhouse"),
    ("clickhouse://default:pw@ch.example:8123/analytics", "clickhouse"),
])
def test_a_target_names_its_engine_and_dialect(target, engine):
    assert engine_of(target) == engine == Database(target).dialect


def test_a_missing_parquet_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(DatabaseError) as err:
        with Database(f"spark:{tmp_path}/nowhere").connect():
            pass
    assert str(err.value) == (f"cannot open spark:{tmp_path}/nowhere: no Parquet folder at {tmp_path}/nowhere (write the "
                              f"demo store there with: segment-assistant demo-data --out demo.duckdb --parquet "
                              f"{tmp_path}/nowhere)")


def test_a_folder_without_parquet_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DatabaseError, match=r"holds no Parquet tables \(NAME.parquet files or NAME/ folders\)$"):
        with Database(f"spark:{tmp_path}").connect():
            pass


def test_an_unreachable_clickhouse_server_is_a_plain_error():
    with pytest.raises(DatabaseError, match=r"^ClickHouse error: cannot reach ClickHouse at http://127.0.0.1:1/: "):
        Database("clickhouse://default@127.0.0.1:1/default").rows("SELECT 1")


def test_clickhouse_errors_and_time_limit(chdb_demo, tmp_path):
    with pytest.raises(DatabaseError, match=r"^ClickHouse error: Code: 60\. .*Unknown table expression identifier 'nope'"):
        Database(chdb_demo).rows("SELECT * FROM nope")
    with pytest.raises(DatabaseError, match=r"^the query took longer than 1 s and was stopped$"):
        Database(chdb_demo, timeout=1).rows("SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1")
    with pytest.raises(DatabaseError, match=r"embedded ClickHouse is already open at .* in this process"):
        Database(f"chdb:{tmp_path}").rows("SELECT 1")


@pytest.mark.slow
def test_spark_errors_are_one_line(spark_demo):
    with pytest.raises(DatabaseError) as err:
        Database(spark_demo).rows("SELECT nope FROM contacts")
    message = str(err.value)
    assert message.startswith("Spark error: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function "
                              "parameter with name `nope` cannot be resolved.")
    assert "\n" not in message and "\tat " not in message
