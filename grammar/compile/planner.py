"""The planned compiler: every condition over events reads only the rows it needs.

    SELECT c.contact_id FROM contacts c
    WHERE c.signup_at <= as_of AND <the boolean tree>, each event condition one of
      EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.contact_id AND e.event = 'x' AND <window>)   -- did
      NOT EXISTS (...)                                                                   -- did not (PostgreSQL)
      NOT c.contact_id IN (SELECT e.contact_id ... AND e.contact_id IS NOT NULL)       -- did not (DuckDB)
      EXISTS (SELECT 1 FROM (SELECT e.contact_id FROM events e WHERE <event, window>
                             GROUP BY e.contact_id HAVING <count, total, last ...>) g WHERE g.contact_id = c.contact_id)

- The (event, window) of each condition is in its scan's WHERE, so PostgreSQL reads its (event, occurred_at)
  index and DuckDB filters while scanning; `last X in window` keeps only events after the window's start,
  `first X` only those before its end; `in K of last N months` only the N months.
- A count or total that is true for people with no events (`at most 2 times`, `total < 100`) is planned as
  NOT (its complement), so people without events need no row at all.
- Sibling existence tests share one scan: `did not a and did not b` is one anti-join over (a or b),
  `did a or did b` one semi-join.
- Sequences bound every later step by the first step's window (an order "after a cart add in the last 7
  days" is in the last 7 days), so "then did not B" reads only recent B's: as one grouped scan (the last A
  after the last B), or on DuckDB over a window of a month or less as the A's with NOT EXISTS a later B.
- Rankings: `top N` is ORDER BY ... LIMIT N over the candidates; `top N%` on DuckDB and PostgreSQL is the same
  with the limit computed from the number of candidates (no window over every contact); Spark, whose LIMIT
  must be a constant, ranks within value buckets (`ranking.py`: no window without a partition); other
  dialects get ROW_NUMBER() with the candidate count as a scalar. Ties: value, then contact id, exactly as before.
- Dialects: DuckDB and PostgreSQL decorrelate EXISTS into semi- and anti-joins (PostgreSQL cannot for NOT IN);
  DuckDB, though, plans a correlated NOT EXISTS as a delim join, so its anti-joins are NOT IN, one hash join;
  the other dialects get uncorrelated `contact_id IN (...)`, the form every engine reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlglot import exp

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile.sql import (
    COMPARE, FLIP, PY_COMPARE, and_, anniversary_days, binary, bounds_predicate, clone, coalesce, col, col_bounds,
    col_cmp, count_star, eq, exists, expand_reference, filter_predicate, is_null, join, lit, not_, not_null,
    null_safe, num, or_, plus, property_value, select, string, subquery, table, ts, unary, value_predicate,
    window_bounds, window_predicate)
from grammar.compile.ranking import LIMIT_SUBQUERY_DIALECTS, RANK_HASH, bucketed_rank, percent_of
from grammar.compile.sharing import _PROFILE, SharedScans
from grammar.units import duration

C = "c"  # the outer contacts row; no inner table may take this alias
EXISTS_DIALECTS = ("duckdb", "postgres")
ANTI_IN_DIALECTS = ("duckdb",)  # `did not`: NOT IN (PostgreSQL cannot make NOT IN an anti-join)
# `did A [window] then did not B`: one grouped scan of the A's and B's (the last A after the last B), except on
# DuckDB when the window spans at most ROWS_NOT_AFTER_SPAN: the A's then read with a correlated NOT EXISTS over
# the B's after each (a range join). At 1M contacts, rows / grouped: 0.28x-0.69x for windows of 3 to 30 days,
# 1.3x at 90 days, 3.6x-3.8x at 365 days or none (`benchmarks/bench_sequences.py`).
ROWS_NOT_AFTER_DIALECTS = ("duckdb",)
ROWS_NOT_AFTER_SPAN = timedelta(days=31)


def plan_forms(dialect: str) -> tuple[bool, bool, bool, bool, str | None, bool, bool]:
    """What the planned SQL looks like in `dialect`: EXISTS semi-joins, a computed LIMIT, top-N at all (MySQL
    takes no LIMIT in IN (...)), LAG over a nullable copy of the time (ClickHouse's LAG of a non-nullable
    column gives 1970-01-01 before a person's first event, not NULL), the hash function of a top-N% ranked
    in buckets (None: one ROW_NUMBER over the candidates), and anti-joins as NOT IN (DuckDB plans a
    correlated NOT EXISTS as a delim join: 2.5x to 6x slower than NOT IN's one hash join, more so at 1M), and
    `then did not` over a short window as rows (else one grouped scan)."""
    return (dialect in EXISTS_DIALECTS, dialect in LIMIT_SUBQUERY_DIALECTS, dialect != "mysql",
            dialect == "clickhouse", RANK_HASH.get(dialect), dialect in ANTI_IN_DIALECTS,
            dialect in ROWS_NOT_AFTER_DIALECTS)


def not_after_as_rows(low: datetime | None, high: datetime | None, as_of: datetime) -> bool:
    """Whether `then did not` over a window from `low` to `high` (None: unbounded) is planned as rows on the
    dialects that can (ROWS_NOT_AFTER_DIALECTS): when the window spans at most ROWS_NOT_AFTER_SPAN."""
    return low is not None and (high or as_of) - low <= ROWS_NOT_AFTER_SPAN


_ONCE = A.Count(op="at_least", n=1)  # `did X`: read only
_AGG = {"total": exp.Sum, "average": exp.Avg, "min": exp.Min, "max": exp.Max}


class _Compiler(SharedScans):
    def __init__(self, catalog: Catalog, as_of: datetime, segments: Mapping[str, A.Condition],
                 dialect: str = "duckdb"):
        self.catalog, self.as_of, self.segments = catalog, as_of, segments
        (self.exists, self.limit_subquery, self.top_n, self.nullable_lag, self.rank_hash,
         self.anti_in, self.short_not_after_as_rows) = plan_forms(dialect)
        ev = catalog.events_table
        self.ev_table, self.cid, self.t, self.ev_name = ev.table, ev.contact_id, ev.time, ev.name
        self.contact_id = catalog.contacts.id
        self.expanding: list[str] = []
        self.n_alias = 0
        self.grouped: dict[int, tuple[exp.Expression, exp.Select]] = {}  # membership test -> its grouped scan
        self.ranked: dict[int, tuple[exp.Expression, exp.Select]] = {}  # ranking test -> its top-N query
        self.rank_scans: list[exp.Select] = []  # each ranking's per-contact measure query

    def fresh(self, prefix: str) -> str:
        self.n_alias += 1
        return f"{prefix}{self.n_alias}"

    # -- event rows: which rows a condition reads
    def event_match(self, e: A.EventRef, alias: str) -> exp.Expression:
        pred = col_cmp(exp.EQ, alias, self.ev_name, string(self.catalog.event_value(e.name)))
        if e.where is not None:
            return and_([pred, filter_predicate(self.catalog, e.where, alias)])
        return pred

    def cap(self, alias: str, high: datetime | None = None, high_inc: bool = True) -> exp.Expression | None:
        """Events never pass as_of (unless the window already ends before it)."""
        if high is not None and high <= self.as_of:
            return None
        return col_cmp(exp.LTE, alias, self.t, ts(self.as_of))

    def rows(self, e: A.EventRef, window: A.Window | None, alias: str) -> tuple[list, list[exp.Join]]:
        """WHERE parts and joins that select the events of `e` in `window` (an anchored window joins its anchor)."""
        if window is None:
            return [self.event_match(e, alias), self.cap(alias)], []
        if type(window) is A.Anchored:
            anchor, joins = self.anchor_join(window.anchor, alias)
            return [self.event_match(e, alias), self.cap(alias),
                    window_predicate(window, col(alias, self.t), self.as_of, anchor)], joins
        low, low_inc, high, high_inc = window_bounds(window, self.as_of)
        return [self.event_match(e, alias), col_bounds(alias, self.t, low, low_inc, high, high_inc),
                self.cap(alias, high, high_inc)], []

    def anchor_join(self, name: str, alias: str) -> tuple[exp.Expression, list[exp.Join]]:
        """An anchor's value per event row: the contact's date trait, or their first such event (to as_of)."""
        a = self.fresh("a")
        if name in self.catalog.traits:
            on = eq(col(a, self.contact_id), col(alias, self.cid))
            return col(a, self.catalog.trait_column(name)), [join(table(self.catalog.contacts.table, a), on)]
        x = self.fresh("x")
        first = select([col(x, self.cid), exp.Alias(this=exp.Min(this=col(x, self.t)), alias=exp.to_identifier("anchor_at"))],
                       table(self.ev_table, x), and_([self.event_match(A.EventRef(name=name), x), self.cap(x)]),
                       group=[col(x, self.cid)])
        on = eq(col(a, self.cid), col(alias, self.cid))
        return col(a, "anchor_at"), [join(subquery(first, a), on)]

    def anchor_present(self, window: A.Window | None, pred: exp.Expression, negated: bool) -> exp.Expression:
        """People without the anchor match nothing: `pred` only where the anchor is set."""
        if not isinstance(window, A.Anchored):
            return pred
        if window.anchor in self.catalog.traits:
            present = not_null(col(C, self.catalog.trait_column(window.anchor)))
        else:
            present = self.member_rows(*self.rows(A.EventRef(name=window.anchor), None, "e"), "e", negated)
        return and_([present, pred])

    # -- membership: contacts among the rows (or groups) of a scan
    def in_form(self, negated: bool) -> bool:
        """Whether a membership test is `contact_id IN (...)` rather than EXISTS (negated: under a NOT)."""
        return not self.exists or (negated and self.anti_in)

    def member_rows(self, where: list, joins: list[exp.Join], alias: str, negated: bool) -> exp.Expression:
        """Contacts with at least one row of `events <alias> <joins> WHERE <where>`."""
        src = table(self.ev_table, alias)
        if not self.in_form(negated):
            link = col_cmp(exp.EQ, alias, self.cid, col(C, self.contact_id))
            return exists(select([num(1)], src, and_([link, *where]), joins))
        if negated:  # NOT (x IN (..., NULL)) is NULL, never true
            where = [*where, not_null(col(alias, self.cid))]
        return exp.In(this=col(C, self.contact_id), query=subquery(select([col(alias, self.cid)], src, and_(where), joins)))

    def member_query(self, query: exp.Select, negated: bool) -> exp.Expression:
        """Contacts whose id is a row of `query` (first column: contact id, never NULL where negated)."""
        if not self.in_form(negated):
            g = self.fresh("g")
            link = col_cmp(exp.EQ, g, self.cid, col(C, self.contact_id))
            return exists(select([num(1)], subquery(query, g), link))
        return exp.In(this=col(C, self.contact_id), query=subquery(query))

    def member_groups(self, where: list, joins: list[exp.Join], alias: str, having: exp.Expression,
                      negated: bool, group: list[exp.Expression] | None = None) -> exp.Expression:
        """Contacts whose group of rows satisfies `having`."""
        if negated and self.in_form(negated):
            where = [*where, not_null(col(alias, self.cid))]
        query = select([col(alias, self.cid)], table(self.ev_table, alias), and_(where), joins,
                       group=[col(alias, self.cid), *(group or [])], having=having)
        member = self.member_query(query, negated)
        self.grouped[id(member)] = (member, query)
        return member

    def counted(self, e: A.EventRef, window: A.Window | None, measure: exp.Expression, op: str,
                value: exp.Expression, zero_true: bool, negated: bool) -> exp.Expression:
        """`measure op value` per contact, from the rows of `e` in `window`. If it holds for someone with no
        rows (`zero_true`, `measure` then has no NULLs), plan NOT (the complement), which needs rows."""
        where, joins = self.rows(e, window, "e")
        if zero_true:
            flipped = binary(COMPARE[FLIP[op]], measure, value)
            return self.anchor_present(window, not_(self.member_groups(where, joins, "e", flipped, not negated)), negated)
        pred = binary(COMPARE[op], measure, value)
        return self.anchor_present(window, self.member_groups(where, joins, "e", pred, negated), negated)

    # -- conditions
    def cond(self, node: A.Condition, negated: bool = False) -> exp.Expression:
        return getattr(self, f"c_{node.kind}")(node, negated)

    def c_and(self, node: A.And, negated: bool) -> exp.Expression:
        not_dids = [c for c in node.conditions if type(c) is A.Not and self._plain_did(c.condition)]
        nots = [c.condition for c in not_dids]
        done: list = []
        merged = self.lapsed(node, nots, negated) if nots else None
        if merged is not None:
            done = [merged[1], *not_dids]
            rest = [merged[0]]
        elif len(nots) > 1:  # did not a and did not b: one anti-join over (a or b)
            done = not_dids
            rest = [not_(self.merged_exists(nots, not negated))]
        else:
            rest = []
        done_ids = {id(c) for c in done}
        rest += [self.cond(c, negated) for c in node.conditions if id(c) not in done_ids]
        return and_(self.share_scans(rest) if len(self.grouped) > 1 else rest)

    def c_or(self, node: A.Or, negated: bool) -> exp.Expression:
        dids = [c for c in node.conditions if self._plain_did(c)]
        rest = [self.cond(c, negated) for c in node.conditions if not (len(dids) > 1 and self._plain_did(c))]
        if len(dids) > 1:  # did a or did b: one semi-join over (a or b)
            rest.insert(0, self.merged_exists(dids, negated))
        return or_(rest)

    def c_not(self, node: A.Not, negated: bool) -> exp.Expression:
        return not_(self.cond(node.condition, not negated))

    def c_trait(self, node: A.TraitCondition, negated: bool) -> exp.Expression:
        return null_safe(value_predicate(col(C, self.catalog.trait_column(node.trait)), node.op, node.value), negated)

    def c_trait_time(self, node: A.TraitTime, negated: bool) -> exp.Expression:
        c = col(C, self.catalog.trait_column(node.trait))
        anchor = None
        if isinstance(node.window, A.Anchored):
            anchor = col(C, self.catalog.trait_column(node.window.anchor)) if node.window.anchor in self.catalog.traits \
                else self.first_event_of(node.window.anchor)
        return null_safe(window_predicate(node.window, c, self.as_of, anchor), negated)

    def first_event_of(self, name: str) -> exp.Expression:
        """A contact's first `name` event (to as_of), as a scalar subquery of the outer row."""
        x = self.fresh("x")
        where = [self.event_match(A.EventRef(name=name), x), self.cap(x),
                 eq(col(x, self.cid), col(C, self.contact_id))]
        return exp.Subquery(this=select([exp.Min(this=col(x, self.t))], table(self.ev_table, x), and_(where)))

    def c_anniversary(self, node: A.Anniversary, negated: bool) -> exp.Expression:
        c = col(C, self.catalog.trait_column(node.trait))
        key = exp.Add(this=exp.Mul(this=exp.Extract(this=exp.Var(this="MONTH"), expression=c), expression=num(100)),
                      expression=exp.Extract(this=exp.Var(this="DAY"), expression=clone(c)))
        days = anniversary_days(node, self.as_of)
        return null_safe(exp.In(this=key, expressions=[num(d) for d in days]), negated)

    def c_did(self, node: A.Did, negated: bool) -> exp.Expression:
        c = node.count or _ONCE
        if c.op == "at_least" and c.n <= 1:
            if c.n == 0:
                return self.anchor_present(node.window, exp.true(), negated)
            where, joins = self.rows(node.event, node.window, "e")
            return self.anchor_present(node.window, self.member_rows(where, joins, "e", negated), negated)
        if c.op == "exactly" and c.n == 0 or c.op == "at_most" and c.n == 0:  # never: an anti-join
            where, joins = self.rows(node.event, node.window, "e")
            return self.anchor_present(node.window, not_(self.member_rows(where, joins, "e", not negated)), negated)
        n = count_star()
        if c.op == "between":
            if c.n == 0:  # 0..m: not more than m
                return self.counted(node.event, node.window, n, "<=", num(c.m), True, negated)
            where, joins = self.rows(node.event, node.window, "e")
            having = exp.Between(this=n, low=num(c.n), high=num(c.m))
            return self.anchor_present(node.window, self.member_groups(where, joins, "e", having, negated), negated)
        op = {"at_least": ">=", "at_most": "<=", "exactly": "="}[c.op]
        return self.counted(node.event, node.window, n, op, num(c.n), PY_COMPARE[op](0, c.n), negated)

    def measure_expr(self, func: str, prop: str | None, alias: str) -> tuple[exp.Expression, bool]:
        """The aggregate over a contact's rows, and whether 'no rows' means 0 (it is then never NULL)."""
        if func == "count":
            return count_star(), True
        value = property_value(self.catalog, alias, prop)  # type: ignore[arg-type]
        if func == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[value])), True
        if func == "total":
            return coalesce(unary(exp.Sum, value), num(0)), True
        return unary(_AGG[func], value), False

    def c_aggregate(self, node: A.Aggregate, negated: bool) -> exp.Expression:
        measure, zero_default = self.measure_expr(node.func, node.property, "e")
        zero_true = zero_default and PY_COMPARE[node.op](0, node.value)
        return self.counted(node.event, node.window, measure, node.op, lit(node.value), zero_true, negated)

    def c_share(self, node: A.Share, negated: bool) -> exp.Expression:
        where, joins = self.rows(A.EventRef(name=node.event.name), node.window, "e")
        whole = count_star()
        part = whole.copy() if node.event.where is None else exp.Count(this=exp.Case(ifs=[exp.If(
            this=filter_predicate(self.catalog, node.event.where, "e"), true=num(1))]))
        # 100.0 * part / whole; people without such events have no share: never members
        share = exp.Div(this=exp.Mul(this=num(100.0), expression=part), expression=exp.Nullif(this=whole, expression=num(0)))
        having = binary(COMPARE[node.op], share, lit(node.value))
        return self.member_groups(where, joins, "e", having, negated)

    def c_occurrence(self, node: A.Occurrence, negated: bool) -> exp.Expression:
        agg = exp.Min if node.which == "first" else exp.Max
        where = [self.event_match(node.event, "e"), self.cap("e")]
        if type(node.window) is A.Anchored:
            anchor, joins = self.anchor_join(node.window.anchor, "e")
            having = window_predicate(node.window, unary(agg, col("e", self.t)), self.as_of, anchor)
            return self.member_groups(where, joins, "e", having, negated, group=[clone(anchor)])
        low, low_inc, high, high_inc = window_bounds(node.window, self.as_of)
        # the last event is after `low` iff some event is, and then it is the last of those (first: mirrored)
        if high is not None and (high > self.as_of or high == self.as_of and high_inc):
            high = None  # every event is at or before as_of anyway
        if node.which == "last":
            where.append(col_bounds("e", self.t, low, low_inc, None, False))
            having = bounds_predicate(unary(agg, col("e", self.t)), None, False, high, high_inc)
        else:
            where.append(col_bounds("e", self.t, None, False, high, high_inc))
            having = bounds_predicate(unary(agg, col("e", self.t)), low, low_inc, None, False)
        if having is None:
            return self.member_rows(where, [], "e", negated)
        return self.member_groups(where, [], "e", having, negated)

    def c_stopped(self, node: A.Stopped, negated: bool) -> exp.Expression:
        cutoff = self.as_of - duration(node.duration.amount, node.duration.unit)
        having = binary(exp.LT, unary(exp.Max, col("e", self.t)), ts(cutoff))
        return self.member_groups([self.event_match(node.event, "e"), self.cap("e")], [], "e", having, negated)

    def c_regular(self, node: A.Regular, negated: bool) -> exp.Expression:
        if node.min_periods <= 0:
            return exp.true()
        if node.periods <= 0 or node.min_periods > node.periods:
            return exp.false()
        t = col("e", self.t)
        step = duration(1, node.unit)
        period = exp.Case(ifs=[exp.If(this=exp.GTE(this=clone(t), expression=ts(self.as_of - step * (k + 1))),
                                      true=num(k + 1)) for k in range(node.periods)])
        where = [self.event_match(node.event, "e"), exp.GTE(this=t, expression=ts(self.as_of - step * node.periods)),
                 self.cap("e")]
        having = exp.GTE(this=exp.Count(this=exp.Distinct(expressions=[period])), expression=num(node.min_periods))
        return self.member_groups(where, [], "e", having, negated)

    def c_sequence(self, node: A.Sequence, negated: bool) -> exp.Expression:
        low, low_inc, high, high_inc = (None, False, None, False) if node.window is None else \
            window_bounds(node.window, self.as_of)
        if len(node.steps) == 1 and node.steps[0].negated and node.steps[0].within is None and not (
                self.short_not_after_as_rows and not_after_as_rows(low, high, self.as_of)):
            return self.not_after(node, negated)
        # Every step happens after the first step's window opens, and a step `within T` of one that ended by
        # `high` ends by high + T: constant bounds on each step's own scan.
        where = [self.event_match(node.event, "s0"), col_bounds("s0", self.t, low, low_inc, high, high_inc),
                 self.cap("s0", high, high_inc)]
        joins: list[exp.Join] = []
        prev = "s0"
        for i, step in enumerate(node.steps, start=1):
            alias = f"s{i}"
            t = col(alias, self.t)
            step_high, step_inc = None, False
            if step.within is not None and high is not None:
                step_high, step_inc = high + duration(step.within.amount, step.within.unit), True
            link = [eq(col(alias, self.cid), col(prev, self.cid)),
                    exp.GT(this=t, expression=col(prev, self.t)), self.event_match(step.event, alias),
                    bounds_predicate(clone(t), low, False, step_high, step_inc) if low or step_high else None,
                    self.cap(alias, step_high, step_inc)]
            if step.within is not None:
                link.append(exp.LTE(this=clone(t), expression=plus(col(prev, self.t), step.within.amount, step.within.unit)))
            if step.negated:
                later = select([num(1)], table(self.ev_table, alias), and_(link))
                where.append(exp.Not(this=exists(later)))
                continue
            joins.append(join(table(self.ev_table, alias), and_(link)))
            prev, high, high_inc = alias, step_high, step_inc
        return self.member_rows(where, joins, "s0", negated)

    def not_after(self, node: A.Sequence, negated: bool) -> exp.Expression:
        """`did A [window] then did not B`: someone's last A has no B after it, which holds iff some A has none.
        One grouped scan of the A's and the B's after the window opens, no event-to-event join."""
        low, low_inc, high, high_inc = (None, False, None, False) if node.window is None else \
            window_bounds(node.window, self.as_of)
        t = col("e", self.t)

        def is_a() -> exp.Expression:
            return and_([self.event_match(node.event, "e"), bounds_predicate(clone(t), low, low_inc, high, high_inc)])

        def is_b() -> exp.Expression:
            return and_([self.event_match(node.steps[0].event, "e"), bounds_predicate(clone(t), low, False, None, False)])

        def last(rows: exp.Expression) -> exp.Expression:
            return exp.Max(this=exp.Case(ifs=[exp.If(this=rows, true=clone(t))]))

        having = and_([not_null(last(is_a())), or_([is_null(last(is_b())), exp.LTE(this=last(is_b()), expression=last(is_a()))])])
        return self.member_groups([or_([is_a(), is_b()]), self.cap("e")], [], "e", having, negated)

    def c_restarted(self, node: A.Restarted, negated: bool) -> exp.Expression:
        t = col("e", self.t)
        lagged = exp.Anonymous(this="toNullable", expressions=[clone(t)]) if self.nullable_lag else clone(t)
        prev = exp.Window(this=exp.Anonymous(this="LAG", expressions=[lagged]), partition_by=[col("e", self.cid)],
                          order=exp.Order(expressions=[exp.Ordered(this=clone(t))]))
        inner = select([col("e", self.cid), clone(t), exp.Alias(this=prev, alias=exp.to_identifier("prev_at"))],
                       table(self.ev_table, "e"), and_([self.event_match(node.event, "e"), self.cap("e")]))
        gap = plus(col("r", "prev_at"), node.gap.amount, node.gap.unit)
        query = select([col("r", self.cid)], subquery(inner, "r"), and_([
            not_null(col("r", "prev_at")), exp.GTE(this=col("r", self.t), expression=gap),
            window_predicate(node.window, col("r", self.t), self.as_of)]))
        return self.member_query(query, negated)

    def c_rank(self, node: A.Rank, negated: bool) -> exp.Expression:
        m = node.measure
        if node.amount == 0:
            return exp.false()
        where, joins = self.rows(m.event, m.window, "e")
        measure, zero_default = self.measure_expr(m.func, m.property, "e")
        if zero_default and m.func == "total":
            measure = measure.this  # SUM(...): the candidates' COALESCE below gives 0
        per_contact = select([col("e", self.cid), exp.Alias(this=measure, alias=exp.to_identifier("v"))],
                             table(self.ev_table, "e"), and_(where), joins, group=[col("e", self.cid)])
        self.rank_scans.append(per_contact)
        desc = node.direction == "top"
        if node.percent and self.rank_hash and not self.limit_subquery:  # no computed LIMIT: rank in buckets
            return exp.In(this=col(C, self.contact_id), query=subquery(bucketed_rank(
                self.candidates(per_contact, zero_default).this, self.contact_id, desc,
                lambda n: percent_of(n, node.amount), self.rank_hash, self.fresh("rank"))))
        candidates = self.candidates(per_contact, zero_default)
        order = exp.Order(expressions=[exp.Ordered(this=exp.column("v", "k"), desc=desc, nulls_first=False),
                                       exp.Ordered(this=col("k", self.contact_id))])
        if node.percent:  # N% of the candidates: every contact when no rows count as 0, else those with a value
            counted = table(self.catalog.contacts.table, "n") if zero_default else \
                self.candidates(per_contact.copy(), zero_default, "n")
            n = exp.Subquery(this=select([count_star()], counted, self.universe("n") if zero_default else None))
            limit = percent_of(n, node.amount)
        else:
            limit = num(node.amount)
        if self.top_n and (self.limit_subquery or not node.percent):  # a top-N: the engine keeps the best N, sorts nothing else
            top = select([col("k", self.contact_id)], candidates)
            top.set("order", order)
            top.set("limit", exp.Limit(expression=limit))
            member = exp.In(this=col(C, self.contact_id), query=subquery(top))
            self.ranked[id(member)] = (member, top)
            return member
        position = exp.Window(this=exp.RowNumber(), order=order)
        ranked = select([col("k", self.contact_id), exp.Alias(this=position, alias=exp.to_identifier("pos"))], candidates)
        pick = select([col("r", self.contact_id)], subquery(ranked, "r"), exp.LTE(this=exp.column("pos", "r"), expression=limit))
        return exp.In(this=col(C, self.contact_id), query=subquery(pick))

    def candidates(self, per_contact: exp.Select, zero_default: bool, name: str = "k") -> exp.Expression:
        """Everyone a ranking orders, as (contact id, v): every contact (no rows: 0) or those with a value."""
        u = self.fresh("u")
        value = col("m", "v")
        if zero_default:
            value = coalesce(value, num(0))
        on = eq(col("m", self.cid), col(u, self.contact_id))
        rows = select([col(u, self.contact_id),
                       exp.Alias(this=value, alias=exp.to_identifier("v"))],
                      table(self.catalog.contacts.table, u),
                      and_([self.universe(u), None if zero_default else not_null(col("m", "v"))]),
                      [join(subquery(per_contact, "m"), on, "left" if zero_default else None)])
        return subquery(rows, name)

    c_segment = expand_reference

    # -- the query
    def universe(self, alias: str = C) -> exp.Expression | None:
        created = self.catalog.contacts.created_at
        return col_cmp(exp.LTE, alias, created, ts(self.as_of)) if created else None

    def build(self, node: A.Condition | None) -> exp.Select:
        root = node
        while isinstance(root, A.SegmentRef) and root.name in self.segments and root.name not in self.expanding:
            self.expanding.append(root.name)
            root = self.segments[root.name]
        if isinstance(root, A.Or) and sum(not isinstance(c, _PROFILE) for c in root.conditions) > 1:
            query = self.union(root)
        else:
            query = self.contacts_where(self.cond(root) if root is not None else None)
        return self.share_rank_scans(query) if self.rank_scans and self.grouped else query

    def contacts_where(self, where: exp.Expression | None) -> exp.Select:
        top = self.ranked.get(id(where))
        if top is not None and top[0] is where:  # a ranking alone: its top-N are the members (all in the universe)
            return top[1]
        return select([col(C, self.contact_id)], table(self.catalog.contacts.table, C), and_([self.universe(), where]))
