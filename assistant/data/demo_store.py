"""Sensible defaults for a fresh machine: the embedded demo store and the as-of instant of a database.

duckdb and the generator load on first use: the console script imports this module for its defaults, and
`segment-assistant --help` should not pay for them."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

DEMO_CONTACTS = 20_000
DEMO_SEED = 7
# Bumped whenever the generator writes different bytes for the same size and seed (2: events stored in
# (event, occurred_at) order), so cached stores of an older version are generated again instead of reused.
STORE_VERSION = 2
_AS_OF_TAG = "segment-assistant demo store; as_of="


def cache_dir() -> Path:
    return Path(os.environ.get("SEGMENT_CACHE", Path.home() / ".cache" / "segment-assistant"))


def write_demo_store(path: str | Path, contacts: int = DEMO_CONTACTS, seed: int = DEMO_SEED,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    """Generate the demo store and tag it with its as-of instant (a table comment: the schema stays fixed)."""
    from assistant.data import demo_data
    from assistant.data.database import Database

    summary = demo_data.generate(path, contacts=contacts, seed=seed, progress=progress)
    with Database(str(path), timeout=None, read_only=False).connect() as conn:
        conn.query(f"COMMENT ON TABLE events IS '{_AS_OF_TAG}{demo_data.AS_OF.isoformat()}'")
    return summary


def cached_store_path(contacts: int = DEMO_CONTACTS, seed: int = DEMO_SEED) -> Path:
    """Where the cached demo store of this size and seed lives, for this generator version (it may not exist)."""
    return cache_dir() / f"demo-{contacts}-{seed}-v{STORE_VERSION}.duckdb"


def default_db_path() -> Path:
    """Where the default demo store lives (it may not exist yet)."""
    return cached_store_path()


def demo_db_path(progress: Callable[[int, int], None] | None = None) -> Path:
    """The default demo store, generated once into the cache directory."""
    path = default_db_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial")
        tmp.unlink(missing_ok=True)
        write_demo_store(tmp, progress=progress)
        tmp.replace(path)
    return path


def parse_as_of(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"--as-of must be a date or date-time like 2026-11-01 or 2026-11-01T12:00, not {text!r}") from None


def database_as_of(target: str) -> datetime | None:
    """The as-of instant a demo store was generated for, if `target` is one."""
    from assistant.data.database import Database, DatabaseError

    db = Database(target)
    comment = None
    if db.engine == "spark" and target.startswith("spark:"):  # the Parquet file's tag: no Spark needed
        from assistant.data.parquet import parquet_comment

        comment = parquet_comment(Path(target[len("spark:"):]).expanduser() / "events.parquet")
    elif db.engine == "clickhouse" and target.startswith("chdb:"):
        from assistant.data import clickhouse

        try:
            with db.connect() as conn:
                comment = clickhouse.table_comment(conn.raw, "events")
        except (DatabaseError, clickhouse.ClickHouseError):
            return None
    elif db.engine == "duckdb" and Path(target).exists():
        try:
            with db.connect() as conn:
                rows = conn.rows("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'")
        except DatabaseError:
            return None
        comment = rows[0][0] if rows else None
    if comment and comment.startswith(_AS_OF_TAG):
        return datetime.fromisoformat(comment[len(_AS_OF_TAG):])
    return None


def resolve_as_of(text: str | None, target: str | None) -> datetime:
    """--as-of if given; else the demo store's own instant; else now (UTC, to the second).

    The default demo store counts as attached before it is generated: it will carry the generator's
    instant, so compiling without a preview gives the windows a preview would use."""
    if text:
        return parse_as_of(text)
    if target and target == str(default_db_path()) and not Path(target).exists():
        from assistant.data.demo_data import AS_OF

        return AS_OF
    return (target and database_as_of(target)) or datetime.utcnow().replace(microsecond=0)


def __getattr__(name: str):
    """`demo_store.demo_data` still works (benchmarks read its AS_OF), loaded only when asked for."""
    if name == "demo_data":
        from assistant.data import demo_data

        return demo_data
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
