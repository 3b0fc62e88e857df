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
from grammar.compile import EV, compile_flags, to_sql

NAME, CONTACT = "segment_name", "contact_id"


def batch_expression(named: Mapping[str, A.Condition], catalog: Catalog, as_of: datetime | None = None,
                     segments: Mapping[str, A.Condition] | None = None) -> exp.Select:
    """The sqlglot expression of every segment in `named` (name -> checked condition), in one statement whose
    rows are (segment_name, contact_id). `segments` resolves `in segment "..."` references (default: `named`)."""
    if not named:
        raise ValueError("no segments to evaluate: give at least one")
    names = list(named)
    flags = compile_flags([named[n] for n in names], catalog, as_of, named if segments is None else segments)
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
    return to_sql(batch_expression(named, catalog, as_of, segments), dialect, pretty)


def split_scan(query: exp.Select, catalog: Catalog) -> exp.Select:
    """One grouped scan per event instead of one over all of them, when the query has the compiler's shared scan
    (`ev`: conditional aggregates, each over one event). Engines push `event = 'x'` into the table scan and read
    the other columns of those rows only, and each row feeds only its own event's aggregates, where one scan of
    many events reads every column of every row and tests every aggregate on it; many segments reading the same
    event still share its scan. A contact missing from an event's scan reads as having no such events, exactly
    as a contact missing from the shared scan does. Any other shape is left as it is."""
    with_ = query.args.get("with_")
    cte = next((c for c in (with_.expressions if with_ else []) if c.alias == EV), None)
    scan = cte.this if cte is not None else None
    if not isinstance(scan, exp.Select) or scan.args.get("joins") or not scan.args.get("group"):
        return query
    name_col = catalog.events_table.name
    by_event: dict[str, list[exp.Expression]] = {}
    for feature in scan.expressions[1:]:
        events = {eq.expression.this for eq in feature.find_all(exp.EQ)
                  if isinstance(eq.this, exp.Column) and eq.this.name == name_col and eq.expression.is_string}
        if not isinstance(feature, exp.Alias) or len(events) != 1:
            return query
        by_event.setdefault(events.pop(), []).append(feature)
    names = [n for n in scan.find_all(exp.In) if isinstance(n.this, exp.Column) and n.this.name == name_col]
    if len(by_event) < 2 or len(names) != 1:
        return query
    taken = {c.alias for c in with_.expressions}
    scans, owner = [], {}
    for i, (event, features) in enumerate(sorted(by_event.items()), start=1):
        alias = next(a for a in (f"{EV}_{i}", f"{EV}_{i}_") if a not in taken)
        part = scan.copy()
        part.set("expressions", [scan.expressions[0].copy(), *[f.copy() for f in features]])
        for node in part.find_all(exp.In):  # event IN (...) -> event = 'x'
            if isinstance(node.this, exp.Column) and node.this.name == name_col:
                node.replace(exp.EQ(this=node.this.copy(), expression=exp.Literal.string(event)))
        earliest = _earliest(features, catalog.events_table.time)
        if earliest is not None:  # every aggregate of this event needs rows at or after it: read no older ones
            part.where(exp.GTE(this=exp.column(catalog.events_table.time, scan.args["from_"].this.alias_or_name),
                               expression=earliest.copy()), copy=False)
        scans.append(exp.CTE(this=part, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        owner.update({f.alias: alias for f in features})
    position = with_.expressions.index(cte)
    with_.set("expressions", with_.expressions[:position] + scans + with_.expressions[position + 1:])
    for select in list(query.find_all(exp.Select)):
        joins = select.args.get("joins") or []
        hit = next((j for j in joins if isinstance(j.this, exp.Table) and j.this.name == EV), None)
        if hit is None:
            continue
        used = {owner[c.name] for c in select.find_all(exp.Column) if c.table == EV and c.name in owner}
        new = []
        for part in (p for p in scans if p.alias in used):  # a LEFT JOIN on a unique key adds no rows
            join = hit.copy()
            join.set("this", exp.alias_(exp.to_table(part.alias), part.alias, table=True))
            for col in join.find_all(exp.Column):
                if col.table == EV:
                    col.set("table", exp.to_identifier(part.alias))
            new.append(join)
        i = joins.index(hit)
        select.set("joins", joins[:i] + new + joins[i + 1:])
    for col in list(query.find_all(exp.Column)):
        if col.table == EV and col.name in owner:
            col.set("table", exp.to_identifier(owner[col.name]))
    return query


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


def _earliest(features: list[exp.Expression], time_col: str) -> exp.Expression | None:
    """The earliest lower time bound every one of `features` requires (`CASE WHEN ... AND t >= X ...`), or None
    when one of them reads rows of any age. Bounds are timestamp literals, so their text orders them."""
    bounds = []
    for feature in features:
        case = feature.find(exp.Case)
        if case is None or len(case.args.get("ifs") or []) != 1:
            return None
        found = [c.expression for c in _conjuncts(case.args["ifs"][0].this) if isinstance(c, exp.GTE)
                 and isinstance(c.this, exp.Column) and c.this.name == time_col and _literal_time(c.expression)]
        if not found:
            return None
        bounds.append(min(found, key=_literal_time))
    return min(bounds, key=_literal_time) if bounds else None


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The parts of a condition that must all hold: through ANDs and parentheses."""
    node = node.unnest()
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _literal_time(node: exp.Expression) -> str | None:
    """'2026-08-03 00:00:00' of CAST('2026-08-03 00:00:00' AS TIMESTAMP), else None."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        return node.this.this
    return None
