"""Preview stage: run a compiled segment on DuckDB (read-only) or PostgreSQL and show how many people match,
a few of them, and statistics that help a marketer judge the segment. Every query has a time limit.

Hand `preview` the sqlglot expression the pipeline already compiled (`expression=`): it then compiles only
the universe and the catalog's stat measures (parsed once, when the catalog loaded), never the segment again."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel
from sqlglot import exp

from assistant.data.database import Database, DatabaseError  # noqa: F401 (Database: re-exported, callers import it here)
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import EV, compile_expression, compile_measures, compile_universe
from grammar.split import event_scans, split_scan

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


def _stat_measures(catalog: Catalog) -> list[A.Measure]:
    """Every measure the catalog's stats read, in order: each stat's measure, then its ratio measure if any."""
    out: list[A.Measure] = []
    for stat in catalog.stats:
        out += [stat.measure_node] + ([stat.ratio_node] if stat.ratio_node is not None else [])
    return out


def _scalar(query: exp.Query, alias: str) -> exp.Expression:
    return exp.alias_(exp.Subquery(this=query), alias)


def _member_totals(per_contact: exp.Select,
                   catalog: Catalog) -> tuple[list[tuple[str, exp.Select]], list[exp.Expression]] | None:
    """When every measure is a count or a total, their sums over the members without a per-contact step: the sum
    over members of each member's count is the count of the members' events, so each event's scan (of the
    members' events, `split.event_scans`) aggregates straight to one row, where grouping by contact first costs a
    hash table of every member. Returns (alias, one-row scan) CTEs and the `stat_i` columns; None otherwise."""
    with_ = per_contact.args.get("with_")
    scan = next((c.this for c in with_.expressions if c.alias == EV), None) if with_ else None
    parts = event_scans(scan, catalog, merge=True) if scan is not None else None
    if not parts:
        return None
    owner = {}  # feature alias -> the scan computing it
    for i, (_, part) in enumerate(parts, start=1):
        for feature in part.expressions[1:]:
            agg = feature.this
            if not (isinstance(agg, exp.Sum) or (isinstance(agg, exp.Count) and not agg.find(exp.Distinct))):
                return None
            owner[feature.alias] = f"st_{i}"
        part.set("group", None)
        part.set("expressions", part.expressions[1:])
    columns = []
    for i, value in enumerate(per_contact.expressions[1:], start=1):
        if not (isinstance(value.this, exp.Column) and value.this.name in owner):
            return None
        columns.append(exp.alias_(exp.column(value.this.name, owner[value.this.name]), f"stat_{i}"))
    return [(f"st_{i}", part) for i, (_, part) in enumerate(parts, start=1)], columns


MATERIALIZED_CTE_DIALECTS = ("duckdb", "postgres")  # WITH m AS MATERIALIZED: the members evaluated once


_SEGMENT = "__segment__"  # the frame's stand-in for the segment, replaced by it in each copy


class _Same:
    """A catalog as a cache key by identity (catalogs are not hashable); the cache keeps it, so its id stays."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def __hash__(self) -> int:
        return id(self.catalog)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.catalog is self.catalog


def preview_query(catalog: Catalog, segment: exp.Select, as_of: datetime, sample_size: int,
                  materialize: bool = True) -> tuple[exp.Select, int]:
    """ONE query for the whole preview (see `_preview_frame`), and how many of its leading columns are figures.
    The frame is the same for every segment, and building it (compiling the stat measures, splitting their scans)
    costs more than running a small segment: it is built once per catalog, as-of, sample size and `materialize`,
    and each call copies it and puts the segment (not copied) in as the members `m`."""
    frame, width = _frame(_Same(catalog), as_of, sample_size, materialize)
    query = frame.copy()
    next(c for c in query.args["with_"].expressions if c.alias == "m").set("this", segment)
    return query, width


@lru_cache(maxsize=32)
def _frame(catalog: _Same, as_of: datetime, sample_size: int, materialize: bool) -> tuple[exp.Select, int]:
    return _preview_frame(catalog.catalog, as_of, sample_size, materialize)


def _preview_frame(catalog: Catalog, as_of: datetime, sample_size: int,
                   materialize: bool = True) -> tuple[exp.Select, int]:
    """ONE query for the whole preview, and how many of its leading columns are figures (the rest are the
    sample's). The members are materialised once (`m`) and every figure reads them: the count, the sum of each
    stat measure over the members (one-row scans of the members' events when every measure is a count or a total,
    `_member_totals`; else a grouped scan per event joined to the members), and a sample; the universe count and
    the newest event read no segment. One row per sample member, each repeating the figures (one row of figures
    and NULLs when nobody matches). PostgreSQL refuses a TEMP table in a read-only transaction, so this
    is one statement on both engines. `materialize`: say `AS MATERIALIZED` (DuckDB, PostgreSQL; Spark's parser
    refuses it and plans the CTE itself)."""
    cid = catalog.contacts.id
    events = catalog.events_table
    measures = _stat_measures(catalog)
    members = exp.select(cid).from_("m")
    figures = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n"),
                         _scalar(exp.select(exp.Count(this=exp.Star())).from_(
                             compile_universe(catalog, as_of).subquery("u")), "total"),
                         _scalar(exp.select(exp.Max(this=exp.column(events.time))).from_(
                             exp.to_table(events.table)), "latest")).from_(exp.alias_(exp.to_table("m"), "m", table=True))
    query = exp.select().with_("m", as_=exp.select(exp.alias_(exp.null(), cid)).from_(_SEGMENT),
                               materialized=materialize or None)
    if measures:
        per_contact = compile_measures(measures, catalog, as_of, within=members)
        totals = _member_totals(per_contact, catalog)
        if totals is not None:  # every measure a count or a total: summed over the members by the scans themselves
            scans, columns = totals
            figures = exp.select(*[exp.column(c, "k") for c in ("n", "total", "latest")], *columns).from_(
                figures.subquery("k"))
            for alias, scan in scans:  # each one row: the cross joins keep the one row of figures
                query = query.with_(alias, as_=scan, copy=False)
                figures = figures.join(exp.alias_(exp.to_table(alias), alias, table=True), join_type="cross")
        else:  # the sum of each measure over the members: the measures' grouped scan joined to the members
            for cte in per_contact.args.pop("with_").expressions:
                query = query.with_(cte.alias, as_=cte.this, copy=False)
            figures = figures.select(*[exp.alias_(exp.Sum(this=value.this), f"stat_{i}")
                                       for i, value in enumerate(per_contact.expressions[1:], start=1)]).join(
                per_contact.args["from_"].this, join_type="left",
                on=exp.EQ(this=per_contact.expressions[0], expression=exp.column(cid, "m")))
    trait_cols = [catalog.trait_column(t) for t in catalog.traits]
    first = members.order_by(exp.column(cid)).limit(sample_size)  # the ids first: read traits of these rows only
    sample = (exp.select(exp.column(cid, "c"), *[exp.column(col, "c") for col in trait_cols])
              .from_(exp.alias_(exp.to_table(catalog.contacts.table), "c", table=True))
              .where(exp.In(this=exp.column(cid, "c"), query=first.subquery())))
    star = lambda table: exp.Column(this=exp.Star(), table=exp.to_identifier(table))  # noqa: E731
    query = (query.with_("f", as_=figures).with_("p", as_=sample).select(star("f"), star("p")).from_("f")
             .join("p", join_type="left", on=exp.true()).order_by(exp.column(cid, "p")))
    return split_scan(query, catalog), 3 + len(measures)


def preview(db: Database, node: A.Condition | None, catalog: Catalog, as_of: datetime,
            segments: dict[str, A.Condition] | None = None, sample_size: int = 10,
            show_pii: bool = False, *, expression: exp.Select | None = None) -> Preview:
    """Count, share of all contacts, a sample of members (PII masked unless asked) and per-member stats, from
    one evaluation of the segment. `expression` is the segment as `compile_expression` built it (for this
    catalog and as-of); without it the segment `node` is compiled here."""
    segment = expression if expression is not None else compile_expression(node, catalog, as_of, segments,
                                                                          dialect=db.dialect)
    query, width = preview_query(catalog, segment, as_of, sample_size,
                                 materialize=db.dialect in MATERIALIZED_CTE_DIALECTS)
    with db.connect() as conn:
        columns, rows = conn.query(query.sql(db.dialect))
    count, total, latest, *sums = rows[0][:width]
    sample = []
    trait_cols = [catalog.trait_column(t) for t in catalog.traits]
    for row in rows:
        if row[width] is None:  # nobody matched: the one row of figures has no sample member
            continue
        record = dict(zip(columns[width:], row[width:]))
        for trait, col in zip(catalog.traits, trait_cols):
            if catalog.traits[trait].pii and not show_pii and isinstance(record.get(col), str):
                record[col] = mask_email(record[col]) if "@" in record[col] else record[col][:1] + "***"
        sample.append({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in record.items()})
    stats, sums = [], iter(sums)
    for stat in catalog.stats:
        total_value = next(sums) or 0
        if stat.ratio_node is not None:
            base = next(sums)
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
    before = member_ids(db, compile_expression(old, catalog, as_of, segments, dialect=db.dialect).sql(db.dialect))
    after = member_ids(db, compile_expression(new, catalog, as_of, segments, dialect=db.dialect).sql(db.dialect))
    return after - before, before - after
