"""The preview in one pass: count, total, share, sample, stats and the newest event come from ONE query that
evaluates the segment once, on DuckDB and PostgreSQL alike, and every figure equals the one computed here by
plain SQL written out by hand (members from the compiled segment, everything else independent of preview)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.data.database import Connection
from assistant.data.preview import Database, mask_email, member_ids, preview
from assistant.segments import templates
from grammar.compile import compile_segment
from grammar.parser import parse

EDGE = {
    "nobody": 'country = "ZZ"',
    "everyone": 'not country = "ZZ"',
    "traits only": 'plan = "trial" and country in ["DE", "FR"]',
    "no events at all": "did not order_completed and did not email_delivered",
}
SEGMENTS = {**{name: t.dsl for name, t in templates().items()}, **EDGE}


def by_hand(db: Database, as_of, members: set[int], sample_size: int) -> dict:
    """The demo catalog's figures for `members`, in straightforward SQL (one query per figure)."""
    d90, d30 = as_of - timedelta(days=90), as_of - timedelta(days=30)
    with db.connect() as conn:
        per_contact = conn.rows(
            "SELECT contact_id,"
            " count(*) FILTER (WHERE event = 'order_completed'),"
            " sum(amount) FILTER (WHERE event = 'order_completed'),"
            " count(*) FILTER (WHERE event = 'order_completed' AND occurred_at >= ?),"
            " count(*) FILTER (WHERE event = 'email_opened' AND occurred_at >= ?),"
            " count(*) FILTER (WHERE event = 'email_delivered' AND occurred_at >= ?)"
            " FROM events WHERE occurred_at <= ? GROUP BY contact_id", [d90, d30, d30, as_of])
        total = conn.rows("SELECT count(*) FROM contacts WHERE signup_at <= ?", [as_of])[0][0]
        latest = conn.rows("SELECT max(occurred_at) FROM events")[0][0]
        first = sorted(members)[:sample_size]
        columns, rows = conn.query("SELECT contact_id, email, first_name, country, city, plan, signup_at, birthday, "
                                   "email_consent, sms_consent FROM contacts ORDER BY contact_id")
    sums = [0, 0, 0, 0, 0]
    for row in per_contact:
        if row[0] in members:
            sums = [s + (v or 0) for s, v in zip(sums, row[1:])]
    n = len(members)
    stats = {"orders per member": sums[0] / n if n else None, "revenue per member": float(sums[1]) / n if n else None,
             "orders per member, last 90 days": sums[2] / n if n else None,
             "email open rate, last 30 days": sums[3] / sums[4] if sums[4] else None}
    sample = [dict(zip(columns, r)) for r in rows if r[0] in set(first)]
    for r in sample:
        r["email"], r["first_name"] = mask_email(r["email"]), r["first_name"][:1] + "***"
        r["signup_at"] = r["signup_at"].isoformat(sep=" ")
    return {"count": n, "total": total, "latest": latest, "sample": sample,
            "stats": {k: None if v is None else round(v, 4) for k, v in stats.items()}}


@pytest.fixture
def queries(monkeypatch):
    """The statements the preview sends to the database (counted on the real connection)."""
    seen: list[str] = []
    real = Connection.query

    def query(self, sql, params=None):
        seen.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(Connection, "query", query)
    return seen


def check_against_hand_sql(target: str, dialect: str, catalog, as_of, queries) -> None:
    db = Database(target)
    segments = {name: t.condition for name, t in templates().items()}
    for name, dsl in SEGMENTS.items():
        node = parse(dsl)
        members = member_ids(db, compile_segment(node, catalog, dialect, as_of, segments))
        want = by_hand(db, as_of, members, sample_size=7)
        queries.clear()
        shown = preview(db, node, catalog, as_of, segments, sample_size=7)
        assert len(queries) == 1, name  # one statement: the segment evaluated once
        assert (shown.count, shown.total) == (want["count"], want["total"]), name
        assert shown.share == round(want["count"] / want["total"], 4), name
        assert shown.latest_event == want["latest"], name
        assert shown.sample == want["sample"], name
        assert {s.label: s.value for s in shown.stats} == want["stats"], name


def test_one_pass_preview_equals_hand_written_sql_on_duckdb(demo_db, catalog, as_of, queries):
    check_against_hand_sql(demo_db, "duckdb", catalog, as_of, queries)


@pytest.mark.postgres
def test_one_pass_preview_equals_hand_written_sql_on_postgres(pg_demo, catalog, as_of, queries):
    check_against_hand_sql(pg_demo, "postgres", catalog, as_of, queries)


@pytest.mark.postgres
def test_postgres_preview_stays_read_only_and_timed(pg_demo, catalog, as_of, queries):
    """The one statement runs in the adapter's read-only session, under its statement timeout."""
    db = Database(pg_demo, timeout=7)
    with db.connect() as conn:
        assert conn.rows("SHOW default_transaction_read_only") == [("on",)]
        assert conn.rows("SHOW statement_timeout") == [("7s",)]
    queries.clear()
    assert preview(db, parse("did order_completed"), catalog, as_of).count > 0
    assert len(queries) == 1


def test_a_catalog_without_stats_previews_without_a_stats_scan(demo_db, catalog, as_of, queries):
    bare = catalog.model_copy(update={"stats": []})
    node = parse("did order_completed at least 2 times")
    shown = preview(Database(demo_db), node, bare, as_of, sample_size=3)
    assert shown.stats == [] and shown.count == len(member_ids(Database(demo_db), compile_segment(node, catalog)))
    assert "value_1" not in queries[-1]


def test_a_sample_larger_than_the_segment_lists_every_member(demo_db, catalog, as_of):
    node = parse('plan = "trial" and country = "JP"')
    members = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    shown = preview(Database(demo_db), node, catalog, as_of, sample_size=len(members) + 5)
    assert [r["contact_id"] for r in shown.sample] == sorted(members) and shown.count == len(members) > 0


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_any_catalog_measure_as_a_stat(target, demo_db, pg_demo_if_needed, catalog, as_of):
    """Stats beyond sums of counts: an average (summed per member, as the catalog defines a stat), a count
    anchored on each person's signup, and a windowed maximum; checked against plain SQL per contact."""
    from grammar.catalog import Stat

    db = Database(demo_db if target == "duckdb" else pg_demo_if_needed)
    stats = [Stat(label="avg order", measure="average amount of order_completed"),
             Stat(label="early orders", measure="count of order_completed within 30 days after signup_at"),
             Stat(label="max cart, 60 days", measure="max amount of cart_added in last 60 days"),
             Stat(label="early share", measure="count of order_completed within 30 days after signup_at",
                  ratio_to="count of order_completed")]
    custom = catalog.model_copy(update={"stats": stats})
    node = parse("did order_completed at least 2 times and country in [\"US\", \"DE\", \"GB\"]")
    members = member_ids(db, compile_segment(node, catalog, "postgres" if target == "postgres" else "duckdb", as_of))
    rows = db.rows(
        "SELECT e.contact_id,"
        " avg(amount) FILTER (WHERE event = 'order_completed'),"
        " count(*) FILTER (WHERE event = 'order_completed' AND occurred_at >= c.signup_at"
        "   AND occurred_at <= c.signup_at + INTERVAL '30 days'),"
        " max(amount) FILTER (WHERE event = 'cart_added' AND occurred_at >= ?),"
        " count(*) FILTER (WHERE event = 'order_completed')"
        " FROM events e JOIN contacts c ON c.contact_id = e.contact_id WHERE occurred_at <= ? GROUP BY e.contact_id"
        .replace("?", "'" + str(as_of - timedelta(days=60)) + "'", 1).replace("?", f"'{as_of}'"))[1]
    sums = [0.0, 0, 0.0, 0]
    for row in rows:
        if row[0] in members:
            sums = [s + float(v or 0) for s, v in zip(sums, row[1:])]
    n = len(members)
    shown = preview(db, node, custom, as_of)
    assert shown.count == n > 0
    assert {s.label: s.value for s in shown.stats} == {
        "avg order": round(sums[0] / n, 4), "early orders": round(sums[1] / n, 4),
        "max cart, 60 days": round(sums[2] / n, 4), "early share": round(sums[1] / sums[3], 4)}


@pytest.fixture
def pg_demo_if_needed(request):
    """The PostgreSQL demo copy only for the postgres case (the DuckDB case must not start a server)."""
    return request.getfixturevalue("pg_demo") if "postgres" in request.node.name else None


def test_counts_and_totals_are_summed_by_one_row_scans(catalog, as_of):
    """The demo catalog's stats (counts and a total) need no per-member step: each stat scan aggregates the
    members' events straight to one row, and the two 30-day email stats share one scan."""
    import sqlglot

    from assistant.data.preview import preview_query
    from grammar.compile import compile_expression

    query, _ = preview_query(catalog, compile_expression(parse("did order_completed"), catalog, as_of), as_of, 5)
    scans = {c.alias: c.this for c in query.args["with_"].expressions if c.alias.startswith("st_")}
    assert len(scans) == 2 and not any(s.args.get("group") for s in scans.values())
    events = sorted(sorted(lit.this for lit in s.args["where"].find_all(sqlglot.exp.Literal) if lit.is_string
                           and not lit.this[:1].isdigit()) for s in scans.values())
    assert events == [["email_delivered", "email_opened"], ["order_completed"]]


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_counts_and_totals_of_any_shape_equal_plain_sql(target, demo_db, pg_demo_if_needed, catalog, as_of):
    """Counts and totals with a property filter, windows shared by two events (one scan) and a ratio: each stat
    equals plain SQL per contact summed over the members here, for a segment and for nobody."""
    from grammar.catalog import Stat

    db = Database(demo_db if target == "duckdb" else pg_demo_if_needed)
    stats = [Stat(label="discounted orders", measure="count of order_completed where (discounted = true)"),
             Stat(label="revenue, 60 days", measure="total amount of order_completed in last 60 days"),
             Stat(label="carts, 60 days", measure="count of cart_added in last 60 days"),
             Stat(label="orders per cart", measure="count of order_completed in last 60 days",
                  ratio_to="count of cart_added in last 60 days")]
    custom = catalog.model_copy(update={"stats": stats})
    d60 = as_of - timedelta(days=60)
    rows = db.rows(
        "SELECT contact_id,"
        " count(*) FILTER (WHERE event = 'order_completed' AND discounted = true),"
        " sum(amount) FILTER (WHERE event = 'order_completed' AND occurred_at >= ?),"
        " count(*) FILTER (WHERE event = 'cart_added' AND occurred_at >= ?),"
        " count(*) FILTER (WHERE event = 'order_completed' AND occurred_at >= ?)"
        " FROM events WHERE occurred_at <= ? GROUP BY contact_id"
        .replace("?", f"'{d60}'", 3).replace("?", f"'{as_of}'"))[1]
    for dsl in ['country in ["US", "DE"] and did cart_added', 'country = "ZZ"']:
        node = parse(dsl)
        members = member_ids(db, compile_segment(node, catalog, target, as_of))
        sums = [0, 0, 0, 0]  # exact: the total is a decimal
        for row in rows:
            if row[0] in members:
                sums = [s + (v or 0) for s, v in zip(sums, row[1:])]
        n = len(members)
        shown = preview(db, node, custom, as_of)
        assert shown.count == n
        want = {"discounted orders": sums[0] / n if n else None, "revenue, 60 days": float(sums[1]) / n if n else None,
                "carts, 60 days": sums[2] / n if n else None, "orders per cart": sums[3] / sums[2] if sums[2] else None}
        assert {s.label: s.value for s in shown.stats} == {k: None if v is None else round(v, 4)
                                                           for k, v in want.items()}, dsl


def test_the_frame_is_built_once_and_each_preview_gets_its_own_copy(demo_db, catalog, as_of):
    """Everything but the segment is built once per catalog, as-of and sample size; each preview query is a copy
    holding its own segment, so two previews never share or change each other's statement."""
    from assistant.data import preview as P
    from grammar.compile import compile_expression

    P._frame.cache_clear()
    one = compile_expression(parse("did order_completed"), catalog, as_of)
    two = compile_expression(parse('country = "DE"'), catalog, as_of)
    first, width = P.preview_query(catalog, one, as_of, 5)
    text = first.sql("duckdb")
    second, _ = P.preview_query(catalog, two, as_of, 5)
    assert P._frame.cache_info().misses == 1 and P._frame.cache_info().hits == 1
    assert first.sql("duckdb") == text and second.sql("duckdb") != text
    assert one.sql("duckdb") in text and two.sql("duckdb") in second.sql("duckdb") and "__segment__" not in text
    P.preview_query(catalog, one, as_of - timedelta(days=1), 5)
    P.preview_query(catalog.model_copy(update={"stats": []}), one, as_of, 5)
    assert P._frame.cache_info().misses == 3  # another as-of, another catalog: their own frames
    db = Database(demo_db)
    assert preview(db, None, catalog, as_of, expression=two).count == len(member_ids(db, two.sql("duckdb")))
