"""Segments as tables where the data lives: one statement (`grammar/batch.py`) computes the members of every
segment inside the engine, and each segment's members become a table `<prefix><name>` (one column,
contact_id), swapped in so that readers see the old table or the new one, never a half-written one.

- DuckDB, PostgreSQL: one transaction builds every table under a temporary name, drops the old, renames; a
  reader sees all the old tables or all the new ones. PostgreSQL opens a writable session for this only,
  under the same statement timeout.
- ClickHouse (`chdb:PATH`, `clickhouse://`): a MergeTree table per segment built under a temporary name, then
  `EXCHANGE TABLES` (one atomic swap per table) or `RENAME` when there was none.
- Spark local (`spark:FOLDER`): each table is written as Parquet into a fresh version folder under
  `FOLDER/_refresh/`, then `FOLDER/<prefix><name>.parquet` (a symbolic link) is replaced in one rename; the
  previous version is kept until the next refresh, so a reader that listed its files can still read them.

The members never pass through Python: only their counts come back."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlglot import exp

from assistant.data.database import Connection, Database, DatabaseError, _spark_message
from grammar import ast as A
from grammar.batch import CONTACT, NAME, batch_sql
from grammar.catalog import Catalog

PREFIX = "segment_"
STAGE = "_segment_refresh_stage"  # every segment's (segment_name, contact_id) rows, computed once
VERSIONS = "_refresh"             # Spark: the folder of Parquet versions the table links point into
_PREFIX_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class RefreshError(Exception):
    """A refresh cannot run or failed; the message says what and where."""


@dataclass
class Written:
    name: str       # the segment
    table: str      # the table it was written to
    count: int      # its members


def table_name(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


def check_prefix(prefix: str) -> None:
    if not _PREFIX_RE.match(prefix):
        raise RefreshError(f"the table prefix is letters, digits and _ (not starting with a digit): {prefix!r}")


def _quote(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)


def write_tables(database: Database, segments: Mapping[str, A.Condition], catalog: Catalog, as_of: datetime,
                 references: Mapping[str, A.Condition] | None = None, prefix: str = PREFIX,
                 progress: Callable[[int, int], None] | None = None) -> list[Written]:
    """Write each segment's members at `as_of` as the table `<prefix><name>` in `database`, computed there;
    (segment, table, member count) per segment, in the order given. `progress(done, total)` after each table."""
    check_prefix(prefix)
    if not segments:
        return []
    engine = database.engine
    sql = batch_sql(segments, catalog, engine, as_of, references, pretty=False)
    tick = progress or (lambda done, total: None)
    where = f"{engine} target {database.target if engine != 'postgres' else _hide_password(database.target)}"
    writable = Database(database.target, timeout=database.timeout, read_only=False)
    try:
        if engine in ("duckdb", "postgres"):
            return _transactional(writable, sql, list(segments), prefix, tick)
        if engine == "clickhouse":
            return _clickhouse(writable, sql, list(segments), prefix, tick)
        if database.target.startswith("spark:"):
            return _spark_local(writable, sql, list(segments), prefix, tick)
        raise RefreshError(f"cannot write tables to {where}: refresh writes to DuckDB, PostgreSQL, ClickHouse "
                           f"and local Spark (spark:FOLDER); over Spark Connect, create the tables in the "
                           f"cluster's catalog from `segment-assistant compile --dialect spark` instead")
    except DatabaseError as err:
        raise RefreshError(f"cannot write the segment tables to {where}: {err.detail}") from None
    except OSError as err:
        raise RefreshError(f"cannot write the segment tables to {where}: {err}") from None


def _hide_password(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _counts(conn: Connection, table: str) -> int:
    return conn.rows(f"SELECT count(*) FROM {table}")[0][0]


def _transactional(database: Database, sql: str, names: list[str], prefix: str,
                   tick: Callable[[int, int], None]) -> list[Written]:
    """DuckDB and PostgreSQL: every table in one transaction (DDL is transactional in both)."""
    dialect = database.engine
    with database.connect() as conn:
        conn.query("BEGIN")
        try:
            conn.query(f"CREATE TEMPORARY TABLE {STAGE} AS {sql}")
            out = []
            for i, name in enumerate(names, start=1):
                table = table_name(prefix, name)
                final, building = _quote(table, dialect), _quote(f"{table}__building", dialect)
                conn.query(f"DROP TABLE IF EXISTS {building}")
                conn.query(f"CREATE TABLE {building} AS SELECT {CONTACT} FROM {STAGE} WHERE {NAME} = "
                           f"{exp.Literal.string(name).sql(dialect)} ORDER BY {CONTACT}")
                conn.query(f"DROP TABLE IF EXISTS {final}")
                conn.query(f"ALTER TABLE {building} RENAME TO {final}")
                out.append(Written(name, table, _counts(conn, final)))
                tick(i, len(names))
            conn.query(f"DROP TABLE {STAGE}")
            conn.query("COMMIT")
        except BaseException:
            try:
                conn.query("ROLLBACK")
            except DatabaseError:  # the connection itself failed: nothing was committed
                pass
            raise
    return out


def _clickhouse(database: Database, sql: str, names: list[str], prefix: str,
                tick: Callable[[int, int], None]) -> list[Written]:
    """MergeTree tables built under a temporary name, then swapped in one statement each."""
    with database.connect() as conn:
        conn.query(f"DROP TABLE IF EXISTS {STAGE}")
        conn.query(f"CREATE TABLE {STAGE} ENGINE = MergeTree ORDER BY ({NAME}, {CONTACT}) AS {sql}")
        try:
            out = []
            for i, name in enumerate(names, start=1):
                table = table_name(prefix, name)
                final, building = _quote(table, "clickhouse"), _quote(f"{table}__building", "clickhouse")
                conn.query(f"DROP TABLE IF EXISTS {building}")
                conn.query(f"CREATE TABLE {building} ENGINE = MergeTree ORDER BY {CONTACT} AS SELECT {CONTACT} "
                           f"FROM {STAGE} WHERE {NAME} = {exp.Literal.string(name).sql('clickhouse')}")
                exists = conn.rows("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = "
                                   f"{exp.Literal.string(table).sql('clickhouse')}")[0][0]
                if exists:
                    conn.query(f"EXCHANGE TABLES {building} AND {final}")  # atomic: the Atomic database engine
                    conn.query(f"DROP TABLE {building}")
                else:
                    conn.query(f"RENAME TABLE {building} TO {final}")
                out.append(Written(name, table, _counts(conn, final)))
                tick(i, len(names))
        finally:
            conn.query(f"DROP TABLE IF EXISTS {STAGE}")
    return out


def _spark_local(database: Database, sql: str, names: list[str], prefix: str,
                 tick: Callable[[int, int], None]) -> list[Written]:
    """Parquet versions under FOLDER/_refresh/, each table a symbolic link swapped in one rename."""
    from assistant.data import spark

    folder = Path(database.target[len(spark.SPARK_PREFIX):]).expanduser()
    with database.connect() as conn:
        session = conn.raw
        try:
            return _spark_tables(session, folder, sql, names, prefix, tick)
        except (DatabaseError, OSError):
            raise
        except Exception as err:  # Spark's own (analysis, Py4J): its message without the JVM stack
            raise DatabaseError(f"Spark error: {_spark_message(err)}", _spark_message(err)) from None
        finally:
            spark.forget_views()  # the folder's tables changed: register them again on next use


def _spark_tables(session, folder: Path, sql: str, names: list[str], prefix: str,
                  tick: Callable[[int, int], None]) -> list[Written]:
    from pyspark.sql import functions as F

    rows = session.sql(sql).persist()  # the batch runs once; each table filters it
    try:
        versions = folder / VERSIONS
        versions.mkdir(exist_ok=True)
        out = []
        for i, name in enumerate(names, start=1):
            table = table_name(prefix, name)
            version = versions / f"{table}.{uuid.uuid4().hex[:12]}.parquet"
            part = rows.where(F.col(NAME) == name).select(CONTACT).orderBy(CONTACT).coalesce(1)
            part.write.parquet(str(version))
            count = session.read.parquet(str(version)).count()
            _swap_link(folder / f"{table}.parquet", version)
            out.append(Written(name, table, count))
            tick(i, len(names))
        return out
    finally:
        rows.unpersist()


def _swap_link(link: Path, version: Path) -> None:
    """Point `link` at `version` in one rename (atomic on POSIX), keep the version it pointed at until the
    next swap (a reader may still be reading it), and delete the older ones."""
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():  # a table written by other means: move it into the versions
        moved = version.parent / f"{link.name.removesuffix('.parquet')}.{uuid.uuid4().hex[:12]}.parquet"
        os.rename(link, moved)
        previous = moved
    staged = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    os.symlink(os.path.relpath(version, link.parent), staged)
    os.replace(staged, link)
    stem = link.name.removesuffix(".parquet") + "."
    for old in version.parent.iterdir():
        if old.name.startswith(stem) and old.name.removeprefix(stem).count(".") == 1 and old not in (version, previous):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
