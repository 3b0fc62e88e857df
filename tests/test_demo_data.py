"""The demo store keeps its fixed contract (DESIGN.md, "Demo dataset (DuckDB)"), checked with SQL on the file."""

import duckdb
import pytest

from assistant.data import demo_data
from assistant.data.demo_data import AS_OF, CAMPAIGNS, CATEGORIES, CHANNELS, COUNTRIES, EVENTS, FEATURES, PLANS, generate

CONTACTS_SCHEMA = [
    ("contact_id", "BIGINT"), ("email", "VARCHAR"), ("first_name", "VARCHAR"), ("country", "VARCHAR"),
    ("city", "VARCHAR"), ("plan", "VARCHAR"), ("signup_at", "TIMESTAMP"), ("birthday", "DATE"),
    ("email_consent", "BOOLEAN"), ("sms_consent", "BOOLEAN"),
]  # fmt: skip
EVENTS_SCHEMA = [
    ("event_id", "BIGINT"), ("contact_id", "BIGINT"), ("event", "VARCHAR"), ("occurred_at", "TIMESTAMP"),
    ("channel", "VARCHAR"), ("product_category", "VARCHAR"), ("amount", "DECIMAL(12,2)"),
    ("discounted", "BOOLEAN"), ("url", "VARCHAR"), ("campaign", "VARCHAR"), ("properties", "JSON"),
]  # fmt: skip

NOW = "TIMESTAMP '2026-11-01 00:00:00'"
ORDERS = "(SELECT * FROM events WHERE event = 'order_completed')"

# Each query selects contact_id of the members of one segment the generator promises (module docstring).
SEGMENTS = {
    "vip_5_orders": f"SELECT contact_id FROM {ORDERS} GROUP BY 1 HAVING count(*) >= 5",
    "top_10pct_ltv": """
        SELECT contact_id FROM (
            SELECT c.contact_id, coalesce(sum(e.amount), 0) AS ltv, percent_rank() OVER (ORDER BY ltv DESC) AS pr
            FROM contacts c LEFT JOIN events e ON e.contact_id = c.contact_id AND e.event = 'order_completed'
            GROUP BY 1)
        WHERE pr < 0.1 AND ltv > 0""",
    "regular_buyers": f"SELECT contact_id FROM {ORDERS} GROUP BY 1 HAVING count(*) BETWEEN 2 AND 5",
    "one_time_buyers": f"""SELECT contact_id FROM {ORDERS} GROUP BY 1
        HAVING count(*) = 1 AND max(occurred_at) <= {NOW} - INTERVAL 60 DAY""",
    "recent_buyers": f"SELECT contact_id FROM {ORDERS} WHERE occurred_at > {NOW} - INTERVAL 60 DAY",
    "at_risk": f"""SELECT contact_id FROM {ORDERS} GROUP BY 1
        HAVING max(occurred_at) BETWEEN {NOW} - INTERVAL 120 DAY AND {NOW} - INTERVAL 60 DAY""",
    "cart_abandoners": f"""
        SELECT c.contact_id FROM events c
        WHERE c.event = 'cart_added' AND c.occurred_at > {NOW} - INTERVAL 7 DAY
          AND NOT EXISTS (SELECT 1 FROM {ORDERS} o
                          WHERE o.contact_id = c.contact_id AND o.occurred_at > c.occurred_at)""",
    "cart_then_order_within_a_day": f"""
        SELECT c.contact_id FROM events c JOIN {ORDERS} o ON o.contact_id = c.contact_id
        WHERE c.event = 'cart_added' AND o.occurred_at BETWEEN c.occurred_at AND c.occurred_at + INTERVAL 1 DAY""",
    "ghosts": f"""
        SELECT contact_id FROM events GROUP BY 1
        HAVING count(*) FILTER (event = 'email_delivered') > 0
           AND count(*) FILTER (event IN ('email_opened', 'email_clicked')
                                AND occurred_at > {NOW} - INTERVAL 90 DAY) = 0
           AND count(*) FILTER (event = 'order_completed' AND occurred_at > {NOW} - INTERVAL 180 DAY) = 0""",
    "new_signups": f"SELECT contact_id FROM contacts WHERE signup_at > {NOW} - INTERVAL 7 DAY",
    "trial_power_users": f"""
        SELECT e.contact_id FROM events e JOIN contacts c USING (contact_id)
        WHERE c.plan = 'trial' AND e.event = 'feature_used' AND e.occurred_at > {NOW} - INTERVAL 14 DAY
        GROUP BY 1 HAVING count(DISTINCT e.properties ->> 'feature') >= 3""",
    "high_intent_clickers": f"""SELECT contact_id FROM events WHERE event = 'email_clicked'
        AND url IN ('/pricing', '/demo') AND occurred_at > {NOW} - INTERVAL 30 DAY""",
    "inactive_app_users": f"""SELECT contact_id FROM events WHERE event = 'app_opened' GROUP BY 1
        HAVING max(occurred_at) <= {NOW} - INTERVAL 30 DAY""",
    "active_app_users": f"""SELECT contact_id FROM events WHERE event = 'app_opened'
        AND occurred_at > {NOW} - INTERVAL 30 DAY""",
    "sale_waiters": f"SELECT contact_id FROM {ORDERS} GROUP BY 1 HAVING avg(discounted::INT) > 0.5",
    "regular_monthly_buyers": f"""
        SELECT contact_id FROM {ORDERS} WHERE occurred_at > {NOW} - INTERVAL 120 DAY GROUP BY 1
        HAVING count(DISTINCT date_diff('second', occurred_at, {NOW}) // (30 * 86400)) >= 3""",
    "stopped": f"SELECT contact_id FROM events GROUP BY 1 HAVING max(occurred_at) <= {NOW} - INTERVAL 30 DAY",
    "restarted": """
        SELECT contact_id FROM (
            SELECT contact_id, occurred_at - lag(occurred_at) OVER (PARTITION BY contact_id ORDER BY occurred_at) AS gap
            FROM events)
        WHERE gap >= INTERVAL 60 DAY""",
    "pricing_then_trial_within_3_days": """
        SELECT p.contact_id FROM events p JOIN events t ON t.contact_id = p.contact_id
        WHERE p.event = 'page_viewed' AND p.url = '/pricing' AND t.event = 'trial_started'
          AND t.occurred_at BETWEEN p.occurred_at AND p.occurred_at + INTERVAL 3 DAY""",
    "birthday_in_next_7_days": "SELECT contact_id FROM contacts WHERE month(birthday) = 11 AND day(birthday) <= 7",
    "opened_email_in_30_days": f"""SELECT contact_id FROM events WHERE event = 'email_opened'
        AND occurred_at > {NOW} - INTERVAL 30 DAY""",
}


def _store(path, contacts, seed=7):
    generate(path, contacts=contacts, seed=seed)
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = _store(tmp_path_factory.mktemp("demo") / "demo.duckdb", 2_000)
    yield connection
    connection.close()


def _one(con, sql):
    return con.execute(sql).fetchone()[0]


def _dump_hash(con):
    return tuple(
        _one(con, f"SELECT md5(string_agg(t::VARCHAR, '\n' ORDER BY {key})) FROM {table} t")
        for table, key in (("contacts", "contact_id"), ("events", "event_id"))
    )


def test_schema_is_the_contract(con):
    for table, expected in (("contacts", CONTACTS_SCHEMA), ("events", EVENTS_SCHEMA)):
        assert [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()] == expected
    assert sorted(con.execute("SELECT table_name FROM duckdb_tables()").fetchall()) == [("contacts",), ("events",)]
    primary_keys = con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert sorted(primary_keys) == [("contacts", ["contact_id"]), ("events", ["event_id"])]


def test_chunks_join_up(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_data, "CHUNK", 500)
    calls = []
    path = tmp_path / "chunked.duckdb"
    summary = generate(path, contacts=1_200, seed=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
    assert [p.name for p in tmp_path.iterdir()] == ["chunked.duckdb"]  # no partial or WAL file left behind
    with duckdb.connect(str(path), read_only=True) as con:
        assert summary == {"contacts": 1_200, "events": _one(con, "SELECT count(*) FROM events"), "path": str(path)}
        assert _one(con, "SELECT min(contact_id) = 1 AND max(contact_id) = 1200 AND count(*) = 1200 FROM contacts")
        assert _one(con, "SELECT min(event_id) = 1 AND max(event_id) = count(*) FROM events")
        assert _one(con, "SELECT count(DISTINCT contact_id) FROM events WHERE contact_id > 500") > 0.9 * 700
        # event ids follow (contact, time)
        out_of_order = """
            SELECT count(*) FROM (
                SELECT contact_id, occurred_at, lag(contact_id) OVER w AS prev_contact,
                       lag(occurred_at) OVER w AS prev_at
                FROM events WINDOW w AS (ORDER BY event_id))
            WHERE prev_contact > contact_id OR (prev_contact = contact_id AND prev_at > occurred_at)"""
        assert _one(con, out_of_order) == 0


def test_rejects_empty_store(tmp_path):
    with pytest.raises(ValueError, match="contacts"):
        generate(tmp_path / "x.duckdb", contacts=0)


def test_deterministic(con, tmp_path):
    reference = _dump_hash(con)
    with _store(tmp_path / "again.duckdb", 2_000) as again:
        assert _dump_hash(again) == reference
    with _store(tmp_path / "other.duckdb", 2_000, seed=8) as other:
        assert all(a != b for a, b in zip(_dump_hash(other), reference))
    # generating over an existing store replaces it
    with _store(tmp_path / "other.duckdb", 2_000) as replaced:
        assert _dump_hash(replaced) == reference


def test_time_bounds(con):
    assert AS_OF.isoformat(sep=" ") == "2026-11-01 00:00:00"
    assert _one(con, f"SELECT max(occurred_at) <= {NOW} FROM events")
    assert _one(con, f"SELECT max(signup_at) <= {NOW} AND min(signup_at) >= {NOW} - INTERVAL 731 DAY FROM contacts")
    assert _one(con, "SELECT count(*) FROM events JOIN contacts USING (contact_id) WHERE occurred_at < signup_at") == 0
    assert _one(con, "SELECT count(*) FROM events WHERE occurred_at <> date_trunc('second', occurred_at)") == 0


def _values(con, sql):
    return {r[0] for r in con.execute(sql).fetchall()}


def test_vocabulary(con):
    assert _values(con, "SELECT DISTINCT country FROM contacts") == set(COUNTRIES)
    assert _values(con, "SELECT country FROM contacts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1") == {"US"}
    assert _values(con, "SELECT DISTINCT plan FROM contacts") == set(PLANS)
    assert _values(con, "SELECT DISTINCT event FROM events") == set(EVENTS)
    assert _values(con, "SELECT DISTINCT channel FROM events") == set(CHANNELS) | {None}
    assert _values(con, "SELECT DISTINCT product_category FROM events") == set(CATEGORIES) | {None}
    assert _values(con, "SELECT DISTINCT campaign FROM events") <= set(CAMPAIGNS) | {None}
    assert {"Black Friday 2025", "Welcome Series", "Weekly Newsletter", "Valentine's Day 2026"} <= _values(
        con, "SELECT DISTINCT campaign FROM events"
    )
    features = _values(con, "SELECT DISTINCT properties ->> 'feature' FROM events WHERE event = 'feature_used'")
    assert features == set(FEATURES)
    assert _values(con, "SELECT DISTINCT properties ->> 'form' FROM events WHERE event = 'form_submitted'") == {
        "contact", "newsletter", "demo_request"
    }  # fmt: skip
    urls = _values(con, "SELECT DISTINCT url FROM events WHERE url IS NOT NULL")
    assert {"/pricing", "/demo", "/features", "/"} <= urls
    pages = {"/", "/pricing", "/demo", "/features", "/sale", "/about"}
    assert all(u in pages or u.startswith(("/blog/", "/docs/")) for u in urls)
    assert _values(con, "SELECT DISTINCT city IS NULL OR first_name IS NULL OR email IS NULL FROM contacts") == {False}
    assert _one(con, "SELECT count(DISTINCT email) = count(*) FROM contacts")
    assert _one(con, "SELECT bool_and(email = lower(email) AND email LIKE '%.%' || contact_id || '@example.com') "
                     "FROM contacts")
    assert _one(con, "SELECT count(*) FILTER (first_name IN ('Zoë', 'José', 'Łukasz')) > 0 FROM contacts")
    assert 0.7 < _one(con, "SELECT avg((birthday IS NOT NULL)::INT) FROM contacts") < 0.9
    assert _one(con, "SELECT min(year(birthday)) >= 1950 AND max(year(birthday)) <= 2005 FROM contacts")
    assert 0.75 < _one(con, "SELECT avg(email_consent::INT) FROM contacts") < 0.95
    assert 0.2 < _one(con, "SELECT avg(sms_consent::INT) FROM contacts") < 0.4


def test_columns_only_where_meaningful(con):
    where_set = {
        "product_category": {"product_viewed", "cart_added", "order_completed"},
        "amount": {"product_viewed", "cart_added", "order_completed"},
        "discounted": {"order_completed"},
        "url": {"page_viewed", "email_clicked"},
        "campaign": {"email_delivered", "email_opened", "email_clicked", "email_unsubscribed", "sms_clicked",
                     "push_opened"},
    }  # fmt: skip
    for column, events in where_set.items():
        assert _values(con, f"SELECT DISTINCT event FROM events WHERE {column} IS NOT NULL") == events, column
        missing = _one(con, f"SELECT count(*) FROM events WHERE {column} IS NULL AND event IN {tuple(events)}")
        assert missing == 0, column
    assert _one(con, "SELECT min(amount) >= 1 AND max(amount) < 5000 FROM events")
    assert _one(con, "SELECT median(amount) BETWEEN 20 AND 120 FROM events WHERE event = 'order_completed'")


def test_email_funnel(con):
    counts = dict(con.execute("SELECT event, count(*) FROM events WHERE event LIKE 'email_%' GROUP BY 1").fetchall())
    assert counts["email_delivered"] > counts["email_opened"] > counts["email_clicked"] > counts["email_unsubscribed"]
    # every open follows a delivery of the same campaign, every click an open
    for later, earlier in (("email_opened", "email_delivered"), ("email_clicked", "email_opened")):
        assert _one(con, f"""SELECT count(*) FROM events l WHERE l.event = '{later}' AND NOT EXISTS (
            SELECT 1 FROM events e WHERE e.contact_id = l.contact_id AND e.event = '{earlier}'
              AND e.campaign = l.campaign AND e.occurred_at <= l.occurred_at)""") == 0


def test_volume(con):
    per_contact = _one(con, "SELECT count(*) / 2000 FROM events")
    assert 30 <= per_contact <= 60
    assert _one(con, "SELECT count(DISTINCT contact_id) FROM events WHERE event = 'order_completed'") >= 0.15 * 2000


def _segment_sizes(con):
    return {name: _one(con, f"SELECT count(DISTINCT contact_id) FROM ({sql})") for name, sql in SEGMENTS.items()}


@pytest.mark.parametrize("size", [1_000, 2_000])
def test_every_segment_is_nonempty_and_not_everyone(size, con, tmp_path):
    store = con if size == 2_000 else _store(tmp_path / "one_k.duckdb", size)
    sizes = _segment_sizes(store)
    assert {name: n for name, n in sizes.items() if not 0 < n < size} == {}, sizes
