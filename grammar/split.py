"""A plan pass on compiled queries: the compiler's shared events scan (`ev`, one grouped scan of every event the
query reads) split into one grouped scan per event, each reading only rows as recent as its aggregates need.
The batch of many segments and the preview's stats use it: their shared scans read many events at once."""

from __future__ import annotations

from sqlglot import exp

from grammar.catalog import Catalog
from grammar.compile import EV


def split_scan(query: exp.Query, catalog: Catalog) -> exp.Query:
    """One grouped scan per event instead of one over all of them, when the query has the compiler's shared scan
    (`ev`: conditional aggregates, each over one event). Engines push `event = 'x'` into the table scan and read
    the other columns of those rows only, and each row feeds only its own event's aggregates, where one scan of
    many events reads every column of every row and tests every aggregate on it; many segments reading the same
    event still share its scan. A contact missing from an event's scan reads as having no such events, exactly
    as a contact missing from the shared scan does. Any other shape is left as it is."""
    with_ = query.args.get("with_")
    cte = next((c for c in (with_.expressions if with_ else []) if c.alias == EV), None)
    parts = event_scans(cte.this, catalog) if cte is not None else None
    if parts is None or len(parts) < 2:
        return query
    taken = {c.alias for c in with_.expressions}
    scans, owner = [], {}
    for i, (_, part) in enumerate(parts, start=1):
        alias = next(a for a in (f"{EV}_{i}", f"{EV}_{i}_") if a not in taken)
        scans.append(exp.CTE(this=part, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        owner.update({f.alias: alias for f in part.expressions[1:]})
    position = with_.expressions.index(cte)
    with_.set("expressions", with_.expressions[:position] + scans + with_.expressions[position + 1:])
    for select in _reading_scan(query, with_):
        joins = select.args.get("joins") or []
        hit = next((j for j in joins if isinstance(j.this, exp.Table) and j.this.name == EV), None)
        if hit is None:
            continue
        # this select's own columns: not those of a WITH nested in it (a segment inside may have its own `ev`)
        own = [n for n in select.walk(prune=lambda n: isinstance(n, exp.With))
               if isinstance(n, exp.Column) and n.table == EV and n.name in owner]
        used = {owner[c.name] for c in own}
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
        for col in own:
            col.set("table", exp.to_identifier(owner[col.name]))
    return query


def event_scans(scan: exp.Expression, catalog: Catalog,
                merge: bool = False) -> list[tuple[tuple[str, ...], exp.Select]] | None:
    """The compiler's shared scan `ev` (contact id, then conditional aggregates each over one event) as one scan
    per event, in event order: each keeps the scan's WHERE with `event IN (...)` narrowed to its event, reads no
    rows older than its aggregates look, and no longer tests per aggregate what that WHERE guarantees. `merge`:
    one scan for the events whose aggregates look equally far back (the last 30 days of two events: one pass over
    the columns instead of two). Each scan with the events it reads; None when `scan` is not that shape."""
    if not isinstance(scan, exp.Select) or scan.args.get("joins") or not scan.args.get("group"):
        return None
    name_col = catalog.events_table.name
    by_event: dict[str, list[exp.Expression]] = {}
    for feature in scan.expressions[1:]:
        events = {eq.expression.this for eq in feature.find_all(exp.EQ)
                  if isinstance(eq.this, exp.Column) and eq.this.name == name_col and eq.expression.is_string}
        if not isinstance(feature, exp.Alias) or len(events) != 1:
            return None
        by_event.setdefault(events.pop(), []).append(feature)
    names = [n for n in scan.find_all(exp.In) if isinstance(n.this, exp.Column) and n.this.name == name_col]
    if len(names) != 1:
        return None
    table = scan.args["from_"].this.alias_or_name
    groups: dict[object, list[str]] = {}  # events sharing one scan
    for event, features in sorted(by_event.items()):
        earliest = _earliest(features, catalog.events_table.time)
        key = (_literal_time(earliest) if earliest is not None else None) if merge else event
        groups.setdefault(key, []).append(event)
    out = []
    for events in groups.values():
        features = [f for event in events for f in by_event[event]]
        part = scan.copy()
        for node in part.find_all(exp.In):  # event IN (all) -> event = 'x' (or IN these)
            if isinstance(node.this, exp.Column) and node.this.name == name_col:
                only = [exp.Literal.string(e) for e in events]
                node.replace(exp.EQ(this=node.this.copy(), expression=only[0]) if len(only) == 1
                             else exp.In(this=node.this.copy(), expressions=only))
        earliest = _earliest(features, catalog.events_table.time)
        if earliest is not None:  # every aggregate here needs rows at or after it: read no older ones
            part.where(exp.GTE(this=exp.column(catalog.events_table.time, table), expression=earliest.copy()),
                       copy=False)
        part.set("expressions", [part.expressions[0], *[_drop_implied(f.copy(), part.args["where"].this)
                                                        for f in features]])
        out.append((tuple(events), part))
    return out


def _drop_implied(feature: exp.Expression, where: exp.Expression) -> exp.Expression:
    """`feature` with every test its scan's WHERE already guarantees made TRUE (then dropped from ANDs, and a
    CASE WHEN TRUE unwrapped): a row the scan reads passes each of the WHERE's conjuncts, so testing one again per
    row per aggregate (`event = 'x'`, the as-of cap, the window the scan was cut to) is wasted work."""
    implied = {c.sql() for c in _conjuncts(where)}
    for node in list(feature.find_all(exp.Predicate)):
        if node.sql() in implied:
            node.replace(exp.true())
    for node in reversed(list(feature.find_all(exp.And, exp.Paren))):  # innermost first
        if isinstance(node, exp.Paren) and node.this == exp.true():
            node.replace(exp.true())
        elif isinstance(node, exp.And) and (node.this == exp.true() or node.expression == exp.true()):
            node.replace(node.expression if node.this == exp.true() else node.this)
    for case in list(feature.find_all(exp.Case)):
        ifs = case.args.get("ifs") or []
        if len(ifs) == 1 and ifs[0].this == exp.true() and case.args.get("default") is None:
            case.replace(ifs[0].args["true"])
    return feature


def _reading_scan(query: exp.Query, with_: exp.With) -> list[exp.Select]:
    """The selects that may read the top-level `ev`: not inside a nested WITH, and not defining an `ev` of their
    own (a segment materialised inside the query has its own scan)."""
    out = []
    for node in query.walk(prune=lambda n: isinstance(n, exp.With) and n is not with_):
        own = node.args.get("with_") if isinstance(node, exp.Select) and node is not query else None
        if isinstance(node, exp.Select) and not (own and any(c.alias == EV for c in own.expressions)):
            out.append(node)
    return out


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
