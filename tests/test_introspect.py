"""Catalog introspection from a live database: the demo store (DuckDB and the same data on PostgreSQL) yields
the events, properties and traits of DESIGN.md; the result round-trips through YAML and selects the same
members as the shipped demo catalog; odd names are normalised; bad targets give exact errors."""

from datetime import datetime

import duckdb
import pytest

from assistant.data.introspect import IntrospectError, introspect, introspect_with_warnings, normalise
from assistant.data.preview import Database, member_ids
from grammar.catalog import load_catalog
from grammar.check import validate
from grammar.compile import compile_segment

AS_OF = datetime(2026, 11, 1)
DESIGN_EVENTS = {
    "page_viewed", "product_viewed", "cart_added", "checkout_started", "order_completed", "email_delivered",
    "email_opened", "email_clicked", "email_unsubscribed", "sms_clicked", "push_opened", "app_opened",
    "feature_used", "trial_started", "subscription_started", "form_submitted", "content_downloaded",
}


@pytest.fixture(scope="module")
def introspected(demo_db):
    steps = []
    catalog, warnings = introspect_with_warnings(demo_db, progress=lambda done, total: steps.append((done, total)))
    return catalog, warnings, steps


def test_events_and_their_properties(introspected):
    catalog, warnings, steps = introspected
    assert set(catalog.events) == DESIGN_EVENTS
    assert warnings == []
    assert steps == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    order = catalog.events["order_completed"]
    assert {"amount", "product_category", "discounted", "channel"} <= set(order.properties)
    assert "url" not in order.properties and "campaign" not in order.properties
    assert order.description == "order_completed events" and order.synonyms == [] and order.value is None
    assert set(catalog.events["page_viewed"].properties) == {"url", "channel"}
    assert catalog.properties["amount"].type == "number" and catalog.properties["amount"].column == "amount"
    assert catalog.properties["discounted"].type == "boolean"
    assert catalog.properties["items"].type == "number" and catalog.properties["items"].json_key == "items"
    assert set(catalog.properties["product_category"].values) == {
        "shoes", "apparel", "accessories", "electronics", "home", "beauty", "flowers"}
    assert catalog.properties["product_category"].closed
    # the events table's own columns are not properties
    assert not {"event_id", "contact_id", "event", "occurred_at", "properties"} & set(catalog.properties)


def test_json_property_with_values(introspected):
    catalog = introspected[0]
    assert "feature" in catalog.events["feature_used"].properties
    feature = catalog.properties["feature"]
    assert (feature.type, feature.json_key, feature.column) == ("string", "feature", None)
    assert set(feature.values) == {"reports", "dashboards", "integrations", "exports", "automations"}
    assert feature.closed
    assert catalog.events_table.json_column == "properties"


def test_traits(introspected):
    catalog = introspected[0]
    assert list(catalog.traits) == ["email", "first_name", "country", "city", "plan", "signup_at", "birthday",
                                    "email_consent", "sms_consent"]
    country = catalog.traits["country"]
    assert country.type == "string" and country.closed
    assert sorted(country.values) == sorted(["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "CA", "AU", "JP"])
    assert catalog.traits["plan"].closed and set(catalog.traits["plan"].values) == {"free", "trial", "pro", "team"}
    city = catalog.traits["city"]  # 27 cities: sampled, not closed
    assert len(city.values) == 12 and not city.closed
    assert catalog.traits["signup_at"].type == "timestamp"
    assert catalog.contacts.created_at == "signup_at"
    assert catalog.traits["birthday"].type == "date" and catalog.traits["email_consent"].type == "boolean"
    # PII is flagged and never sampled into the catalog
    assert catalog.traits["email"].pii and catalog.traits["first_name"].pii and not catalog.traits["country"].pii
    assert catalog.traits["email"].values == [] and catalog.traits["first_name"].values == []


SEGMENTS = [
    'did feature_used where (feature = "reports") and country = "DE"',
    "total amount of order_completed in last 365 days > 500",
    "did order_completed where (discounted = true and product_category = \"shoes\") at least 1 time",
    'did form_submitted where (form = "demo_request") and plan in ["trial", "pro"]',
    "signup_at in last 30 days and email_consent = true",
]


def test_round_trip_and_same_members_as_shipped_catalog(introspected, demo_db, tmp_path):
    catalog = introspected[0]
    path = tmp_path / "introspected.yaml"
    path.write_text(catalog.to_yaml())
    loaded = load_catalog(path)
    assert loaded == catalog
    shipped, db = load_catalog(), Database(demo_db)
    for text in SEGMENTS:
        node, _ = validate(text, loaded)
        ours = member_ids(db, compile_segment(node, loaded, as_of=AS_OF))
        reference = member_ids(db, compile_segment(validate(text, shipped)[0], shipped, as_of=AS_OF))
        assert ours == reference, text
        assert 0 < len(ours) < 2000, text


@pytest.mark.postgres
def test_postgres_gives_the_same_catalog(introspected, pg_demo):
    duck = introspected[0]
    pg = introspect(pg_demo)

    def shape(c):
        return ({n: (t.type, t.closed, sorted(t.values), t.pii) for n, t in c.traits.items()},
                {n: sorted(e.properties) for n, e in c.events.items()},
                {n: (p.type, p.column, p.json_key, sorted(p.values)) for n, p in c.properties.items()},
                c.contacts, c.events_table)

    assert shape(pg) == shape(duck)
    assert pg.name == "postgres"


def test_odd_names_are_normalised(tmp_path):
    path = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE people (person BIGINT PRIMARY KEY, "Email" VARCHAR, "set" VARCHAR, tags VARCHAR[],
                   created_at TIMESTAMP)""")
    con.execute("""INSERT INTO people VALUES (1, 'a@x.com', 'a', ['x'], '2026-01-01'), (2, NULL, 'b', [], '2026-02-01'),
                   (3, 'c@x.com', 'a', NULL, '2026-03-01')""")
    con.execute("CREATE TABLE log (person BIGINT, kind VARCHAR, happened TIMESTAMP, extra JSON)")
    con.execute("""INSERT INTO log VALUES
        (1, 'Order Completed', '2026-05-01', '{"Plan Type": "pro", "size": 3}'),
        (2, 'Order Completed', '2026-05-02', '{"Plan Type": "team", "size": 4}'),
        (1, 'signup', '2026-01-01', '{"Plan Type": "pro", "size": "large"}'),
        (3, 'signup', '2026-03-01', '{"Plan Type": "free", "tags": [1, 2]}')""")
    con.close()

    catalog, warnings = introspect_with_warnings(str(path), contacts_table="people", events_table="log",
                                                 contact_id="person", event_column="kind", time_column="happened",
                                                 json_column="extra")
    assert warnings == [
        "people.tags has type VARCHAR[], which the catalog cannot describe: left out",
        "extra.size is number on other events but string on signup: not listed as a property of signup",
        "extra.tags on signup holds array values: left out",
    ]
    assert catalog.traits["email"].column == "Email" and catalog.traits["email"].pii
    assert catalog.traits["set_field"].column == "set"
    assert catalog.contacts.created_at == "created_at"
    assert catalog.events["order_completed"].value == "Order Completed"
    assert catalog.events["signup"].value is None
    assert catalog.properties["plan_type"].json_key == "Plan Type"
    assert catalog.events["order_completed"].properties == ["plan_type", "size"]
    assert catalog.events["signup"].properties == ["plan_type"]
    # the renamed trait and JSON key compile to their original column and key
    node, _ = validate('did signup where (plan_type = "pro") and set_field = "a" and email is set', catalog)
    sql = compile_segment(node, catalog, as_of=AS_OF)
    assert member_ids(Database(str(path)), sql) == {1}
    # an event stored as "Order Completed" is matched by its stored name
    node, _ = validate('did order_completed where (plan_type = "pro")', catalog)
    assert member_ids(Database(str(path)), compile_segment(node, catalog, as_of=AS_OF)) == {1}


@pytest.mark.parametrize("raw, name", [
    ("Order Completed", "order_completed"), ("E-Mail", "e_mail"), ("2fa", "_2fa"), ("set", "set_field"),
    ("Top", "top_field"), ("!!", "field"),
])
def test_normalise(raw, name):
    assert normalise(raw) == name


def test_missing_file(tmp_path):
    with pytest.raises(IntrospectError) as err:
        introspect(str(tmp_path / "nope.duckdb"))
    assert str(err.value) == f"database file not found: {tmp_path / 'nope.duckdb'}"


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("contacts and events, honest\n")
    with pytest.raises(IntrospectError) as err:
        introspect(str(path))
    assert str(err.value) == f"{path} is not a DuckDB database file"


def test_missing_table_and_column(tmp_path):
    path = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE contacts (contact_id BIGINT, country VARCHAR)")
    con.close()
    with pytest.raises(IntrospectError) as err:
        introspect(str(path))
    assert str(err.value) == f"table 'events' not found in {path} (tables there: contacts)"

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE events (contact_id BIGINT, event VARCHAR, ts TIMESTAMP)")
    con.close()
    with pytest.raises(IntrospectError) as err:
        introspect(str(path))
    assert str(err.value) == "table 'events' has no column 'occurred_at' (its columns: contact_id, event, ts)"
    assert introspect(str(path), time_column="ts").events == {}


def test_wrong_column_type(tmp_path):
    path = tmp_path / "typed.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE contacts (contact_id BIGINT)")
    con.execute("CREATE TABLE events (contact_id BIGINT, event INTEGER, occurred_at TIMESTAMP)")
    con.close()
    with pytest.raises(IntrospectError) as err:
        introspect(str(path))
    assert str(err.value) == "events.event is INTEGER: the event column must hold event names as text"


def test_cannot_connect_to_postgres():
    with pytest.raises(IntrospectError) as err:
        introspect("postgresql://postgres@127.0.0.1:1/postgres")
    assert str(err.value).startswith('cannot connect to PostgreSQL: connection failed: connection to server at '
                                     '"127.0.0.1", port 1 failed: Connection refused')
