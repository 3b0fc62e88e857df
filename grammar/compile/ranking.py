"""An exact `top N%` / `bottom N%` with no window over every contact, for engines whose LIMIT must be a
constant (Spark): `ROW_NUMBER() OVER (ORDER BY v, id)` without PARTITION BY sorts every candidate on one
executor. The members are the same: the first K = ceil(n * N / 100) candidates by value, then contact id.

    sample   the SAMPLE candidates first by hash(id), then id: a constant LIMIT (a top-N, nobody else is
             sorted), a pseudo-random sample that is the same at every evaluation
    starts   per sample row: how many candidates rank strictly before it (`ahead`), and n. Each sample row
             starts a bucket; the rows before the first one are bucket 0 (ahead 0)
    buckets  per candidate: its bucket (how many sample rows rank at or before it, by value, then id) and
             that bucket's `ahead` (the largest of those rows'). Buckets follow the ranking order, and a value
             many contacts share (0 when no rows count as 0) is split across buckets by id, as ties go by id:
             no bucket holds much more than n / SAMPLE candidates
    rank     ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY value, id) + ahead <= K, over the buckets that
             start before K only (a top 10% sorts about a tenth of the candidates, one bucket per task)

Spark inlines each CTE where it is read, so the candidates are read three times (sample, starts, buckets):
the steps avoid reading a step twice. Every cross join is with the sample (SAMPLE rows), not a window. Exact
as long as each read gives a candidate the same value: counts, and sums and averages of DECIMAL amounts, do;
a DOUBLE sum whose partial sums an engine adds in another order could differ in its last bit on one read.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from grammar.compile.sql import alias, and_, col, num, or_, select, subquery, table

SAMPLE = 31  # boundaries: 32 buckets. More buckets, more parallel sorts; each costs a comparison per candidate
# The dialects planned this way, with their deterministic hash function. Not ClickHouse: one server sorts the
# candidates itself, and there the buckets measured 2.9x to 4.8x slower than one window (20k store).
RANK_HASH = {"spark": "hash"}
LIMIT_SUBQUERY_DIALECTS = ("duckdb", "postgres")  # LIMIT (SELECT ...): a top-N% as a top-N with a computed limit


def percent_of(n: exp.Expression, amount: int) -> exp.Expression:
    """ceil(n * amount / 100): how many of n candidates a top `amount`% keeps."""
    return exp.Cast(this=exp.Ceil(this=exp.Div(this=exp.Mul(this=n, expression=num(amount)), expression=num(100.0))),
                    to=exp.DataType(this=exp.DataType.Type.BIGINT))


def bucketed_rank(candidates: exp.Select, cid: str, desc: bool,
                  wanted: Callable[[exp.Expression], exp.Expression], hash_fn: str, name: str) -> exp.Select:
    """The contact ids (column `cid`) of the first `wanted(n)` of n `candidates` (contact id, v; v never NULL) in
    the ranking order: v descending when `desc`, then contact id. One query whose steps are CTEs named
    `name`_step: some dialects (Spark) hoist every CTE to the top of the statement, where two rankings must not
    clash."""
    def ranks_before(s: str, k: str, or_at: bool) -> exp.Expression:
        """Row `s` ranks before row `k` (or is it, `or_at`): ids are unique, so the order is total."""
        better = (exp.GT if desc else exp.LT)(this=col(s, "v"), expression=col(k, "v"))
        by_id = (exp.LTE if or_at else exp.LT)(this=col(s, cid), expression=col(k, cid))
        return or_([better, and_([exp.EQ(this=col(s, "v"), expression=col(k, "v")), by_id])])

    def count(condition: exp.Expression, value: exp.Expression) -> exp.Expression:
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=condition, true=value)], default=num(0)))

    def named(step: str) -> exp.Table:
        return table(f"{name}_{step}", step)

    sample = select([col("k", cid), col("k", "v")], named("k"))
    sample.set("order", exp.Order(expressions=[
        exp.Ordered(this=exp.Anonymous(this=hash_fn, expressions=[col("k", cid)])), exp.Ordered(this=col("k", cid))]))
    sample.set("limit", exp.Limit(expression=num(SAMPLE)))
    # cross joins with the (small) sample, not LEFT JOIN ON <inequality>: every engine plans them
    starts = select([col("s", cid), col("s", "v"), alias(count(ranks_before("k", "s", False), num(1)), "ahead"),
                     alias(exp.Count(this=exp.Star()), "n")],
                    named("k"), joins=[exp.Join(this=named("s"), kind="CROSS")], group=[col("s", cid), col("s", "v")])
    started = ranks_before("a", "k", True)
    buckets = select([col("k", cid), col("k", "v"), alias(count(started, num(1)), "bucket"),
                      alias(exp.Max(this=exp.Case(ifs=[exp.If(this=started.copy(), true=col("a", "ahead"))], default=num(0))), "ahead"),
                      alias(wanted(exp.Max(this=col("a", "n"))), "wanted")],
                     named("k"), joins=[exp.Join(this=named("a"), kind="CROSS")], group=[col("k", cid), col("k", "v")])
    order = exp.Order(expressions=[exp.Ordered(this=col("b", "v"), desc=desc), exp.Ordered(this=col("b", cid))])
    position = exp.Add(this=exp.Window(this=exp.RowNumber(), partition_by=[col("b", "bucket")], order=order),
                       expression=col("b", "ahead"))
    ranked = select([col("b", cid), alias(position, "pos"), col("b", "wanted")], named("b"),
                    exp.LT(this=col("b", "ahead"), expression=col("b", "wanted")))  # buckets wholly after K: not sorted
    query = select([col("r", cid)], subquery(ranked, "r"), exp.LTE(this=col("r", "pos"), expression=col("r", "wanted")))
    steps = {"k": candidates, "s": sample, "a": starts, "b": buckets}
    query.set("with_", exp.With(expressions=[exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(f"{name}_{n}")))
                                             for n, q in steps.items()]))
    return query
