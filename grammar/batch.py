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
from grammar.split import split_scan

NAME, CONTACT = "segment_name", "contact_id"


def batch_expression(named: Mapping[str, A.Condition], catalog: Catalog, as_of: datetime | None = None,
                     segments: Mapping[str, A.Condition] | None = None, dialect: str = "duckdb") -> exp.Select:
    """The sqlglot expression of every segment in `named` (name -> checked condition), in one statement whose
    rows are (segment_name, contact_id). `segments` resolves `in segment "..."` references (default: `named`)."""
    if not named:
        raise ValueError("no segments to evaluate: give at least one")
    names = list(named)
    flags = compile_flags([named[n] for n in names], catalog, as_of, named if segments is None else segments,
                          dialect)  # Spark ranks without a window over every contact
    ctes = flags.args.pop("with_", None)  # hoisted: one WITH for the whole statement, on every engine
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
    query = query.with_("flags", as_=flags, copy=False).with_("names", as_=table, copy=False)
    return share_identical(split_scan(query, catalog))


def batch_sql(named: Mapping[str, A.Condition], catalog: Catalog, dialect: str = "duckdb",
              as_of: datetime | None = None, segments: Mapping[str, A.Condition] | None = None,
              pretty: bool = True) -> str:
    """SQL text of `batch_expression` in `dialect`: rows (segment_name, contact_id)."""
    return to_sql(batch_expression(named, catalog, as_of, segments, dialect), dialect, pretty)


def share_identical(query: exp.Select) -> exp.Select:
    """Compute each distinct CTE once: two segments ranking by the same measure (`vips` and `high_value`) need one
    ranking; only their thresholds differ."""
    with_ = query.args.get("with_")
    seen: dict[str, str] = {}
    renamed: dict[str, str] = {}
    kept = []
    for cte in with_.expressions:
        key = cte.this.sql()
        if key in seen:
            renamed[cte.alias] = seen[key]
        else:
            seen[key] = cte.alias
            kept.append(cte)
    if not renamed:
        return query
    with_.set("expressions", kept)
    for table in query.find_all(exp.Table):
        if table.name in renamed and not table.args.get("db"):
            if table.alias == table.name:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(renamed[table.name])))
            table.set("this", exp.to_identifier(renamed[table.name]))
    for col in query.find_all(exp.Column):
        if col.table in renamed:
            col.set("table", exp.to_identifier(renamed[col.table]))
    return query
