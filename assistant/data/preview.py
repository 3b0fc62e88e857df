"""Preview stage: run a compiled segment on DuckDB (read-only) or PostgreSQL and show how many people match,
a few of them, and statistics that help a marketer judge the segment. Every query has a time limit.

Hand `preview` the sqlglot expression the pipeline already compiled (`expression=`): it then compiles only
the universe and the catalog's stat measures (parsed once, when the catalog loaded), never the segment again."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlglot import exp

from assistant.data.database import Database, DatabaseError  # noqa: F401 (Database: re-exported, callers import it here)
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import compile_expression, compile_measure, compile_universe

# The preview's error is the database adapter's: one class, so `except PreviewError` catches a failed
# connection and a failed or stopped query alike, as it always has.
PreviewError = DatabaseError


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
    latest_event: datetime | None = None  # the newest event in the database (a window after it selects none)


def member_ids(db: Database, sql: str) -> set[int]:
    _, rows = db.rows(sql)
    return {r[0] for r in rows}


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _stat_query(catalog: Catalog, segment: exp.Select, measure: A.Measure, as_of: datetime) -> exp.Select:
    """SUM of a measure over the members (contacts without events add 0)."""
    per_contact = compile_measure(measure, catalog, as_of).subquery("v")
    cid = catalog.contacts.id
    return (exp.select(exp.alias_(exp.Sum(this=exp.column("value", "v")), "total"))
            .from_(segment.subquery("m"))
            .join(per_contact, join_type="left",
                  on=exp.EQ(this=exp.column(catalog.events_table.contact_id, "v"), expression=exp.column(cid, "m"))))


def preview(db: Database, node: A.Condition | None, catalog: Catalog, as_of: datetime,
            segments: dict[str, A.Condition] | None = None, sample_size: int = 10,
            show_pii: bool = False, *, expression: exp.Select | None = None) -> Preview:
    """Count, share of all contacts, a sample of members (PII masked unless asked) and per-member stats.
    `expression` is the segment as `compile_expression` built it (for this catalog and as-of); without it the
    segment `node` is compiled here."""
    segment = expression if expression is not None else compile_expression(node, catalog, as_of, segments)
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
        def scalar(query: exp.Select):
            return conn.query(query.sql(dialect))[1][0][0]

        count = scalar(count_sql)
        total = scalar(total_sql)
        events = catalog.events_table
        latest = scalar(exp.select(exp.Max(this=exp.column(events.time))).from_(exp.to_table(events.table)))
        columns, rows = conn.query(sample_sql.sql(dialect))
        sample = []
        for row in rows:
            record = dict(zip(columns, row))
            for trait, col in zip(catalog.traits, trait_cols):
                if catalog.traits[trait].pii and not show_pii and isinstance(record.get(col), str):
                    record[col] = mask_email(record[col]) if "@" in record[col] else record[col][:1] + "***"
            sample.append({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in record.items()})
        stats = []
        for stat in catalog.stats:
            total_value = scalar(_stat_query(catalog, segment, stat.measure_node, as_of)) or 0
            if stat.ratio_node is not None:
                base = scalar(_stat_query(catalog, segment, stat.ratio_node, as_of))
                value = float(total_value) / float(base) if base else None
            else:
                value = float(total_value) / count if count else None
            stats.append(Stat(label=stat.label, value=None if value is None else round(value, 4),
                              kind="rate" if stat.ratio_to else "per_member"))
    return Preview(count=count, total=total, share=round(count / total, 4) if total else 0.0, sample=sample, stats=stats,
                   latest_event=latest if isinstance(latest, datetime) else None)


def membership_diff(db: Database, catalog: Catalog, as_of: datetime, old: A.Condition, new: A.Condition,
                    segments: dict[str, A.Condition] | None = None) -> tuple[set[int], set[int]]:
    """Who enters (in `new`, not in `old`) and who leaves (in `old`, not in `new`) at `as_of`."""
    before = member_ids(db, compile_expression(old, catalog, as_of, segments).sql(db.dialect))
    after = member_ids(db, compile_expression(new, catalog, as_of, segments).sql(db.dialect))
    return after - before, before - after
