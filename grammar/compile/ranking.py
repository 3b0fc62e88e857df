"""An exact `top N%` / `bottom N%` with no window over every contact, for engines whose LIMIT must be a
constant (Spark): `ROW_NUMBER() OVER (ORDER BY v, id)` without PARTITION BY sorts every candidate on one
executor. The members are the same: the first K = ceil(n * N / 100) candidates by value, then contact id.

    sample   the SAMPLE candidates first by hash(id), then id: a constant LIMIT (a top-N, nobody else is
             sorted), a pseudo-random sample that is the same at every evaluation
    bucket   per candidate: how many sample rows rank at or before it (by value, then id). Buckets follow the
             ranking order, and a value many contacts share (0 when no rows count as 0) is split across
             buckets by id, since ties go by id: no bucket holds much more than n / SAMPLE candidates
    totals   candidates per bucket (at most SAMPLE + 1 rows), crossed with itself (a join, not a window): how
             many rank in earlier buckets (`ahead`) and in all (n, so K)
    rank     ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY value, id) + ahead <= K, over the buckets that
             start before K only (a top 10% sorts a tenth of the candidates, in parallel, one bucket each)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from grammar.compile.sql import alias, and_, col, join, num, or_, select, subquery, table

SAMPLE = 31  # boundaries: 32 buckets. More buckets, more parallel sorts; each costs a comparison per candidate
RANK_HASH = {"spark": "hash"}  # the dialects planned this way, with their deterministic hash function


def bucketed_rank(candidates: exp.Select, cid: str, desc: bool,
                  wanted: Callable[[exp.Expression], exp.Expression], hash_fn: str, name: str) -> exp.Select:
    """The contact ids (column `cid`) of the first `wanted(n)` of n `candidates` (contact id, v; v never NULL) in
    the ranking order: v descending when `desc`, then contact id. One query with named steps (CTEs, so an
    engine can compute each once; Spark reuses a CTE read twice), each named `name`_step: some dialects (Spark)
    hoist every CTE to the top of the statement, where two rankings must not clash."""
    def at_or_before(s: str, k: str) -> exp.Expression:
        """Row `s` ranks at or before row `k` (ids are unique, so the order is total)."""
        better = (exp.GT if desc else exp.LT)(this=col(s, "v"), expression=col(k, "v"))
        tie = and_([exp.EQ(this=col(s, "v"), expression=col(k, "v")), exp.LTE(this=col(s, cid), expression=col(k, cid))])
        return or_([better, tie])

    def count(condition: exp.Expression, value: exp.Expression) -> exp.Expression:
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=condition, true=value)], default=num(0)))

    def named(alias: str) -> exp.Table:
        return table(f"{name}_{alias}", alias)

    sample = select([col("k", cid), col("k", "v")], named("k"))
    sample.set("order", exp.Order(expressions=[
        exp.Ordered(this=exp.Anonymous(this=hash_fn, expressions=[col("k", cid)])), exp.Ordered(this=col("k", cid))]))
    sample.set("limit", exp.Limit(expression=num(SAMPLE)))
    # a cross join with the (small) sample, not a LEFT JOIN ON <inequality>: every engine plans it
    buckets = select([col("k", cid), col("k", "v"), alias(count(at_or_before("s", "k"), num(1)), "bucket")],
                     named("k"), joins=[exp.Join(this=named("s"), kind="CROSS")], group=[col("k", cid), col("k", "v")])
    sizes = select([col("b", "bucket"), alias(exp.Count(this=exp.Star()), "cnt")], named("b"), group=[col("b", "bucket")])
    ahead = select([col("z", "bucket"),
                    alias(count(exp.LT(this=col("p", "bucket"), expression=col("z", "bucket")), col("p", "cnt")), "ahead"),
                    alias(wanted(exp.Sum(this=col("p", "cnt"))), "wanted")],
                   named("z"), joins=[exp.Join(this=table(f"{name}_z", "p"), kind="CROSS")], group=[col("z", "bucket")])
    order = exp.Order(expressions=[exp.Ordered(this=col("b", "v"), desc=desc), exp.Ordered(this=col("b", cid))])
    position = exp.Add(this=exp.Window(this=exp.RowNumber(), partition_by=[col("b", "bucket")], order=order),
                       expression=col("a", "ahead"))
    ranked = select([col("b", cid), alias(position, "pos"), col("a", "wanted")], named("b"),
                    exp.LT(this=col("a", "ahead"), expression=col("a", "wanted")),  # buckets wholly after K: not sorted
                    [join(named("a"), exp.EQ(this=col("a", "bucket"), expression=col("b", "bucket")))])
    query = select([col("r", cid)], subquery(ranked, "r"), exp.LTE(this=col("r", "pos"), expression=col("r", "wanted")))
    steps = {"k": candidates, "s": sample, "b": buckets, "z": sizes, "a": ahead}
    query.set("with_", exp.With(expressions=[exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(f"{name}_{n}")))
                                             for n, q in steps.items()]))
    return query
