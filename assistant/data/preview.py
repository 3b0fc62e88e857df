"""Preview stage: run a compiled segment on DuckDB (read-only) or PostgreSQL and show how many people match,
a few of them, and statistics that help a marketer judge the segment. Every query has a time limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel
from sqlglot import exp

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import compile_expression, compile_measure, compile_universe
from grammar.parser import parse

DEFAULT_TIMEOUT = 30.0


class PreviewError(Exception):
    pass


class Stat(BaseModel):
    label: str
    value: float | None
    kind: Literal["per_member", "rate"] = "per_member"  # a rate is a fraction: show it as a percentage


class Preview(BaseModel):
    count: int
    total: int
    share: float
    sample: list[dict[str, Any]]
    stats: list[Stat]


@dataclass
class Database:
    """A connection target: a DuckDB file path, or a PostgreSQL URL (postgresql://...)."""

    target: str
    timeout: float = DEFAULT_TIMEOUT

    @property
    def dialect(self) -> str:
        return "postgres" if self.is_postgres else "duckdb"

    @property
    def is_postgres(self) -> bool:
        return self.target.startswith(("postgres://", "postgresql://"))

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self.is_postgres:
            import psycopg

            try:
                conn = psycopg.connect(self.target, connect_timeout=10, autocommit=True)
            except psycopg.Error as err:
                raise PreviewError(f"cannot connect to PostgreSQL: {str(err).strip()}") from None
            try:
                conn.execute("SET default_transaction_read_only = on")
                conn.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
                yield conn
            finally:
                conn.close()
            return
        if not Path(self.target).exists():
            raise PreviewError(f"database not found: {self.target} (create one with: segment-assistant demo-data --out {self.target})")
        try:
            conn = duckdb.connect(self.target, read_only=True)
        except duckdb.Error as err:
            raise PreviewError(f"cannot open DuckDB file {self.target}: {err}") from None
        try:
            yield conn
        finally:
            conn.close()

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        with self.connect() as conn:
            return self._run(conn, sql)

    def _run(self, conn: Any, sql: str) -> tuple[list[str], list[tuple]]:
        if self.is_postgres:
            import psycopg

            try:
                cur = conn.execute(sql)
                return [d.name for d in cur.description], cur.fetchall()
            except psycopg.errors.QueryCanceled:
                raise PreviewError(f"the query took longer than {self.timeout:g} s and was stopped") from None
            except psycopg.Error as err:
                raise PreviewError(f"PostgreSQL error: {str(err).strip()}") from None
        # DuckDB has no statement timeout: interrupt the connection from a timer instead.
        timer = threading.Timer(self.timeout, conn.interrupt)
        timer.start()
        try:
            cur = conn.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.InterruptException:
            raise PreviewError(f"the query took longer than {self.timeout:g} s and was stopped") from None
        except duckdb.Error as err:
            raise PreviewError(f"DuckDB error: {err}") from None
        finally:
            timer.cancel()


def member_ids(db: Database, sql: str) -> set[int]:
    _, rows = db.rows(sql)
    return {r[0] for r in rows}


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _measure(text: str) -> A.Measure:
    """A stat's measure is written in DSL words; read it through the grammar's own rank rule."""
    node = parse(f"top 1 by {text}")
    assert isinstance(node, A.Rank)
    return node.measure


def _stat_query(catalog: Catalog, segment: exp.Select, measure: A.Measure, as_of: datetime) -> exp.Select:
    """SUM of a measure over the members (contacts without events add 0)."""
    per_contact = compile_measure(measure, catalog, as_of).subquery("v")
    cid = catalog.contacts.id
    return (exp.select(exp.alias_(exp.Sum(this=exp.column("value", "v")), "total"))
            .from_(segment.subquery("m"))
            .join(per_contact, join_type="left",
                  on=exp.EQ(this=exp.column(catalog.events_table.contact_id, "v"), expression=exp.column(cid, "m"))))


def preview(db: Database, node: A.Condition, catalog: Catalog, as_of: datetime,
            segments: dict[str, A.Condition] | None = None, sample_size: int = 10,
            show_pii: bool = False) -> Preview:
    """Count, share of all contacts, a sample of members (PII masked unless asked) and per-member stats."""
    segment = compile_expression(node, catalog, as_of, segments)
    dialect = db.dialect
    cid = catalog.contacts.id
    count_sql = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(segment.subquery("m"))
    total_sql = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(
        compile_universe(catalog, as_of).subquery("u"))
    trait_cols = [catalog.trait_column(t) for t in catalog.traits]
    sample_sql = (exp.select(exp.column(cid, "c"), *[exp.column(col, "c") for col in trait_cols])
                  .from_(exp.alias_(exp.to_table(catalog.contacts.table), "c", table=True))
                  .where(exp.In(this=exp.column(cid, "c"), query=segment.subquery()))
                  .order_by(exp.column(cid, "c")).limit(sample_size))
    with db.connect() as conn:
        count = db._run(conn, count_sql.sql(dialect))[1][0][0]
        total = db._run(conn, total_sql.sql(dialect))[1][0][0]
        columns, rows = db._run(conn, sample_sql.sql(dialect))
        sample = []
        for row in rows:
            record = dict(zip(columns, row))
            for trait, col in zip(catalog.traits, trait_cols):
                if catalog.traits[trait].pii and not show_pii and isinstance(record.get(col), str):
                    record[col] = mask_email(record[col]) if "@" in record[col] else record[col][:1] + "***"
            sample.append({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in record.items()})
        stats = []
        for stat in catalog.stats:
            total_value = db._run(conn, _stat_query(catalog, segment, _measure(stat.measure), as_of).sql(dialect))[1][0][0] or 0
            if stat.ratio_to:
                base = db._run(conn, _stat_query(catalog, segment, _measure(stat.ratio_to), as_of).sql(dialect))[1][0][0]
                value = float(total_value) / float(base) if base else None
            else:
                value = float(total_value) / count if count else None
            stats.append(Stat(label=stat.label, value=None if value is None else round(value, 4),
                              kind="rate" if stat.ratio_to else "per_member"))
    return Preview(count=count, total=total, share=round(count / total, 4) if total else 0.0, sample=sample, stats=stats)


def membership_diff(db: Database, catalog: Catalog, as_of: datetime, old: A.Condition, new: A.Condition,
                    segments: dict[str, A.Condition] | None = None) -> tuple[set[int], set[int]]:
    """Who enters (in `new`, not in `old`) and who leaves (in `old`, not in `new`) at `as_of`."""
    before = member_ids(db, compile_expression(old, catalog, as_of, segments).sql(db.dialect))
    after = member_ids(db, compile_expression(new, catalog, as_of, segments).sql(db.dialect))
    return after - before, before - after
