"""Shared fixtures: the demo catalog, the fixed as-of instant and a small demo store generated once per run."""

from datetime import datetime

import pytest

from assistant.data.demo_data import generate
from grammar.catalog import load_catalog

AS_OF = datetime(2026, 11, 1)


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def as_of():
    return AS_OF


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A 2,000-contact demo store (seed 7), shared by every test that runs SQL."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, contacts=2000, seed=7)
    return str(path)


@pytest.fixture(scope="session")
def pg_demo(demo_db) -> str:
    """A real PostgreSQL server holding the same demo data as `demo_db`; its connection URL."""
    from assistant.data.postgres import copy_to_postgres
    from assistant.data.local_postgres import postgres_server

    with postgres_server() as dsn:
        copy_to_postgres(demo_db, dsn)
        yield dsn


@pytest.fixture(scope="session")
def parquet_demo(demo_db, tmp_path_factory) -> str:
    """The same demo data as `demo_db`, as Parquet files (contacts.parquet, events.parquet); their folder."""
    from assistant.data.parquet import export_parquet

    folder = tmp_path_factory.mktemp("parquet")
    export_parquet(demo_db, folder)
    return str(folder)


@pytest.fixture(scope="session")
def spark_demo(parquet_demo) -> str:
    """A local-mode Spark target over `parquet_demo` (one SparkSession for the whole run)."""
    return f"spark:{parquet_demo}"


@pytest.fixture(scope="session")
def chdb_demo(parquet_demo, tmp_path_factory) -> str:
    """Embedded ClickHouse (chdb) holding the same demo data in MergeTree tables; its target. chdb serves one
    path per process, so every test uses this one."""
    from pathlib import Path

    from assistant.data import clickhouse
    from assistant.data.database import Database

    target = f"chdb:{tmp_path_factory.mktemp('chdb')}"
    with Database(target).connect() as conn:
        clickhouse.load_parquet(conn.raw, Path(parquet_demo))
    return target


@pytest.fixture(scope="session")
def spark_connect_demo(parquet_demo, tmp_path_factory) -> str:
    """A real Spark Connect server (local mode) whose catalog holds `contacts` and `events` as tables over
    `parquet_demo`; its sc:// URL."""
    from assistant.data.database import Database
    from assistant.data.local_postgres import free_port
    from assistant.data.spark import local_connect_server

    with local_connect_server(free_port(), tmp_path_factory.mktemp("spark-connect") / "warehouse") as url:
        db = Database(url, timeout=None)
        for table in ("contacts", "events"):
            db.rows(f"CREATE TABLE {table} USING parquet LOCATION '{parquet_demo}/{table}.parquet'")
        yield url
