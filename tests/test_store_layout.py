"""The demo store's physical layout: events stored in (event, occurred_at) order, so DuckDB skips the row groups
outside a query's (event, window) slice. The order is physical only: a store in any other order (the contact
order older demo stores and most loaders write) gives the same members, preview figures and batch rows."""

from __future__ import annotations

import json

import duckdb
import pytest

from assistant.data import demo_store
from assistant.data.demo_data import EVENTS_ORDER, generate
from assistant.data.preview import Database, member_ids, preview
from assistant.data.refresh import members_of_many
from assistant.segments import templates
from grammar.compile import compile_segment

ROW_GROUP = 122_880  # DuckDB's rows per row group
SEEDS = {name: t.condition for name, t in templates().items()}


@pytest.fixture(scope="module")
def contact_ordered(demo_db, tmp_path_factory) -> str:
    """The demo store rewritten with its events in contact / event id order, as a user's own store may be."""
    path = tmp_path_factory.mktemp("layout") / "contact-order.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("ATTACH ? AS demo (READ_ONLY)", [demo_db])
        for table, key in (("contacts", "contact_id"), ("events", "event_id")):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM demo.{table} ORDER BY {key}")
    return str(path)


def _out_of_order(path: str, order: str) -> int:
    """Rows whose predecessor in storage order (rowid) sorts after them by `order`."""
    keys = [k.strip() for k in order.split(",")]
    later = " OR ".join("(" + " AND ".join([f"p{j} = {keys[j]}" for j in range(i)] + [f"p{i} > {k}"]) + ")"
                        for i, k in enumerate(keys))
    lags = ", ".join(f"lag({k}) OVER (ORDER BY rowid) AS p{i}" for i, k in enumerate(keys))
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM (SELECT {', '.join(keys)}, {lags} FROM events) WHERE {later}"
                           ).fetchone()[0]


def test_events_are_stored_by_event_then_time(demo_db, contact_ordered):
    assert EVENTS_ORDER == "event, occurred_at, event_id"
    assert _out_of_order(demo_db, EVENTS_ORDER) == 0
    assert _out_of_order(contact_ordered, EVENTS_ORDER) > 1000  # the check can fail: this store is not sorted


def _scan(path: str, where: str, profile) -> tuple[int, int, int]:
    """(row groups holding rows that pass `where`, row groups scanned, row groups in the table) for one query."""
    with duckdb.connect(path, read_only=True) as con:
        holding = con.execute(f"SELECT count(DISTINCT rowid // {ROW_GROUP}) FROM events WHERE {where}").fetchone()[0]
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{profile}'")
        con.execute(f"SELECT count(*) FROM events WHERE {where}").fetchall()
        con.execute("PRAGMA disable_profiling")
    scans = []

    def walk(node):
        if node.get("type") == "TABLE_SCAN":
            scans.append((node["row_groups_scanned"], node["total_row_groups_to_scan"]))
        for child in node.get("children", []):
            walk(child)

    for node in json.loads(profile.read_text())["operator"]:
        walk(node)
    (scanned, total), = scans
    return holding, scanned, total


def test_a_filter_on_event_and_window_reads_only_its_row_groups(tmp_path):
    """On a store of several row groups, `event = ... AND occurred_at >= ...` scans the row groups that hold its
    slice (and at most one more, where the event starts: its time range is that of the event before), where
    contact order spreads every slice over all of them."""
    path = tmp_path / "rowgroups.duckdb"
    generate(path, contacts=8_000, seed=5)  # about 350k events: three row groups of 122,880 rows
    where = "event = 'order_completed' AND occurred_at >= TIMESTAMP '2026-10-01'"
    holding, scanned, total = _scan(str(path), where, tmp_path / "sorted.json")
    assert total == 3 and holding <= scanned <= holding + 1 and scanned < total
    plain = tmp_path / "plain.duckdb"
    with duckdb.connect(str(plain)) as con:
        con.execute("ATTACH ? AS s (READ_ONLY)", [str(path)])
        con.execute("CREATE TABLE events AS SELECT * FROM s.events ORDER BY event_id")
    assert _scan(str(plain), where, tmp_path / "plain.json") == (3, 3, 3)


def test_any_store_order_gives_the_same_members_preview_and_batch(demo_db, contact_ordered, catalog, as_of):
    sorted_db, plain_db = Database(demo_db), Database(contact_ordered)
    for name, node in SEEDS.items():
        sql = compile_segment(node, catalog, "duckdb", as_of, SEEDS)
        assert member_ids(sorted_db, sql) == member_ids(plain_db, sql), name
        assert preview(sorted_db, node, catalog, as_of, SEEDS) == preview(plain_db, node, catalog, as_of, SEEDS), name
    batch = members_of_many(sorted_db, SEEDS, as_of, catalog=catalog)
    assert batch == members_of_many(plain_db, SEEDS, as_of, catalog=catalog)
    assert all(batch.values()) and len(set(map(frozenset, batch.values()))) == len(batch)  # real, distinct sets


def test_the_cache_name_carries_the_store_version(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGMENT_CACHE", str(tmp_path))
    assert demo_store.default_db_path() == tmp_path / f"demo-20000-7-v{demo_store.STORE_VERSION}.duckdb"
    assert demo_store.cached_store_path(1_000_000, 3).name == f"demo-1000000-3-v{demo_store.STORE_VERSION}.duckdb"
    assert demo_store.STORE_VERSION >= 2  # version 1 (unversioned names) stored events in contact order
