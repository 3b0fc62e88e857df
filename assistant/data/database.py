"""The one database adapter: open a DuckDB file or a PostgreSQL URL, run queries under a time limit, read-only
unless asked otherwise. Preview, introspection and the demo store all connect through it, so the URL sniffing,
the driver errors and the timeout live in one place."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_TIMEOUT = 30.0
_POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def is_postgres(target: str) -> bool:
    """Whether a database target is a PostgreSQL URL (else it is a DuckDB file path)."""
    return str(target).startswith(_POSTGRES_SCHEMES)


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
            return [d.name for d in cur.description or []], cur.fetchall()
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


@dataclass
class Database:
    """A connection target: a DuckDB file path, or a PostgreSQL URL (postgresql://...). `timeout` (seconds,
    None for none) bounds every query; `read_only` holds for every connection."""

    target: str
    timeout: float | None = DEFAULT_TIMEOUT
    read_only: bool = True

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.target)

    @property
    def dialect(self) -> str:
        return "postgres" if self.is_postgres else "duckdb"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
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

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one query on a fresh connection."""
        with self.connect() as conn:
            return conn.query(sql)
