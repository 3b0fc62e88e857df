"""Copy a DuckDB store (the demo data) into PostgreSQL, so the same segments can be previewed there."""

from __future__ import annotations

from assistant.data.database import Database

_TABLES = {
    "contacts": """CREATE TABLE contacts (contact_id BIGINT PRIMARY KEY, email VARCHAR, first_name VARCHAR,
        country VARCHAR, city VARCHAR, plan VARCHAR, signup_at TIMESTAMP, birthday DATE NULL,
        email_consent BOOLEAN, sms_consent BOOLEAN)""",
    "events": """CREATE TABLE events (event_id BIGINT PRIMARY KEY, contact_id BIGINT, event VARCHAR,
        occurred_at TIMESTAMP, channel VARCHAR NULL, product_category VARCHAR NULL, amount DECIMAL(12,2) NULL,
        discounted BOOLEAN NULL, url VARCHAR NULL, campaign VARCHAR NULL, properties JSON NULL)""",
}
# Rows go in the order the compiled SQL reads them: events by (event, occurred_at), like the demo store (a heap
# in that order is what CLUSTER on the first index gives, without rewriting the table again): the queries that
# read more than the index holds (amounts, URLs, properties) fetch neighbouring pages. Measured at 200k, the 16
# seed segments interleaved, after CLUSTER on that index (the same heap order): 0.59x the time of event-id
# order (README, "The store's layout").
ORDER = {"contacts": "contact_id", "events": "event, occurred_at, event_id"}
# The compiled SQL reads events by (event, time window) and needs only the contact id from them: an index-only
# scan of the first index. The second serves the per-contact lookups of sequences ("then within 1 day").
# tests/test_compile_postgres.py checks with EXPLAIN that the compiled SQL uses them.
INDEXES = ["CREATE INDEX events_event_time ON events (event, occurred_at) INCLUDE (contact_id)",
           "CREATE INDEX events_contact_event_time ON events (contact_id, event, occurred_at)"]


def copy_to_postgres(duckdb_path: str, dsn: str, batch: int = 50_000) -> dict[str, int]:
    """Replace the contacts and events tables in `dsn` with those of the DuckDB file; row counts copied."""
    import psycopg

    counts = {}
    # The DuckDB side reads through the adapter; the PostgreSQL side writes in one transaction (DDL and COPY
    # commit together), which the adapter's read-only, autocommit connections are not for.
    with Database(duckdb_path, timeout=None).connect() as source, psycopg.connect(dsn) as conn:
        for table, ddl in _TABLES.items():
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(ddl)
            cur = source.raw.execute(f"SELECT * FROM {table} ORDER BY {ORDER[table]}")
            counts[table] = 0
            with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                while rows := cur.fetchmany(batch):
                    for row in rows:
                        copy.write_row(row)
                    counts[table] += len(rows)
        for index in INDEXES:
            conn.execute(index)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts, events")  # statistics, and the visibility map index-only scans need
    return counts
