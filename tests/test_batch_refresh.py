"""Batch refresh: many segments in one statement, sharing one events scan, each with exactly the members it
has when compiled and run alone, on DuckDB and PostgreSQL; the statement renders as one statement in every
dialect the compiler emits."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.data.preview import Database, member_ids
from assistant.data.refresh import members_of_many
from assistant.segments import templates
from grammar.batch import batch_expression, batch_sql
from grammar.compile import DIALECTS, compile_segment
from grammar.parser import parse
from tests.test_compile_dialects import segments as random_segments

# Every seed segment, plus shapes the templates lack: references, anchors, restarts, regularity, calendar
# windows, a ranking on a measure without a zero default, nobody, everyone.
EXTRA = {
    "german_vips": 'in segment "vips" and country = "DE"',
    "not_ghosts": 'not in segment "ghosts"',
    "fast_first_order": "first order_completed within 10 days after signup_at",
    "after_trial": "did order_completed at least 2 times within 30 days after trial_started",
    "restarted": "restarted app_opened after 20 days in last 30 days",
    "regular": "did order_completed in at least 2 of last 4 months",
    "black_friday": "did order_completed on black friday",
    "avg_bottom": "bottom 5% by average amount of order_completed",
    "birthdays": "birthday anniversary in next 30 days",
    "nobody": 'country = "ZZ"',
    "everyone": 'not country = "ZZ"',
    "quoted 'name'; --": 'email contains "it\'s"',
}


def all_segments() -> dict:
    seeds = {name: t.condition for name, t in templates().items()}
    return {**seeds, **{name: parse(dsl) for name, dsl in EXTRA.items()}}


def alone(db: Database, dialect: str, catalog, as_of, named: dict) -> dict[str, set[int]]:
    return {name: member_ids(db, compile_segment(node, catalog, dialect, as_of, named)) for name, node in named.items()}


def test_every_seed_segment_in_one_batch_on_duckdb(demo_db, catalog, as_of):
    named = all_segments()
    want = alone(Database(demo_db), "duckdb", catalog, as_of, named)
    got = members_of_many(Database(demo_db), named, as_of, catalog=catalog)
    assert got == want
    assert want["nobody"] == set() and len(want["everyone"]) == 2000 and all(want[n] for n in templates())


@pytest.mark.postgres
def test_every_seed_segment_in_one_batch_on_postgres(pg_demo, demo_db, catalog, as_of):
    named = all_segments()
    got = members_of_many(Database(pg_demo), named, as_of, catalog=catalog)
    assert got == alone(Database(pg_demo), "postgres", catalog, as_of, named)
    assert got == alone(Database(demo_db), "duckdb", catalog, as_of, named)  # and the engines agree


def test_each_event_is_scanned_once_for_every_segment_that_reads_it(catalog, as_of):
    """The seed segments' counts, totals, firsts and lasts come from one grouped scan per event (whichever
    segments read it), each scan reading only rows as recent as its aggregates need; `vips` and `high_value` share
    one ranking's candidates. Sequences keep their own reads, as they do alone."""
    tree = batch_expression({name: t.condition for name, t in templates().items()}, catalog, as_of)
    grouped = [s for s in tree.find_all(sqlglot.exp.Select)
               if s.args.get("group") and s.args["from_"].this.name == "events" and s.find(sqlglot.exp.AggFunc)]
    event = lambda s: s.args["where"].find(sqlglot.exp.EQ).expression.this  # noqa: E731
    assert sorted(event(s) for s in grouped) == ["app_opened", "email_clicked", "email_opened", "feature_used",
                                                 "order_completed"]
    for scan in grouped:  # what a scan's WHERE guarantees (its event, the as-of cap) is not tested again per row
        tested = {c.name for f in scan.expressions[1:] for c in f.find_all(sqlglot.exp.Column)}
        assert "event" not in tested and "<= CAST('2026" not in " ".join(f.sql() for f in scan.expressions), scan.sql()
    recent = {event(s): ge.sql() for s in grouped for ge in s.args["where"].find_all(sqlglot.exp.GTE)}
    assert recent == {"feature_used": "e.occurred_at >= CAST('2026-10-18 00:00:00' AS TIMESTAMP)",  # 14 days
                      "email_clicked": "e.occurred_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)",  # 90 days
                      "email_opened": "e.occurred_at >= CAST('2026-08-03 00:00:00' AS TIMESTAMP)"}
    ctes = tree.args["with_"].expressions
    # DuckDB: top-N with a computed LIMIT, no window over every contact; one candidates CTE for both rankings
    assert not tree.find(sqlglot.exp.Window)
    assert [c.alias for c in ctes if c.alias.endswith("_k")] == ["rank_1_k"]
    assert sorted(c.this.args["limit"].sql() for c in ctes if c.this.args.get("limit")) == [
        f"LIMIT CAST(CEIL((SELECT COUNT(*) FROM rank_1_k) * {share} / 100.0) AS BIGINT)" for share in (10, 20)]
    portable = batch_expression({name: t.condition for name, t in templates().items()}, catalog, as_of, dialect="trino")
    rankings = [c for c in portable.args["with_"].expressions if c.find(sqlglot.exp.RowNumber)]
    assert len(rankings) == 1  # elsewhere one window, shared
    assert len(sqlglot.parse(batch_sql(all_segments(), catalog, "duckdb", as_of), read="duckdb")) == 1


def test_the_statement_is_one_statement_in_every_dialect(catalog, as_of):
    named = all_segments()
    for dialect in DIALECTS:
        sql = batch_sql(named, catalog, dialect, as_of)
        assert len(sqlglot.parse(sql, read=dialect)) == 1, dialect


def test_the_batch_can_be_written_as_a_table_inside_the_engine(demo_db, catalog, as_of, tmp_path):
    """`CREATE TABLE ... AS <batch>`: what a refresh command runs, so the members never leave the engine."""
    named = {name: t.condition for name, t in list(templates().items())[:4]}
    con = duckdb.connect()
    con.execute(f"ATTACH '{demo_db}' AS demo (READ_ONLY)")
    con.execute("USE demo")
    con.execute(f"CREATE TABLE memory.main.members AS {batch_sql(named, catalog, 'duckdb', as_of)}")
    rows = con.execute("SELECT segment_name, contact_id FROM memory.main.members").fetchall()
    got = {name: {c for n, c in rows if n == name} for name in named}
    assert got == alone(Database(demo_db), "duckdb", catalog, as_of, named)


def test_no_segments_is_no_statement(demo_db, catalog, as_of):
    assert members_of_many(Database(demo_db), {}, as_of, catalog=catalog) == {}
    with pytest.raises(ValueError, match="no segments to evaluate: give at least one"):
        batch_expression({}, catalog, as_of)


def test_an_unknown_reference_is_the_compiler_error(demo_db, catalog, as_of):
    from grammar.errors import SegmentError

    with pytest.raises(SegmentError, match="unknown segment 'missing'"):
        members_of_many(Database(demo_db), {"a": parse('in segment "missing"')}, as_of, catalog=catalog)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(nodes=st.lists(random_segments, min_size=1, max_size=5))
def test_random_segment_lists_match_each_segment_alone(nodes, demo_db, catalog, as_of):
    named = {f"s{i}": node for i, node in enumerate(nodes)}
    db = Database(demo_db)
    assert members_of_many(db, named, as_of, catalog=catalog) == alone(db, "duckdb", catalog, as_of, named)


def test_the_readme_example_runs_as_written(demo_db, catalog, as_of, tmp_path, monkeypatch, capsys):
    """README's `members_of_many` example, on a cache holding the test store as the default demo store."""
    import re
    import shutil
    from pathlib import Path

    from assistant.data.demo_store import default_db_path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"\*\*Many segments at once\.\*\*.*?```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.setenv("SEGMENT_CACHE", str(tmp_path))
    shutil.copy(demo_db, default_db_path())
    exec(compile(block, "README.md", "exec"), {})
    named = {name: t.condition for name, t in templates().items()}
    want = {name: len(ids) for name, ids in alone(Database(demo_db), "duckdb", catalog, as_of, named).items()}
    assert capsys.readouterr().out == f"{want}\n"


def test_events_without_a_contact_do_not_empty_a_negated_sequence(tmp_path, catalog):
    """An event row with no contact id (the edge store has one) is in no one's sequence: 'not (A then did not
    B)' and 'not restarted' keep everyone else (a NULL in NOT IN (...) used to select nobody in a batch)."""
    from tests.test_compile_plans import AS_OF, CONTACTS, EDGE_CASES, EVENTS, write_store

    db = Database(write_store(str(tmp_path / "edge.duckdb"), CONTACTS, EVENTS))
    texts = ["not (did order_completed in last 30 days then did not order_completed)",
             "not restarted order_completed after 20 days", "did order_completed in last 365 days then did not email_opened"]
    named = {f"s{i}": parse(text) for i, text in enumerate(texts)}
    assert members_of_many(db, named, AS_OF, catalog=catalog) == {f"s{i}": EDGE_CASES[t] for i, t in enumerate(texts)}
