"""The command-line contract of DESIGN.md, through the installed `segment-assistant` console script: JSON on
stdout for programs, non-zero exits with an `error` object on failure, and never a traceback."""

import json
import os
import subprocess

import duckdb
import pytest

from assistant.data.preview import Database, member_ids
from grammar.compile import compile_segment
from grammar.parser import parse


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SEGMENT_"))}
    environment.update(env or {})
    done = subprocess.run(["segment-assistant", *args], input=stdin, capture_output=True, text=True, timeout=300,
                          env=environment)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def test_draft_json_contract(demo_db, catalog, as_of):
    done = run("draft", "people who bought at least 3 times in the last 90 days", "--db", demo_db,
               "--as-of", "2026-11-01", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["dsl"] == "did order_completed at least 3 times in last 90 days"
    assert out["explanation"].startswith("People who completed an order at least 3 times in the last 90 days")
    assert out["warnings"] == [] and out["provider"] == "offline"
    con = duckdb.connect(demo_db, read_only=True)
    first_column = con.execute(out["sql"]).description[0][0]
    assert first_column == "contact_id"
    assert out["count"] == len(member_ids(Database(demo_db), compile_segment(parse(out["dsl"]), catalog, "duckdb", as_of)))


def test_draft_failure_is_an_error_object():
    done = run("draft", "  ", "--json", "--no-preview")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "usage"
    done = run("draft", "bought shoes", "--provider", "openai", "--json", "--no-preview")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["message"].startswith("no model is configured")


def test_draft_reports_an_unreachable_model(tmp_path):
    done = run("draft", "bought shoes", "--no-preview", "--json",
               env={"SEGMENT_MODEL": "m", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "SEGMENT_TIMEOUT": "2"})
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "model_error" and "connection refused" in error["message"]


def test_validate_positions_and_exit_codes():
    done = run("validate", "-", stdin='country = "DE" and\n  did purchase in last 3 days')
    assert done.returncode == 1
    assert "line 2, column 7: unknown event 'purchase' (did you mean order_completed?)" in done.stderr
    assert run("validate", "-e", 'country = "DE"').returncode == 0
    done = run("validate", "missing.dsl")
    assert done.returncode == 1 and "no such file: missing.dsl" in done.stderr


def test_format_round_trips_builder_json():
    dsl = 'did order_completed where (amount > 50) at least 2 times in last 90 days and not country in ["US", "GB"]'
    tree = run("format", "-e", dsl, "--to-json").stdout
    assert json.loads(tree)["kind"] == "and"
    back = run("format", "-", "--from-json", stdin=tree)
    assert back.returncode == 0 and back.stdout.strip() == dsl
    bad = run("format", "-", "--from-json", stdin='{"kind": "did"}')
    assert bad.returncode == 1 and "not a valid segment tree: did.event: Field required" in bad.stderr


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "bigquery", "clickhouse", "redshift", "spark",
                                     "trino", "mysql"])
def test_compile_every_dialect(dialect):
    done = run("compile", "-e", "signup_at in last 7 days", "--dialect", dialect, "--as-of", "2026-11-01", "--json")
    assert done.returncode == 0
    out = json.loads(done.stdout)
    assert out["dialect"] == dialect and "2026-10-25 00:00:00" in out["sql"]


def test_bad_options_are_clear():
    done = run("format", "--nope")
    assert done.returncode == 2 and "No such option: --nope" in done.stderr
    done = run("compile", "--nope", "--json")
    assert done.returncode == 2 and json.loads(done.stdout)["error"]["code"] == "usage"
    done = run("compile", "-e", "plan = \"pro\"", "--dialect", "oracle")
    assert done.returncode == 1 and "unknown dialect 'oracle'" in done.stderr
    done = run("compile", "-e", "plan = \"pro\"", "--as-of", "yesterday")
    assert done.returncode == 1 and "--as-of must be a date" in done.stderr
    done = run("preview", "-e", "plan = \"pro\"", "--db", "/nonexistent/x.duckdb")
    assert done.returncode == 1 and "database not found: /nonexistent/x.duckdb" in done.stderr


def test_demo_data_then_preview_and_explain(tmp_path):
    path = tmp_path / "small.duckdb"
    done = run("demo-data", "--out", str(path), "--contacts", "500", "--seed", "3", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["contacts"] == 500
    out = json.loads(run("preview", "-e", "plan = \"trial\"", "--db", str(path), "--json").stdout)
    con = duckdb.connect(str(path), read_only=True)
    assert out["count"] == con.execute("SELECT count(*) FROM contacts WHERE plan = 'trial'").fetchone()[0]
    assert out["as_of"] == "2026-11-01 00:00:00"  # the demo store's own instant
    explained = run("explain", "-e", "stopped app_opened for 30 days").stdout
    assert "opened the mobile app before, but not in the last 30 days" in explained


def test_saved_segments_versions_and_diff(tmp_path, demo_db):
    store = str(tmp_path / "segments.db")
    assert run("segments", "save", "buyers", "-e", "did order_completed in last 30 days", "--store", store).returncode == 0
    assert run("segments", "save", "buyers", "-e", "did order_completed in last 60 days", "--store", store).returncode == 0
    diff = json.loads(run("segments", "diff", "buyers", "1", "2", "--store", store, "--db", demo_db, "--json").stdout)
    assert diff["definition"][-2:] == ["-did order_completed in last 30 days", "+did order_completed in last 60 days"]
    assert diff["entered"] and diff["left"] == []
    cyclic = run("segments", "save", "buyers", "-e", 'in segment "buyers"', "--store", store)
    assert cyclic.returncode == 1 and "cycle" in cyclic.stderr
    listed = json.loads(run("segments", "list", "--store", store, "--json").stdout)["segments"]
    assert {"buyers", "vips", "cart_abandoners"} <= {s["name"] for s in listed}


def test_catalog_introspect_writes_a_usable_catalog(tmp_path, demo_db):
    out = tmp_path / "catalog.yaml"
    assert run("catalog", "introspect", "--db", demo_db, "--out", str(out)).returncode == 0
    done = run("validate", "-e", 'did feature_used where (feature = "reports")', "--catalog", str(out))
    assert done.returncode == 0, done.stderr


def test_chat_in_the_terminal(demo_db):
    done = run("chat", "--db", demo_db, stdin="bought in the last 90 days\nonly those in Germany\nundo\nquit\n")
    assert done.returncode == 0
    assert 'v2: did order_completed in last 90 days and country = "DE"' in done.stdout
    assert done.stdout.count("v1: did order_completed in last 90 days") == 2  # first turn, then undo
