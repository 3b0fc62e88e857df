"""Many segments in ONE SQL statement: rows (segment_name, contact_id), one per member of each segment.

The segments share one grouped scan of the events (`compile_flags`: every segment's features in one `ev`
CTE, one truth column per segment over the contacts), then a small unpivot keeps, for each segment, the
contacts whose column is true:

    WITH ev AS (...), rank_1 AS (...),                 -- the features and rankings of every segment, once
    flags AS (SELECT c.contact_id, <segment 1> AS flag_1, ... FROM contacts c LEFT JOIN ev ... WHERE <exists>),
    names AS (SELECT 'vips' AS segment_name, 1 AS slot UNION ALL SELECT 'ghosts', 2 ...)
    SELECT names.segment_name, flags.contact_id FROM flags CROSS JOIN names
    WHERE CASE names.slot WHEN 1 THEN flags.flag_1 WHEN 2 THEN flags.flag_2 ... END

`flags` is read once (no reliance on an engine materialising a CTE used many times), and the statement is plain
enough for every dialect the compiler emits, so `CREATE TABLE t AS <it>` runs inside the engine. Each segment's
members equal those of the segment compiled alone: the same predicate, over the same contacts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlglot import exp

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import compile_flags, to_sql

NAME, CONTACT = "segment_name", "contact_id"


def batch_expression(named: Mapping[str, A.Condition], catalog: Catalog, as_of: datetime | None = None,
                     segments: Mapping[str, A.Condition] | None = None) -> exp.Select:
    """The sqlglot expression of every segment in `named` (name -> checked condition), in one statement whose
    rows are (segment_name, contact_id). `segments` resolves `in segment "..."` references (default: `named`)."""
    if not named:
        raise ValueError("no segments to evaluate: give at least one")
    names = list(named)
    flags = compile_flags([named[n] for n in names], catalog, as_of, named if segments is None else segments)
    ctes = flags.args.pop("with", None)  # hoisted: one WITH for the whole statement, on every engine
    rows = [exp.select(exp.alias_(exp.Literal.string(n), NAME), exp.alias_(exp.Literal.number(i), "slot"))
            for i, n in enumerate(names, start=1)]
    table = rows[0]
    for row in rows[1:]:
        table = exp.union(table, row, distinct=False, copy=False)
    pick = exp.Case(this=exp.column("slot", "n"),
                    ifs=[exp.If(this=exp.Literal.number(i), true=exp.column(f"flag_{i}", "f"))
                         for i in range(1, len(names) + 1)])
    query = (exp.select(exp.column(NAME, "n"), exp.alias_(exp.column(catalog.contacts.id, "f"), CONTACT))
             .from_(exp.alias_(exp.to_table("flags"), "f", table=True))
             .join(exp.alias_(exp.to_table("names"), "n", table=True), join_type="cross")
             .where(pick, copy=False))
    for cte in (ctes.expressions if ctes else []):
        query = query.with_(cte.alias, as_=cte.this, copy=False)
    return query.with_("flags", as_=flags, copy=False).with_("names", as_=table, copy=False)


def batch_sql(named: Mapping[str, A.Condition], catalog: Catalog, dialect: str = "duckdb",
              as_of: datetime | None = None, segments: Mapping[str, A.Condition] | None = None,
              pretty: bool = True) -> str:
    """SQL text of `batch_expression` in `dialect`: rows (segment_name, contact_id)."""
    return to_sql(batch_expression(named, catalog, as_of, segments), dialect, pretty)
