"""`refresh`: saved segments written as tables inside each engine (DuckDB, PostgreSQL, embedded ClickHouse, Spark
local), read back and compared with the members of each segment compiled and run alone; a second refresh replaces
the first (a changed definition brings its new members); a snapshot per segment; the CLI and the API route."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import httpx
import pytest

from api.app import create_app
from assistant import membership
from assistant.data.database import Database
from assistant.data.preview import member_ids
from assistant.data.tables import RefreshError
from assistant.refresh import refresh
from assistant.segments import SegmentStore
from grammar.compile import compile_segment
from grammar.parser import parse
from tests.live_server import live_server

FIRST = {"big-buyers": "did order_completed at least 2 times in last 90 days",
         "german_vips": 'in segment "vips" and country = "DE"'}
CHANGED = 'country = "FR"'


def alone(target: str, store: SegmentStore, catalog, as_of) -> dict[str, set[int]]:
    """Each saved segment's members compiled alone and run on the same engine (not through the batch)."""
    db = Database(target)
    refs = store.conditions()
    return {name: member_ids(db, compile_segment(store.condition(name), catalog, db.dialect, as_of, refs))
            for name in FIRST}


def table_members(target: str, table: str, quote: str = '"') -> set[int]:
    return {row[0] for row in Database(target).rows(f"SELECT contact_id FROM {quote}{table}{quote}")[1]}


def saved_store(tmp_path: Path, catalog) -> SegmentStore:
    store = SegmentStore(tmp_path / "segments.db")
    for name, dsl in FIRST.items():
        store.save(name, parse(dsl), catalog)
    return store


def check_round_trip(target: str, tmp_path: Path, catalog, as_of, quote: str = '"') -> None:
    store = saved_store(tmp_path, catalog)
    done = refresh(store, Database(target), catalog, as_of)
    assert [(r.name, r.table) for r in done] == [("big-buyers", "segment_big-buyers"),
                                                  ("german_vips", "segment_german_vips")]
    want = alone(target, store, catalog, as_of)
    assert all(want.values()) and want["big-buyers"] != want["german_vips"]
    for r in done:
        assert table_members(target, r.table, quote) == want[r.name]
        assert r.count == len(want[r.name])
        shot = membership.snapshots(store, r.name)[-1]
        assert (shot.id, shot.count, shot.version, shot.members) == (r.snapshot_id, r.count, 1, False)

    store.save("german_vips", parse(CHANGED), catalog)  # a new definition: the second refresh replaces the table
    again = refresh(store, Database(target), catalog, as_of)
    changed = alone(target, store, catalog, as_of)
    assert changed["german_vips"] != want["german_vips"] and changed["big-buyers"] == want["big-buyers"]
    for r in again:
        assert table_members(target, r.table, quote) == changed[r.name]
        assert [s.count for s in membership.snapshots(store, r.name)] == [len(want[r.name]), len(changed[r.name])]
    assert membership.snapshots(store, "german_vips")[-1].version == 2


@pytest.fixture
def duck_copy(demo_db, tmp_path) -> str:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return str(path)


def test_refresh_on_duckdb(duck_copy, tmp_path, catalog, as_of):
    check_round_trip(duck_copy, tmp_path, catalog, as_of)
    # nothing left behind: only the demo tables and the two segment tables
    tables = {r[0] for r in Database(duck_copy).rows("SELECT table_name FROM information_schema.tables")[1]}
    assert tables == {"contacts", "events", "segment_big-buyers", "segment_german_vips"}


def test_unknown_names_are_refused_before_anything_is_written(duck_copy, tmp_path, catalog, as_of):
    store = saved_store(tmp_path, catalog)
    with pytest.raises(RefreshError) as err:
        refresh(store, Database(duck_copy), catalog, as_of, ["big-buyers", "nope"])
    assert str(err.value) == (f"no segment named 'nope' in the store {store.db.target} "
                              f"(list them with: segment-assistant segments list)")
    tables = {r[0] for r in Database(duck_copy).rows("SELECT table_name FROM information_schema.tables")[1]}
    assert tables == {"contacts", "events"}
    assert membership.snapshots(store, "big-buyers") == []


def test_refresh_from_the_command_line(duck_copy, tmp_path, catalog, as_of):
    store = saved_store(tmp_path, catalog)
    cli = [sys.executable, "-m", "segment_assistant.cli", "refresh", "--store", str(store.db.path), "--db", duck_copy,
           "--as-of", as_of.isoformat(sep=" ")]
    out = subprocess.run([*cli, "german_vips", "--prefix", "aud_", "--json"], capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout)
    want = alone(duck_copy, store, catalog, as_of)["german_vips"]
    assert [(t["table"], t["count"]) for t in answer["tables"]] == [("aud_german_vips", len(want))]
    assert table_members(duck_copy, "aud_german_vips") == want
    bad = subprocess.run([*cli, "ghosts2"], capture_output=True, text=True)
    assert bad.returncode == 1 and "error: no segment named 'ghosts2' in the store" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.postgres
def test_refresh_on_postgres(pg_demo, demo_db, tmp_path, catalog, as_of):
    import psycopg

    from assistant.data.postgres import copy_to_postgres

    # A database of its own on the test server, so the shared one keeps only the demo tables.
    with psycopg.connect(pg_demo, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS refresh_test")
        conn.execute("CREATE DATABASE refresh_test")
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN PASSWORD 'secret'")
    target = pg_demo.rsplit("/", 1)[0] + "/refresh_test"
    copy_to_postgres(demo_db, target)
    check_round_trip(target, tmp_path, catalog, as_of)

    # A role that may read but not create tables: a clear error naming the target, password hidden.
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("GRANT SELECT ON contacts, events TO reader")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader = "postgresql://reader:secret@" + target.split("@", 1)[1]  # the test server's URL names its user
    store = SegmentStore(tmp_path / "other.db")
    store.save("big-buyers", parse(FIRST["big-buyers"]), catalog)
    with pytest.raises(RefreshError) as err:
        refresh(store, Database(reader), catalog, as_of)
    message = str(err.value)
    assert message.startswith("cannot write the segment tables to postgres target ") and "secret" not in message
    assert "permission denied" in message


def test_refresh_on_clickhouse(chdb_demo, tmp_path, catalog, as_of):
    try:
        check_round_trip(chdb_demo, tmp_path, catalog, as_of, quote="`")
        tables = {r[0] for r in Database(chdb_demo).rows("SHOW TABLES")[1]}
        assert tables == {"contacts", "events", "segment_big-buyers", "segment_german_vips"}
    finally:
        for table in ("segment_big-buyers", "segment_german_vips"):
            Database(chdb_demo, read_only=False).rows(f"DROP TABLE IF EXISTS `{table}`")


@pytest.mark.slow
def test_refresh_on_spark_local(parquet_demo, tmp_path, catalog, as_of):
    folder = tmp_path / "lake"
    shutil.copytree(parquet_demo, folder)
    target = f"spark:{folder}"
    check_round_trip(target, tmp_path, catalog, as_of, quote="`")
    # each table is a link to its current Parquet version; the previous version is kept, older ones deleted
    link = folder / "segment_german_vips.parquet"
    assert link.is_symlink() and len(list((folder / "_refresh").glob("segment_german_vips.*.parquet"))) == 2
    # DuckDB reads the same table: any reader of the folder sees it
    with_duckdb = {r[0] for r in duckdb.sql(f"SELECT contact_id FROM read_parquet('{link}/*.parquet')").fetchall()}
    assert with_duckdb == table_members(target, "segment_german_vips", "`")


def test_refresh_through_the_api(duck_copy, tmp_path, catalog, as_of):
    app = create_app(db=duck_copy, store=tmp_path / "api.db")
    with live_server(app, "API") as url, httpx.Client(base_url=url, timeout=120) as api:
        nothing = api.post("/v1/segments/refresh", json={"as_of": as_of.isoformat()})
        assert nothing.status_code == 200 and nothing.json()["tables"] == []  # nothing saved yet
        for name, dsl in FIRST.items():
            assert api.post(f"/v1/segments/{name}", json={"dsl": dsl}).status_code == 201
        r = api.post("/v1/segments/refresh", json={"as_of": as_of.isoformat()})
        assert r.status_code == 200, r.text
        body = r.json()
        missing = api.post("/v1/segments/refresh", json={"names": ["nope"]})
        assert missing.status_code == 404 and missing.json()["detail"] == "no segment named 'nope'"
        shots = api.get("/v1/segments/german_vips/snapshots").json()["snapshots"]
    store = SegmentStore(tmp_path / "api.db")
    want = alone(duck_copy, store, catalog, as_of)
    assert body["as_of"] == "2026-11-01 00:00:00"
    assert [(t["name"], t["table"], t["count"]) for t in body["tables"]] == [
        ("big-buyers", "segment_big-buyers", len(want["big-buyers"])),
        ("german_vips", "segment_german_vips", len(want["german_vips"]))]
    for t in body["tables"]:
        assert table_members(duck_copy, t["table"]) == want[t["name"]]
    assert [s["id"] for s in shots] == [body["tables"][1]["snapshot_id"]]


def test_spark_connect_is_refused_with_what_to_do_instead(tmp_path, catalog, as_of):
    store = saved_store(tmp_path, catalog)
    with pytest.raises(RefreshError) as err:
        refresh(store, Database("sc://127.0.0.1:15002"), catalog, as_of)
    assert str(err.value) == ("cannot write tables to spark target sc://127.0.0.1:15002: refresh writes to DuckDB, "
                              "PostgreSQL, ClickHouse and local Spark (spark:FOLDER); over Spark Connect, create the "
                              "tables in the cluster's catalog from `segment-assistant compile --dialect spark` instead")
    assert membership.snapshots(store, "big-buyers") == []
