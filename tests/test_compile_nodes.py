"""The compiler's fast node builders (grammar/compile/sql.py) make exactly what sqlglot's own constructors make:
the same tree, and every node knows its parent, its arg and its list index as sqlglot's constructor would set
them (sqlglot's transforms and `replace` rely on those links). Timestamps are written as strftime writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import hypothesis.strategies as st
from hypothesis import given
from sqlglot import exp

from grammar.compile import sql as S


def _links(node: exp.Expression) -> list[tuple]:
    """Every node's class, its parent's class, arg key and index, in walk order."""
    return [(type(n).__name__, type(n.parent).__name__ if n.parent else None, n.arg_key, n.index) for n in node.walk()]


def _same(fast: exp.Expression, slow: exp.Expression) -> None:
    for n in fast.walk():  # each child's parent holds it where it says; nothing else is set yet
        if n.parent is not None:
            held = n.parent.args[n.arg_key]
            assert (held[n.index] if n.index is not None else held) is n
        assert n.comments is None and n._type is None and n._meta is None and n._hash is None
    assert _links(fast) == _links(slow)
    assert fast == slow
    assert fast.sql() == slow.sql()


def _column(table: str, name: str) -> exp.Column:
    return exp.Column(this=exp.Identifier(this=name, quoted=S._quoted(name)),
                      table=exp.Identifier(this=table, quoted=S._quoted(table)))


def _ts(value: datetime) -> exp.Cast:
    return exp.Cast(this=exp.Literal.string(value.strftime("%Y-%m-%d %H:%M:%S")),
                    to=exp.DataType(this=exp.DataType.Type.TIMESTAMP))


names = st.sampled_from(["e", "c", "contact_id", "occurred_at", "Event", "2x", "my table"])
times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                     timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=5, minutes=30))]))


@given(names, names)
def test_columns_and_identifiers(table, name):
    _same(S.col(table, name), _column(table, name))
    _same(S.ident(name), exp.Identifier(this=name, quoted=S._quoted(name)))
    _same(S.clone(S.col(table, name)), _column(table, name))


@given(names, names, st.integers(0, 10**6))
def test_compared_columns(table, name, n):
    for cls in (exp.EQ, exp.LTE, exp.GT):
        _same(S.col_cmp(cls, table, name, S.num(n)), cls(this=_column(table, name), expression=exp.Literal.number(n)))
    _same(S.col_cmp(exp.EQ, table, name, S.col("c", name)), exp.EQ(this=_column(table, name), expression=_column("c", name)))


@given(names, st.one_of(st.none(), times.filter(lambda t: t.tzinfo is None)), st.booleans(),
       st.one_of(st.none(), times.filter(lambda t: t.tzinfo is None)), st.booleans())
def test_bounds_on_a_column(name, low, low_inc, high, high_inc):
    fast = S.col_bounds("e", name, low, low_inc, high, high_inc)
    parts = []
    if low is not None:
        parts.append((exp.GTE if low_inc else exp.GT)(this=_column("e", name), expression=_ts(low)))
    if high is not None:
        parts.append((exp.LTE if high_inc else exp.LT)(this=_column("e", name), expression=_ts(high)))
    if not parts:
        assert fast is None
    else:
        _same(fast, parts[0] if len(parts) == 1 else exp.And(this=parts[0], expression=parts[1]))
        assert fast == S.bounds_predicate(S.col("e", name), low, low_inc, high, high_inc)


@given(times)
def test_timestamps_are_written_as_strftime_writes_them(value):
    assert S._ts_text(value) == value.strftime("%Y-%m-%d %H:%M:%S")
    _same(S.ts(value), _ts(value))


def test_equal_instants_in_two_zones_write_their_own_times():
    utc = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for value in (utc, utc.astimezone(timezone(timedelta(hours=5, minutes=30))), datetime(2026, 1, 1)):
        assert S._ts_text(value) == value.strftime("%Y-%m-%d %H:%M:%S")


@given(st.integers(0, 10**12), st.text(max_size=5), names)
def test_literals_and_small_nodes(n, text, name):
    _same(S.num(n), exp.Literal.number(n))
    _same(S.string(text), exp.Literal.string(text))
    _same(S.count_star(), exp.Count(this=exp.Star()))
    _same(S.not_null(S.col("e", name)), exp.Not(this=exp.Is(this=_column("e", name), expression=exp.Null())))
    _same(S.coalesce(S.col("e", name), S.num(n)), exp.Coalesce(this=_column("e", name), expressions=[exp.Literal.number(n)]))
    _same(S.binary(exp.LTE, S.col("e", name), S.num(n)), exp.LTE(this=_column("e", name), expression=exp.Literal.number(n)))
    _same(S.unary(exp.Max, S.col("e", name)), exp.Max(this=_column("e", name)))


@given(st.lists(names, min_size=1, max_size=4), st.sampled_from(["events", "db.events", "cat.db.events"]),
       st.booleans(), st.booleans())
def test_selects_tables_and_and_chains(columns, table_name, with_group, with_having):
    def fast():
        where = S.and_([S.eq(S.col("e", c), S.string(c)) for c in columns])
        return S.select([S.col("e", c) for c in columns], S.table(table_name, "e"), where,
                        group=[S.col("e", columns[0])] if with_group else None,
                        having=S.binary(exp.GT, S.count_star(), S.num(1)) if with_having else None)

    def slow():
        parts = [exp.EQ(this=_column("e", c), expression=exp.Literal.string(c)) for c in columns]
        where = parts[0]
        for p in parts[1:]:
            where = exp.And(this=where, expression=p)
        *db, name = table_name.split(".")
        table = exp.Table(this=exp.Identifier(this=name, quoted=False),
                          **({"db": exp.Identifier(this=db[-1], quoted=False)} if db else {}),
                          **({"catalog": exp.Identifier(this=db[0], quoted=False)} if len(db) > 1 else {}),
                          alias=exp.TableAlias(this=exp.Identifier(this="e", quoted=False)))
        args = {"expressions": [_column("e", c) for c in columns], "from_": exp.From(this=table),
                "where": exp.Where(this=where)}
        if with_group:
            args["group"] = exp.Group(expressions=[_column("e", columns[0])])
        if with_having:
            args["having"] = exp.Having(this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        return exp.Select(**args)

    _same(fast(), slow())
    _same(S.subquery(fast(), "g1"), exp.Subquery(this=slow(), alias=exp.TableAlias(this=exp.Identifier(this="g1", quoted=False))))
    _same(S.exists(fast()), exp.Exists(this=slow()))
