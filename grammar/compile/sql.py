"""Small, fast builders of sqlglot nodes, and the pieces both plans share: window bounds and predicates,
value predicates, literals.

Nodes are constructed directly (exp.Column(...), exp.Select(...)) rather than through sqlglot's string
helpers (`exp.to_table`, `exp.alias_`, `exp.DataType.build`, `exp.func`), which parse text or deep-copy their
arguments: that was most of the compile time. Every node is built fresh for its one place in the tree."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from sqlglot import exp

from grammar import ast as A
from grammar import calendar
from grammar.catalog import Catalog
from grammar.errors import Diagnostic, SegmentError
from grammar.units import duration

COMPARE = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
# the comparison that is true exactly where the key's is false (on non-NULL values)
FLIP = {"=": "!=", "!=": "=", ">": "<=", ">=": "<", "<": ">=", "<=": ">"}
PY_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
              ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


@lru_cache(maxsize=4096)
def _quoted(name: str) -> bool:
    """Anything but plain lower-case is quoted so PostgreSQL keeps its case."""
    return not (name == name.lower() and name.replace("_", "a").isalnum() and not name[:1].isdigit())


@lru_cache(maxsize=256)
def _table_parts(name: str) -> tuple[tuple[str, str, bool], ...]:
    """(arg, part, quoted) of a (possibly db.schema.) table name, as exp.Table takes them."""
    parts = name.split(".")
    return tuple((arg, part, _quoted(part)) for arg, part in zip(("this", "db", "catalog"), reversed(parts[-3:])))


_new = object.__new__
# the attributes sqlglot's constructor sets; another sqlglot gets its own constructors (the `else` below)
_EXPR = exp.Expression.__mro__[-2]  # sqlglot's root node class (Expr), whatever its name
_GENERIC_INIT = _EXPR.__init__
_DIRECT = (set(exp.Expression.__slots__) == {"args", "parent", "arg_key", "index", "comments", "_type", "_meta", "_hash"}
           and all(cls.__init__ is _GENERIC_INIT for cls in (
               exp.Identifier, exp.Column, exp.Literal, exp.Cast, exp.DataType, exp.Star, exp.Count, exp.EQ, exp.And,
               exp.Exists, exp.TableAlias, exp.Subquery, exp.From, exp.Where, exp.Having, exp.GT, exp.GTE, exp.LT, exp.LTE,
               exp.Or, exp.Not, exp.Paren, exp.Is, exp.Null, exp.Max, exp.Min, exp.Sum, exp.Avg, exp.NEQ, exp.Table,
               exp.Select, exp.Group, exp.Coalesce)))
_TIMESTAMP = exp.DataType.Type.TIMESTAMP

if _DIRECT:
    def _parent(cls: type, args: dict) -> exp.Expression:
        """cls(**args) for a class with sqlglot's generic constructor whose args are all nodes or lists of nodes,
        made as that constructor makes it (each child learns its parent, its arg and its list index) without its
        keyword packing and per-arg method calls."""
        node = _new(cls)
        node.args = args
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        for key, value in args.items():
            if type(value) is list:
                for i, v in enumerate(value):
                    v.parent, v.arg_key, v.index = node, key, i
            else:
                value.parent, value.arg_key, value.index = node, key, None
        return node

    # The shapes most nodes have, each made in one step (no loop over the args): a leaf, one child under
    # `this`, two under `this` and `expression`. Only for classes with sqlglot's generic constructor.
    def _leaf(cls: type, args: dict) -> exp.Expression:
        node = _new(cls)
        node.args = args
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        return node

    def _unary(cls: type, this: exp.Expression) -> exp.Expression:
        node = _new(cls)
        node.args = {"this": this}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        this.parent, this.arg_key, this.index = node, "this", None
        return node

    def _binary(cls: type, this: exp.Expression, expression: exp.Expression) -> exp.Expression:
        node = _new(cls)
        node.args = {"this": this, "expression": expression}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        this.parent, this.arg_key, this.index = node, "this", None
        expression.parent, expression.arg_key, expression.index = node, "expression", None
        return node

    def ident(name: str) -> exp.Identifier:
        """exp.Identifier(this=name, quoted=...): identifiers are most of the nodes a segment compiles to."""
        node = _new(exp.Identifier)
        node.args = {"this": name, "quoted": _quoted(name)}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        return node

    def col(alias: str, name: str) -> exp.Column:
        """exp.Column(this=ident(name), table=ident(alias)), its three nodes made inline."""
        node, this, table = _new(exp.Column), _new(exp.Identifier), _new(exp.Identifier)
        this.args = {"this": name, "quoted": _quoted(name)}
        table.args = {"this": alias, "quoted": _quoted(alias)}
        node.args = {"this": this, "table": table}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        this.comments = this._type = this._meta = this._hash = this.index = None
        table.comments = table._type = table._meta = table._hash = table.index = None
        this.parent = table.parent = node
        this.arg_key, table.arg_key = "this", "table"
        return node

    def col_cmp(cls: type, alias: str, name: str, value: exp.Expression) -> exp.Expression:
        """cls(this=col(alias, name), expression=value): a column compared (`e.event = 'x'`), made inline."""
        node, column, this, table = _new(cls), _new(exp.Column), _new(exp.Identifier), _new(exp.Identifier)
        this.args = {"this": name, "quoted": _quoted(name)}
        table.args = {"this": alias, "quoted": _quoted(alias)}
        column.args = {"this": this, "table": table}
        node.args = {"this": column, "expression": value}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        column.comments = column._type = column._meta = column._hash = column.index = None
        this.comments = this._type = this._meta = this._hash = this.index = None
        table.comments = table._type = table._meta = table._hash = table.index = None
        column.parent, column.arg_key = node, "this"
        this.parent = table.parent = column
        this.arg_key, table.arg_key = "this", "table"
        value.parent, value.arg_key, value.index = node, "expression", None
        return node

    def ts(value: datetime) -> exp.Expression:
        """CAST('YYYY-MM-DD HH:MM:SS' AS TIMESTAMP), its three nodes made inline."""
        node, text, to = _new(exp.Cast), _new(exp.Literal), _new(exp.DataType)
        text.args = {"this": _ts_text(value), "is_string": True}
        to.args = {"this": _TIMESTAMP}
        node.args = {"this": text, "to": to}
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        text.comments = text._type = text._meta = text._hash = text.index = None
        to.comments = to._type = to._meta = to._hash = to.index = None
        text.parent = to.parent = node
        text.arg_key, to.arg_key = "this", "to"
        return node

    def _under(cls: type, this: exp.Expression, parent: exp.Expression, key: str) -> exp.Expression:
        """cls(this=this), already placed under `parent` at `key` (a clause: FROM, WHERE, an alias)."""
        node = _new(cls)
        node.args = {"this": this}
        node.parent, node.arg_key = parent, key
        node.index = node.comments = node._type = node._meta = node._hash = None
        this.parent, this.arg_key, this.index = node, "this", None
        return node

    def _alias(name: str, parent: exp.Expression) -> exp.TableAlias:
        """TableAlias(this=ident(name)) under `parent`'s alias."""
        node, this = _new(exp.TableAlias), _new(exp.Identifier)
        this.args = {"this": name, "quoted": _quoted(name)}
        this.parent, this.arg_key = node, "this"
        this.index = this.comments = this._type = this._meta = this._hash = None
        node.args = {"this": this}
        node.parent, node.arg_key = parent, "alias"
        node.index = node.comments = node._type = node._meta = node._hash = None
        return node

    def table(name: str, alias: str | None = None) -> exp.Table:
        """A (possibly db.schema.) table name from the catalog, with an alias: its nodes made inline."""
        node = _new(exp.Table)
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        args = {}
        for arg, part, quoted in _table_parts(name):
            p = _new(exp.Identifier)
            p.args = {"this": part, "quoted": quoted}
            p.parent, p.arg_key = node, arg
            p.index = p.comments = p._type = p._meta = p._hash = None
            args[arg] = p
        if alias:
            args["alias"] = _alias(alias, node)
        node.args = args
        return node

    def subquery(query: exp.Expression, name: str | None = None) -> exp.Subquery:
        if name is None:
            return _unary(exp.Subquery, query)
        node = _new(exp.Subquery)
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        query.parent, query.arg_key, query.index = node, "this", None
        node.args = {"this": query, "alias": _alias(name, node)}
        return node

    def select(columns: list[exp.Expression], source: exp.Expression, where: exp.Expression | None = None,
               joins: list[exp.Join] | None = None, group: list[exp.Expression] | None = None,
               having: exp.Expression | None = None) -> exp.Select:
        """exp.Select(expressions=columns, from_=From(this=source), ...) in one step, its clauses made inline."""
        node = _new(exp.Select)
        node.parent = node.arg_key = node.index = node.comments = node._type = node._meta = node._hash = None
        for i, c in enumerate(columns):
            c.parent, c.arg_key, c.index = node, "expressions", i
        args = {"expressions": columns, "from_": _under(exp.From, source, node, "from_")}
        if joins:
            for i, j in enumerate(joins):
                j.parent, j.arg_key, j.index = node, "joins", i
            args["joins"] = joins
        if where is not None:
            args["where"] = _under(exp.Where, where, node, "where")
        if group:
            by = _new(exp.Group)
            by.args = {"expressions": group}
            by.parent, by.arg_key = node, "group"
            by.index = by.comments = by._type = by._meta = by._hash = None
            for i, c in enumerate(group):
                c.parent, c.arg_key, c.index = by, "expressions", i
            args["group"] = by
        if having is not None:
            args["having"] = _under(exp.Having, having, node, "having")
        node.args = args
        return node
else:  # another sqlglot: its own constructors
    def _make(cls: type, args: dict) -> exp.Expression:
        return cls(**args)

    _leaf = _parent = _make

    def _unary(cls: type, this: exp.Expression) -> exp.Expression:
        return cls(this=this)

    def _binary(cls: type, this: exp.Expression, expression: exp.Expression) -> exp.Expression:
        return cls(this=this, expression=expression)

    def ident(name: str) -> exp.Identifier:
        return exp.Identifier(this=name, quoted=_quoted(name))

    def col(alias: str, name: str) -> exp.Column:
        return exp.Column(this=ident(name), table=ident(alias))

    def col_cmp(cls: type, alias: str, name: str, value: exp.Expression) -> exp.Expression:
        return cls(this=col(alias, name), expression=value)

    def ts(value: datetime) -> exp.Expression:
        return exp.Cast(this=exp.Literal(this=_ts_text(value), is_string=True), to=exp.DataType(this=_TIMESTAMP))

    def table(name: str, alias: str | None = None) -> exp.Table:
        args = {arg: exp.Identifier(this=part, quoted=quoted) for arg, part, quoted in _table_parts(name)}
        if alias:
            args["alias"] = exp.TableAlias(this=ident(alias))
        return exp.Table(**args)

    def subquery(query: exp.Expression, name: str | None = None) -> exp.Subquery:
        if name is None:
            return exp.Subquery(this=query)
        return exp.Subquery(this=query, alias=exp.TableAlias(this=ident(name)))

    def select(columns: list[exp.Expression], source: exp.Expression, where: exp.Expression | None = None,
               joins: list[exp.Join] | None = None, group: list[exp.Expression] | None = None,
               having: exp.Expression | None = None) -> exp.Select:
        args = {"expressions": columns, "from_": exp.From(this=source)}  # one constructor, not a set() a clause
        if joins:
            args["joins"] = joins
        if where is not None:
            args["where"] = exp.Where(this=where)
        if group:
            args["group"] = exp.Group(expressions=group)
        if having is not None:
            args["having"] = exp.Having(this=having)
        return exp.Select(**args)


# cls(this=...) and cls(this=..., expression=...) for a class with sqlglot's generic constructor (comparisons,
# AND / OR, aggregates of one argument: those checked in _DIRECT)
unary, binary = _unary, _binary


def _ts_text(value: datetime) -> str:
    if value.microsecond or value.tzinfo is not None or value.year < 1000:
        return value.strftime("%Y-%m-%d %H:%M:%S")  # strftime drops the zone and the microseconds, and does not pad a year
    return _iso_text(value) if type(value) is datetime else value.isoformat(" ")  # the same text, several times faster


@lru_cache(maxsize=1024)
def _iso_text(value: datetime) -> str:
    """isoformat(" ") of a naive datetime (equal ones write the same text), cached: the same few instants recur
    (as_of caps every scan). Aware ones stay out: equal instants in two zones write two texts."""
    return value.isoformat(" ")


def clone(e: exp.Expression) -> exp.Expression:
    """A fresh copy of `e` for a second place in the tree: columns are rebuilt (sqlglot's deep copy is slow)."""
    if type(e) is exp.Column:
        table, this = e.args.get("table"), e.args["this"]
        if type(table) is exp.Identifier and type(this) is exp.Identifier:
            return col(table.args["this"], this.args["this"])
    return e.copy()


def alias(e: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=ident(name))


def join(source: exp.Expression, on: exp.Expression, side: str | None = None) -> exp.Join:
    return exp.Join(this=source, on=on, side=side) if side else exp.Join(this=source, on=on)


def num(v: int | float) -> exp.Expression:
    if type(v) is int and v >= 0:  # what exp.Literal.number makes of it, without reading the text back
        return _leaf(exp.Literal, {"this": str(v), "is_string": False})
    return exp.Literal.number(v)


def string(v: str) -> exp.Expression:
    """exp.Literal.string(v)."""
    return _leaf(exp.Literal, {"this": v, "is_string": True})


def lit(v: A.Scalar) -> exp.Expression:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return num(v)
    return string(v)


def eq(this: exp.Expression, expression: exp.Expression) -> exp.EQ:
    return _binary(exp.EQ, this, expression)


def exists(query: exp.Select) -> exp.Exists:
    return _unary(exp.Exists, query)


def count_star() -> exp.Count:
    return _unary(exp.Count, _leaf(exp.Star, {}))


def _wrap(e: exp.Expression) -> exp.Expression:
    return _unary(exp.Paren, e) if isinstance(e, exp.Connector) else e


def and_(parts: list[exp.Expression | None]) -> exp.Expression:
    """The parts that are not None, and-ed left to right (an OR among them in parentheses); TRUE if none."""
    out = None
    for p in parts:
        if p is None:
            continue
        if isinstance(p, exp.Or):
            p = _unary(exp.Paren, p)
        out = p if out is None else _binary(exp.And, out, p)
    return exp.true() if out is None else out


def or_(parts: list[exp.Expression]) -> exp.Expression:
    out = _wrap(parts[0])
    for p in parts[1:]:
        out = _binary(exp.Or, out, _wrap(p))
    return out


def not_(e: exp.Expression) -> exp.Expression:
    return _unary(exp.Not, _wrap(e))


def is_null(e: exp.Expression) -> exp.Expression:
    return _binary(exp.Is, e, _leaf(exp.Null, {}))


def not_null(e: exp.Expression) -> exp.Expression:
    return _unary(exp.Not, is_null(e))


def coalesce(e: exp.Expression, default: exp.Expression) -> exp.Expression:
    return _parent(exp.Coalesce, {"this": e, "expressions": [default]})


def null_safe(pred: exp.Expression, negated: bool) -> exp.Expression:
    """Under a NOT, an unset value must still read as 'condition false', not as unknown (NULL)."""
    return coalesce(pred, exp.false()) if negated else pred


def plus(t: exp.Expression, amount: int, unit: str) -> exp.Expression:
    """t + INTERVAL 'n' SECOND: the one piece of interval arithmetic every dialect reads alike."""
    return exp.Add(this=t, expression=exp.Interval(
        this=exp.Literal.string(str(int(duration(amount, unit).total_seconds()))), unit=exp.Var(this="SECOND")))


# ---- windows ---------------------------------------------------------------------------------------------

def _between_dates(w: A.BetweenDates, as_of: datetime):
    end = A.parse_when(w.end)
    if "T" in w.end:
        return A.parse_when(w.start), True, end, True
    return A.parse_when(w.start), True, end + timedelta(days=1), False


def _calendar(w: A.CalendarPeriod | A.NamedPeriod, as_of: datetime):
    start, end = calendar.bounds(w, as_of)
    return start, True, end, False


# One bounds rule per window kind: (low, low inclusive, high, high inclusive) at `as_of`.
BOUNDS = {
    "in_last": lambda w, as_of: (as_of - duration(w.amount, w.unit), True, as_of, True),
    "in_next": lambda w, as_of: (as_of, True, as_of + duration(w.amount, w.unit), True),
    "more_than_ago": lambda w, as_of: (None, False, as_of - duration(w.amount, w.unit), False),
    "between_ago": lambda w, as_of: (as_of - duration(w.high, w.unit), True, as_of - duration(w.low, w.unit), True),
    "before": lambda w, as_of: (None, False, A.parse_when(w.at), False),
    "after": lambda w, as_of: (A.parse_when(w.at), True, None, False),
    "between_dates": _between_dates,
    "on_date": lambda w, as_of: (A.parse_when(w.day), True, A.parse_when(w.day) + timedelta(days=1), False),
    "calendar": _calendar,
    "named": _calendar,
    # each person's own bounds (see window_predicate); what is fixed is that events never pass as_of
    "anchored": lambda w, as_of: (None, False, as_of, True),
}


def window_bounds(w: A.Window, as_of: datetime) -> tuple[datetime | None, bool, datetime | None, bool]:
    """(low, low inclusive, high, high inclusive) of a window at `as_of`; None is unbounded. An anchored window
    (`within 7 days after signup_at`) has no fixed bounds: each person's own (events never pass as_of)."""
    bounds = BOUNDS.get(getattr(w, "kind", None))
    if bounds is None:
        raise TypeError(f"not a window: {w!r}")
    return bounds(w, as_of)


def bounds_predicate(t: exp.Expression, low: datetime | None, low_inc: bool, high: datetime | None,
                     high_inc: bool) -> exp.Expression | None:
    parts = []
    if low is not None:
        parts.append(_binary(exp.GTE if low_inc else exp.GT, t, ts(low)))
    if high is not None:
        parts.append(_binary(exp.LTE if high_inc else exp.LT, clone(t) if parts else t, ts(high)))
    return and_(parts) if parts else None


def col_bounds(alias: str, name: str, low: datetime | None, low_inc: bool, high: datetime | None,
               high_inc: bool) -> exp.Expression | None:
    """bounds_predicate on the column `alias.name`, each bound one col_cmp."""
    above = None if low is None else col_cmp(exp.GTE if low_inc else exp.GT, alias, name, ts(low))
    below = None if high is None else col_cmp(exp.LTE if high_inc else exp.LT, alias, name, ts(high))
    if above is None or below is None:
        return below if above is None else above
    return _binary(exp.And, above, below)


def window_predicate(w: A.Window | None, t: exp.Expression, as_of: datetime,
                     anchor: exp.Expression | None = None) -> exp.Expression | None:
    """`t` in the window; an anchored window needs its `anchor` expression: anchor <= t <= anchor + N (NULL,
    so never true, for people without the anchor)."""
    if w is None:
        return None
    if w.kind == "anchored":
        if anchor is None:
            raise TypeError(f"an anchored window needs its anchor: {w!r}")
        return and_([exp.GTE(this=clone(t), expression=clone(anchor)),
                     exp.LTE(this=clone(t), expression=plus(clone(anchor), w.amount, w.unit))])
    return bounds_predicate(clone(t), *window_bounds(w, as_of))


def anniversary_days(node: A.Anniversary, as_of: datetime) -> list[int]:
    """month*100+day of every calendar day in the window (today and the N-1 days after, or the N days before)."""
    days = duration(node.amount, node.unit).days
    today = as_of.date()
    span = [today + timedelta(days=i) for i in range(days)] if node.direction == "next" else \
        [today - timedelta(days=i) for i in range(1, days + 1)]
    keys = {d.month * 100 + d.day for d in span}
    if 228 in keys and not any(d.month == 2 and d.day == 29 for d in span):
        keys.add(229)  # people born on 29 February celebrate on the 28th in common years
    return sorted(keys)


def value_predicate(c: exp.Expression, op: str, value) -> exp.Expression:
    if op == "is_set":
        return not_null(c)
    if op == "is_not_set":
        return is_null(c)
    if op in ("in", "not_in"):
        pred = exp.In(this=c, expressions=[lit(v) for v in value])
        return exp.Not(this=pred) if op == "not_in" else pred
    if op in A.TEXT_OPS:
        lowered, needle = exp.Lower(this=c), value.lower()
        if op in ("contains", "not_contains"):
            pred = exp.GT(this=exp.StrPosition(this=lowered, substr=exp.Literal.string(needle)),
                          expression=exp.Literal.number(0))
            return exp.Not(this=pred) if op == "not_contains" else pred
        if op == "starts_with":
            part = exp.Substring(this=lowered, start=exp.Literal.number(1), length=exp.Literal.number(len(needle)))
        else:
            part = exp.Right(this=lowered, expression=exp.Literal.number(len(needle)))
        return exp.EQ(this=part, expression=exp.Literal.string(needle))
    return _binary(COMPARE[op], c, lit(value))


def expand_reference(compiler, node: A.SegmentRef, negated: bool) -> exp.Expression:
    """`in segment "x"`: the saved definition compiled in place, by either plan's compiler (its `c_segment`);
    an unknown name or a cycle of references is a positioned error."""
    if node.name not in compiler.segments:
        raise SegmentError([Diagnostic.at(node.span, "unknown", f"unknown segment {node.name!r}")])
    if node.name in compiler.expanding:
        path = " -> ".join(compiler.expanding + [node.name])
        raise SegmentError([Diagnostic.at(node.span, "cycle", f"segment references form a cycle: {path}")])
    compiler.expanding.append(node.name)
    try:
        return compiler.cond(compiler.segments[node.name], negated)
    finally:
        compiler.expanding.pop()


def filter_predicate(catalog: Catalog, f: A.Filter, alias: str, negated: bool = False) -> exp.Expression:
    """An event's property filter (`where (...)`) on row `alias`, in either plan."""
    return _FILTERS[f.kind](catalog, f, alias, negated)


def _property_filter(catalog: Catalog, f: A.PropertyCondition, alias: str, negated: bool) -> exp.Expression:
    """A JSON boolean compares as text ('true'); under a NOT an unset property reads as 'condition false'."""
    c, value, spec = property_value(catalog, alias, f.property), f.value, catalog.properties[f.property]
    if spec.json_key and spec.type == "boolean":
        c, value = exp.Lower(this=c), [str(v).lower() for v in value] if isinstance(value, list) else str(value).lower()
    return null_safe(value_predicate(c, f.op, value), negated)


# One rule per filter kind (tests/test_toolkit.py checks every kind of A.Filter has one).
_FILTERS = {
    "property": _property_filter,
    "filter_not": lambda catalog, f, alias, negated: not_(filter_predicate(catalog, f.condition, alias, not negated)),
    "filter_and": lambda catalog, f, alias, negated: and_([filter_predicate(catalog, c, alias, negated)
                                                           for c in f.conditions]),
    "filter_or": lambda catalog, f, alias, negated: or_([filter_predicate(catalog, c, alias, negated)
                                                         for c in f.conditions]),
}


def property_value(catalog: Catalog, alias: str, prop: str) -> exp.Expression:
    """An event property of row `alias`: its own column, or a scalar from the JSON column (a number cast to
    DOUBLE), by the catalog. Both plans read properties this way."""
    source, where = catalog.property_source(prop)
    if source == "column":
        return col(alias, where)
    path = exp.JSONPath(expressions=[exp.JSONPathRoot(), exp.JSONPathKey(this=where)])
    extracted = exp.JSONExtractScalar(this=col(alias, catalog.events_table.json_column), expression=path)
    if catalog.properties[prop].type == "number":
        return exp.Cast(this=extracted, to=exp.DataType(this=exp.DataType.Type.DOUBLE))
    return extracted
