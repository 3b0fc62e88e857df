"""PostgreSQL as an expert would run it: the indexes the loader creates are the ones the compiled SQL reads
(EXPLAIN, every seed segment), and the adapter's connections stay read-only under a statement timeout."""

import json

import psycopg
import pytest

from assistant.data.database import Database
from assistant.data.postgres import INDEXES
from assistant.segments import templates
from grammar.compile import compile_segment
from grammar.parser import parse

pytestmark = pytest.mark.postgres
LOADER_INDEXES = {ddl.split()[2] for ddl in INDEXES} | {"contacts_pkey"}  # and the contacts key


def _scans(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


@pytest.mark.parametrize("name", [n for n, t in templates().items() if "signup_at" not in t.dsl and "plan =" not in t.dsl])
def test_every_events_scan_of_a_seed_segment_reads_a_loader_index(name, pg_demo, catalog, as_of):
    sql = compile_segment(parse(templates()[name].dsl), catalog, "postgres", as_of)
    with psycopg.connect(pg_demo) as conn:
        conn.execute("SET enable_seqscan = off")  # the demo store is small: ask whether an index *can* serve each scan
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()[0][0]["Plan"]
    scans = [s for s in _scans(plan) if s.get("Relation Name") == "events"]
    assert scans, "a segment over events reads events"
    for scan in scans:
        assert scan["Node Type"] != "Seq Scan", json.dumps(scan)[:400]
        assert scan.get("Index Name") in LOADER_INDEXES or scan["Node Type"] == "Bitmap Heap Scan"
    used = {s.get("Index Name") for s in _scans(plan) if s.get("Index Name")}
    assert used and used <= LOADER_INDEXES


def test_windowed_existence_is_an_index_only_scan(pg_demo, catalog, as_of):
    sql = compile_segment(parse("did not email_opened in last 90 days and did not email_clicked in last 90 days"),
                          catalog, "postgres", as_of)
    with psycopg.connect(pg_demo) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()[0][0]["Plan"]
    kinds = {(s["Node Type"], s.get("Index Name")) for s in _scans(plan) if s.get("Relation Name") == "events"}
    assert kinds == {("Index Only Scan", "events_event_time")}
    assert any(s["Node Type"] == "Hash Anti Join" or s.get("Join Type") == "Anti" for s in _scans(plan))


def test_connections_stay_read_only_under_a_statement_timeout(pg_demo):
    with Database(pg_demo, timeout=7).connect() as conn:
        assert conn.rows("SHOW default_transaction_read_only") == [("on",)]
        assert conn.rows("SHOW statement_timeout") == [("7s",)]


@pytest.mark.parametrize("text", ['first_name contains "łUKASZ"', 'first_name = "Łukasz"', 'first_name starts with "ŁU"'])
def test_case_insensitive_text_matches_the_same_people_as_on_duckdb(text, pg_demo, demo_db, catalog, as_of):
    """Non-ASCII letters fold on both engines (the test server's ctype is C.UTF-8, as any UTF-8 locale)."""
    from assistant.data.preview import member_ids

    node = parse(text)
    want = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    assert want, "the demo data has a Łukasz"
    assert member_ids(Database(pg_demo), compile_segment(node, catalog, "postgres", as_of)) == want
