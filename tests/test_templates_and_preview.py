"""The shipped seed segments select exactly what their descriptions say (hand-written reference SQL on the
demo store), and the preview stage's guarantees: a statement timeout, masked PII, the share and the stats."""

import duckdb
import pytest

from assistant.data.preview import Database, PreviewError, member_ids, preview
from assistant.segments import templates
from grammar.check import validate
from grammar import ast as A
from grammar.compile import compile_segment, to_sql
from grammar.parser import parse

AS_OF = "TIMESTAMP '2026-11-01 00:00:00'"
EV = f"(SELECT * FROM events WHERE occurred_at <= {AS_OF})"
ALL = "SELECT contact_id FROM contacts"


def ago(days: int) -> str:
    return f"({AS_OF} - INTERVAL {days} DAY)"


def did(event: str, days: int | None = None, extra: str = "") -> str:
    window = f" AND occurred_at >= {ago(days)}" if days else ""
    return f"SELECT contact_id FROM {EV} WHERE event = '{event}'{window}{extra}"


LTV_RANK = f"""SELECT contact_id FROM (SELECT c.contact_id, row_number() OVER (ORDER BY coalesce(s.v, 0) DESC, c.contact_id) AS r,
    count(*) OVER () AS n FROM contacts c LEFT JOIN (SELECT contact_id, sum(amount) AS v FROM {EV}
    WHERE event = 'order_completed' GROUP BY 1) s USING (contact_id)) WHERE r <= ceil(n * {{share}})"""
ORDERS = f"SELECT contact_id FROM {EV} WHERE event = 'order_completed' GROUP BY 1 HAVING count(*)"
OPENED_OR_CLICKED = f"SELECT contact_id FROM {EV} WHERE event IN ('email_opened', 'email_clicked') AND occurred_at >= "

REFERENCE = {
    "vips": f"{LTV_RANK.format(share=0.10)} UNION {ORDERS} >= 5",
    "high_value": LTV_RANK.format(share=0.20),
    "regular_buyers": f"{ORDERS} BETWEEN 2 AND 5",
    "one_time_buyers": f"{ORDERS} = 1 AND max(occurred_at) < {ago(60)}",
    "recent_buyers": did("order_completed", 60),
    "at_risk": f"SELECT contact_id FROM {EV} WHERE event = 'order_completed' GROUP BY 1 "
               f"HAVING max(occurred_at) BETWEEN {ago(120)} AND {ago(60)}",
    "cart_abandoners": f"""SELECT a.contact_id FROM {EV} a WHERE a.event = 'cart_added' AND a.occurred_at >= {ago(7)}
        AND NOT EXISTS (SELECT 1 FROM {EV} b WHERE b.contact_id = a.contact_id AND b.event = 'order_completed'
                        AND b.occurred_at > a.occurred_at)""",
    "ghosts": f"{ALL} EXCEPT ({OPENED_OR_CLICKED}{ago(90)} UNION {did('order_completed', 180)})",
    "new_signups": f"SELECT contact_id FROM contacts WHERE signup_at >= {ago(7)}",
    "trial_power_users": f"""SELECT e.contact_id FROM {EV} e JOIN contacts c USING (contact_id) WHERE c.plan = 'trial'
        AND e.event = 'feature_used' AND e.occurred_at >= {ago(14)} GROUP BY 1
        HAVING count(DISTINCT json_extract_string(e.properties, '$.feature')) >= 3""",
    "high_intent_clickers": did("email_clicked", 30, " AND (url ILIKE '%pricing%' OR url ILIKE '%demo%')"),
    "inactive_app_users": f"SELECT contact_id FROM {EV} WHERE event = 'app_opened' GROUP BY 1 HAVING max(occurred_at) < {ago(30)}",
    "sale_waiters": f"{ORDERS.replace('count(*)', 'avg(CASE WHEN discounted THEN 1 ELSE 0 END)')} > 0.5",
    "engaged": f"{OPENED_OR_CLICKED}{ago(30)}",
    "lapsing": f"({OPENED_OR_CLICKED}{ago(90)}) EXCEPT ({OPENED_OR_CLICKED}{ago(30)})",
    "dormant": f"{ALL} EXCEPT ({OPENED_OR_CLICKED}{ago(90)})",
}


def test_every_template_has_a_reference():
    assert set(REFERENCE) == set(templates())


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_template_selects_what_it_says(name, demo_db, catalog, as_of):
    node, warnings = validate(templates()[name].dsl, catalog)
    assert warnings == []
    got = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of))
    con = duckdb.connect(demo_db, read_only=True)
    want = {r[0] for r in con.execute(REFERENCE[name]).fetchall()}
    everyone = {r[0] for r in con.execute(ALL).fetchall()}
    assert got == want
    assert want and want != everyone


def test_duckdb_statement_timeout_stops_a_runaway_query(demo_db):
    db = Database(demo_db, timeout=0.2)
    with pytest.raises(PreviewError, match=r"the query took longer than 0.2 s and was stopped"):
        db.rows("SELECT count(*) FROM events a, events b WHERE (a.event_id * 31 + b.event_id) % 1000003 = 7")


@pytest.mark.postgres
def test_postgres_statement_timeout(pg_demo):
    db = Database(pg_demo, timeout=0.2)
    with pytest.raises(PreviewError, match=r"the query took longer than 0.2 s and was stopped"):
        db.rows("SELECT count(*) FROM events a, events b WHERE (a.event_id * 31 + b.event_id) % 1000003 = 7")


def test_preview_share_sample_and_stats(demo_db, catalog, as_of):
    node = parse("did order_completed at least 2 times")
    shown = preview(Database(demo_db), node, catalog, as_of, sample_size=5)
    con = duckdb.connect(demo_db, read_only=True)
    members = {r[0] for r in con.execute(f"{ORDERS} >= 2").fetchall()}
    assert shown.count == len(members) and shown.total == 2000
    assert shown.share == round(len(members) / 2000, 4)
    assert [row["contact_id"] for row in shown.sample] == sorted(members)[:5]
    assert all(row["email"].split("@")[0].endswith("***") and row["first_name"].endswith("***") for row in shown.sample)
    orders = con.execute(f"SELECT count(*) FROM {EV} WHERE event = 'order_completed' AND contact_id IN ({ORDERS} >= 2)").fetchone()[0]
    stats = {s.label: s for s in shown.stats}
    assert stats["orders per member"].value == round(orders / len(members), 4)
    assert stats["email open rate, last 30 days"].kind == "rate"
    unmasked = preview(Database(demo_db), node, catalog, as_of, sample_size=1, show_pii=True)
    real = con.execute("SELECT email FROM contacts WHERE contact_id = ?", [sorted(members)[0]]).fetchone()[0]
    assert unmasked.sample[0]["email"] == real


def test_preview_of_a_compiled_expression_compiles_no_segment_again(demo_db, catalog, as_of, monkeypatch):
    from grammar import compile as compile_stage

    node = parse("did order_completed at least 2 times")
    expression = compile_stage.compile_expression(node, catalog, as_of)
    built = []
    original = compile_stage._Compiler.build

    def counting(self, condition):
        built.append(condition)
        return original(self, condition)

    monkeypatch.setattr(compile_stage._Compiler, "build", counting)
    shown = preview(Database(demo_db), node, catalog, as_of, sample_size=5, expression=expression)
    assert [b for b in built if b is not None] == []  # only the universe (build(None)), never the segment
    assert shown == preview(Database(demo_db), node, catalog, as_of, sample_size=5)
    assert [b for b in built if b is not None] == [node]  # without the expression: compiled once, here
    assert to_sql(expression, "duckdb") == compile_segment(node, catalog, "duckdb", as_of)


def test_catalog_stats_are_parsed_once_when_it_loads(catalog):
    from grammar.catalog import Stat

    assert all(isinstance(s.measure_node, A.Measure) for s in catalog.stats)
    rate = next(s for s in catalog.stats if s.ratio_to)
    assert isinstance(rate.ratio_node, A.Measure)
    with pytest.raises(ValueError, match="stat 'broken'"):
        Stat(label="broken", measure="total of")


def test_one_database_adapter(demo_db, tmp_path):
    from assistant.data.database import Database as Adapter, DatabaseError, is_postgres

    assert Database is Adapter and PreviewError is DatabaseError
    assert is_postgres("postgresql://x@h/db") and is_postgres("postgres://x") and not is_postgres(demo_db)
    with Database(demo_db).connect() as conn:
        assert conn.query("SELECT ? + 1 AS n", [1]) == (["n"], [(2,)])
        with pytest.raises(DatabaseError, match="DuckDB error"):
            conn.query("CREATE TABLE nope (x INT)")  # read-only
    with pytest.raises(DatabaseError, match="database not found"):
        Database(str(tmp_path / "missing.duckdb")).rows("SELECT 1")
    (tmp_path / "notes.txt").write_text("not a database, honest\n")
    with pytest.raises(DatabaseError, match="is not a DuckDB database file"):
        Database(str(tmp_path / "notes.txt")).rows("SELECT 1")
