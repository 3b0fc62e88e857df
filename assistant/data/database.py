"""The one database adapter: open a DuckDB file, a PostgreSQL URL, a Spark target (`spark:FOLDER` of Parquet in
local mode, `sc://host:port` over Spark Connect) or a ClickHouse target (`chdb:PATH` embedded,
`clickhouse://...` a server), run queries under a time limit, read-only unless asked otherwise. Preview,
introspection and the demo store all connect through it, so the URL sniffing, the driver errors and the
timeout live in one place; the Spark and ClickHouse specifics live in `spark.py` and `clickhouse.py`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_TIMEOUT = 30.0
# Spark plans stages and generates code for every query: on one machine a segment takes seconds to a minute,
# so its default limit is longer. (A limit given explicitly holds as given.)
ENGINE_TIMEOUTS = {"spark": 300.0}
_POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def is_postgres(target: str) -> bool:
    """Whether a database target is a PostgreSQL URL (else it is a DuckDB file path)."""
    return str(target).startswith(_POSTGRES_SCHEMES)


def engine_of(target: str) -> str:
    """The engine a target names, which is also the SQL dialect compiled for it: duckdb (a file path),
    postgres, spark or clickhouse."""
    from assistant.data.clickhouse import is_clickhouse
    from assistant.data.spark import is_spark

    if is_postgres(target):
        return "postgres"
    if is_spark(target):
        return "spark"
    return "clickhouse" if is_clickhouse(target) else "duckdb"


class DatabaseError(Exception):
    """The database cannot be opened or a query failed; the message says which and why. `detail` is the
    driver's own message, for callers that word the error themselves."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail if detail is not None else message


class DatabaseNotFound(DatabaseError):
    """No DuckDB file at that path."""


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


class Connection:
    """One open connection; `query` runs a statement under the database's time limit."""

    def __init__(self, raw: Any, postgres: bool, timeout: float | None):
        self.raw, self.postgres, self.timeout = raw, postgres, timeout

    def query(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
        """(column names, rows). `params` are `?` placeholders, in either engine."""
        return self._postgres(sql, params) if self.postgres else self._duckdb(sql, params)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.query(sql, params)[1]

    def cursor(self, sql: str) -> Any:
        """A cursor on `sql` to read in batches (`fetchmany`), for results too large to hold: exports. The
        engine's errors come back as DatabaseError; a PostgreSQL statement timeout still holds."""
        try:
            return self.raw.execute(sql)
        except duckdb.Error as err:
            raise DatabaseError(f"DuckDB error: {err}", str(err)) from None
        except Exception as err:  # psycopg's errors (imported only for PostgreSQL targets)
            raise DatabaseError(f"PostgreSQL error: {str(err).strip()}", str(err).strip()) from None

    def _stopped(self) -> DatabaseError:
        return DatabaseError(f"the query took longer than {self.timeout:g} s and was stopped")

    def _postgres(self, sql: str, params: list[Any] | None) -> tuple[list[str], list[tuple]]:
        import psycopg

        try:
            cur = self.raw.execute(sql.replace("?", "%s") if params else sql, params)
            # DDL (refresh's CREATE / DROP / ALTER) produces no rows to fetch
            return [d.name for d in cur.description or []], cur.fetchall() if cur.description else []
        except psycopg.errors.QueryCanceled:
            raise self._stopped() from None
        except psycopg.Error as err:
            raise DatabaseError(f"PostgreSQL error: {str(err).strip()}", str(err).strip()) from None

    def _duckdb(self, sql: str, params: list[Any] | None) -> tuple[list[str], list[tuple]]:
        # DuckDB has no statement timeout: interrupt the connection from a timer instead.
        timer = threading.Timer(self.timeout, self.raw.interrupt) if self.timeout else None
        if timer:
            timer.start()
        try:
            cur = self.raw.execute(sql, params or [])
            return [d[0] for d in cur.description or []], cur.fetchall()
        except duckdb.InterruptException:
            raise self._stopped() from None
        except duckdb.Error as err:
            raise DatabaseError(f"DuckDB error: {err}", str(err)) from None
        finally:
            if timer:
                timer.cancel()


class SparkConnection(Connection):
    """A Spark session: `?` parameters bind positionally; a query over the time limit is interrupted."""

    def query(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
        from assistant.data.spark import interrupt

        timer = threading.Timer(self.timeout, interrupt, [self.raw]) if self.timeout else None
        if timer:
            timer.start()
        try:
            frame = self.raw.sql(sql, args=params) if params else self.raw.sql(sql)
            rows = [tuple(r) for r in frame.collect()]
            return list(frame.columns), rows
        except Exception as err:
            if timer and not timer.is_alive():
                raise self._stopped() from None
            raise DatabaseError(f"Spark error: {_spark_message(err)}", _spark_message(err)) from None
        finally:
            if timer:
                timer.cancel()

    def cursor(self, sql: str) -> Any:
        from assistant.data.spark import SparkCursor

        try:
            return SparkCursor(self.raw.sql(sql))
        except Exception as err:
            raise DatabaseError(f"Spark error: {_spark_message(err)}", _spark_message(err)) from None


def _spark_message(err: Exception) -> str:
    """Spark's own message without the plan and the JVM stack trace under it."""
    text = str(getattr(err, "getMessage", lambda: str(err))()).strip()
    return _one_line(text.split("\n")[0])  # the error class and message; below it, the plan and the JVM stack


class ClickHouseConnection(Connection):
    """Embedded chdb or a server: ClickHouse's own max_execution_time is the time limit."""

    def query(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
        from assistant.data.clickhouse import ClickHouseError

        if params:
            raise DatabaseError("ClickHouse targets take no query parameters")
        try:
            return self.raw.query(sql, self.timeout)
        except ClickHouseError as err:
            if "TIMEOUT_EXCEEDED" in str(err):
                raise self._stopped() from None
            raise DatabaseError(f"ClickHouse error: {err}", str(err)) from None

    def cursor(self, sql: str) -> Any:
        return _ListCursor(*self.query(sql))


class _ListCursor:
    """A cursor over a result already read (ClickHouse answers a statement in one piece)."""

    def __init__(self, columns: list[str], rows: list[tuple]):
        self.description = [(c,) for c in columns]
        self._rows = iter(rows)

    def fetchmany(self, size: int) -> list[tuple]:
        return [row for _, row in zip(range(size), self._rows)]


@dataclass
class Database:
    """A connection target: a DuckDB file path, a PostgreSQL URL (postgresql://...), `spark:FOLDER`,
    `sc://host:port`, `chdb:PATH` or `clickhouse://...`. `timeout` (seconds, None for none) bounds every
    query; `read_only` holds for every DuckDB and PostgreSQL connection (Spark and ClickHouse targets are
    read by what the preview runs: SELECTs only)."""

    target: str
    timeout: float | None = DEFAULT_TIMEOUT
    read_only: bool = True

    def __post_init__(self) -> None:
        if self.timeout is DEFAULT_TIMEOUT:
            self.timeout = ENGINE_TIMEOUTS.get(self.engine, DEFAULT_TIMEOUT)

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.target)

    @property
    def engine(self) -> str:
        return engine_of(self.target)

    @property
    def dialect(self) -> str:
        return self.engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        engine = self.engine
        if engine in ("spark", "clickhouse"):
            conn = self._engine_connection(engine)
            try:
                yield conn
            finally:
                from assistant.data.clickhouse import Server

                if isinstance(conn.raw, Server):  # a ClickHouse server's HTTP client is this connection's own
                    conn.raw.close()
            return
        if self.is_postgres:
            import psycopg

            try:
                raw = psycopg.connect(self.target, connect_timeout=10, autocommit=True)
            except psycopg.Error as err:
                raise DatabaseError(f"cannot connect to PostgreSQL: {_one_line(err)}", _one_line(err)) from None
            try:
                if self.read_only:
                    raw.execute("SET default_transaction_read_only = on")
                if self.timeout:
                    raw.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
                yield Connection(raw, True, self.timeout)
            finally:
                raw.close()
            return
        path = Path(self.target)
        if not path.exists():
            raise DatabaseNotFound(f"database not found: {self.target} (create one with: segment-assistant "
                                   f"demo-data --out {self.target})")
        if path.is_file() and path.stat().st_size:
            with path.open("rb") as f:
                if f.read(12)[8:] != b"DUCK":  # DuckDB's magic bytes
                    raise DatabaseError(f"{self.target} is not a DuckDB database file")
        try:
            raw = duckdb.connect(str(path), read_only=self.read_only)
        except duckdb.Error as err:
            raise DatabaseError(f"cannot open DuckDB file {self.target}: {err}", str(err)) from None
        try:
            raw.execute("SET enable_progress_bar = false")  # callers draw their own
            yield Connection(raw, False, self.timeout)
        finally:
            raw.close()

    def _engine_connection(self, engine: str) -> Connection:
        """Spark sessions and embedded ClickHouse are the process's own (a JVM, an embedded server): opened
        once, shared by every connection, never closed here."""
        try:
            if engine == "spark":
                from assistant.data.spark import session_for

                return SparkConnection(session_for(self.target), False, self.timeout)
            from assistant.data import clickhouse

            raw = (clickhouse.embedded(self.target) if self.target.startswith(clickhouse.CHDB_PREFIX)
                   else clickhouse.Server(self.target))
            return ClickHouseConnection(raw, False, self.timeout)
        except Exception as err:  # no pyspark or chdb, no such folder, the JVM or the engine would not start
            raise DatabaseError(f"cannot open {self.target}: {_spark_message(err)}", _spark_message(err)) from None

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one query on a fresh connection."""
        with self.connect() as conn:
            return conn.query(sql)
