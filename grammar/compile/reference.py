"""The reference plan: the compiler as it was before planning (main at a26b424), kept as the simple plan the
planned SQL is checked against (property tests) and measured against (benchmarks): `compile_expression(...,
plan="reference")`.

    WITH ev AS (                       -- one grouped scan of the events table for every did/count/aggregate/
      SELECT contact_id, <feature 1>,  -- first/last/stopped/regular condition, each a conditional aggregate
             <feature 2>, ...
      FROM events WHERE occurred_at <= as_of AND event IN (...) GROUP BY contact_id),
    rank_1 AS (...)                    -- one ROW_NUMBER() ranking per top/bottom condition
    SELECT c.contact_id FROM contacts c LEFT JOIN ev ON ... WHERE <the boolean tree over c.* and ev.*>

Sequences and restarts need event-to-event comparisons, so they are (uncorrelated) IN subqueries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile.sql import COMPARE, anniversary_days, col as _col, lit as _lit, null_safe as _null_safe
from grammar.compile.sql import expand_reference, filter_predicate, property_value, ts as _ts
from grammar.compile.sql import value_predicate as _value_predicate
from grammar.compile.ranking import LIMIT_SUBQUERY_DIALECTS, RANK_HASH, bucketed_rank, percent_of
from grammar.compile.sql import window_predicate
from grammar.units import duration

C, EV, E = "c", "ev", "e"  # aliases: contacts, the grouped events scan, a raw events row


def _and(parts: list[exp.Expression]) -> exp.Expression:
    parts = [p for p in parts if p is not None]
    return exp.and_(*parts, copy=False) if parts else exp.true()


@dataclass
class ReferenceCompiler:
    catalog: Catalog
    as_of: datetime
    segments: Mapping[str, A.Condition]
    features: list[exp.Expression] = field(default_factory=list)
    feature_keys: dict[str, str] = field(default_factory=dict)
    ctes: list[tuple[str, exp.Expression]] = field(default_factory=list)
    events_used: set[str] = field(default_factory=set)
    expanding: list[str] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)
    rank_hash: str | None = None  # Spark: rankings without a window over every contact (ranking.py)
    rank_limit: bool = False  # a batch on DuckDB / PostgreSQL: top-N% as a top-N whose LIMIT is computed
    scan_readers: list[exp.Select] = field(default_factory=list)  # rankings' reads of the contacts: joined to `ev`

    # -- anchored windows: a person's own date trait or first event
    def anchor_in_scan(self, name: str) -> exp.Column:
        """The anchor as a column of the events scan (a join on the contact; see `events_scan`)."""
        alias = self.anchors.setdefault(name, f"a{len(self.anchors) + 1}")
        if name in self.catalog.traits:
            return _col(alias, self.catalog.trait_column(name))
        return _col(alias, "anchor_at")

    def anchor_outer(self, name: str) -> exp.Expression:
        """The anchor in the outer query: the contact's trait column, or the first such event from the scan."""
        if name in self.catalog.traits:
            return _col(C, self.catalog.trait_column(name))
        return self.feature(exp.Min(this=self.case(A.EventRef(name=name), None, _col(E, self.ev_time))))

    def anchor_join(self, name: str, alias: str) -> tuple[exp.Expression, exp.Expression]:
        cid = self.catalog.events_table.contact_id
        if name in self.catalog.traits:
            source = exp.alias_(exp.to_table(self.catalog.contacts.table), alias, table=True)
            return source, exp.EQ(this=_col(alias, self.catalog.contacts.id), expression=_col(E, cid))
        first = exp.select(_col("x", cid), exp.alias_(exp.Min(this=_col("x", self.ev_time)), "anchor_at")).from_(
            self.events_table("x"), copy=False).where(_and([self.event_match(A.EventRef(name=name), "x"),
                                                             self.as_of_cap("x")]), copy=False).group_by(_col("x", cid), copy=False)
        return first.subquery(alias), exp.EQ(this=_col(alias, cid), expression=_col(E, cid))

    def windowed(self, window: A.Window | None, t: exp.Expression, outer: bool) -> exp.Expression | None:
        anchor = None
        if isinstance(window, A.Anchored):
            anchor = self.anchor_outer(window.anchor) if outer else self.anchor_in_scan(window.anchor)
        return window_predicate(window, t, self.as_of, anchor)

    def anchor_present(self, window: A.Window | None, pred: exp.Expression) -> exp.Expression:
        """People without the anchor match nothing: `pred` only where the anchor is set."""
        if not isinstance(window, A.Anchored):
            return pred
        return exp.and_(exp.Not(this=exp.Is(this=self.anchor_outer(window.anchor), expression=exp.Null())), pred,
                        copy=False)

    # -- catalog-backed columns
    @property
    def ev_time(self) -> str:
        return self.catalog.events_table.time

    def event_column(self, alias: str, name: str) -> exp.Column:
        return _col(alias, name)

    def event_match(self, e: A.EventRef, alias: str) -> exp.Expression:
        self.events_used.add(e.name)
        name_col = self.catalog.events_table.name
        pred = exp.EQ(this=_col(alias, name_col), expression=exp.Literal.string(self.catalog.event_value(e.name)))
        if e.where is not None:
            return exp.and_(pred, filter_predicate(self.catalog, e.where, alias), copy=False)
        return pred

    def feature(self, agg: exp.Expression) -> exp.Column:
        """Add a conditional aggregate to the shared events scan (once per distinct aggregate); its column."""
        key = agg.sql()
        if key not in self.feature_keys:
            alias = f"f{len(self.feature_keys) + 1}"
            self.feature_keys[key] = alias
            self.features.append(exp.alias_(agg, alias))
        return _col(EV, self.feature_keys[key])

    def case(self, e: A.EventRef, window: A.Window | None, then: exp.Expression) -> exp.Expression:
        cond = _and([self.event_match(e, E), self.windowed(window, _col(E, self.ev_time), outer=False)])
        return exp.Case(ifs=[exp.If(this=cond, true=then)])

    def measure(self, func: str, prop: str | None, e: A.EventRef, window: A.Window | None) -> tuple[exp.Expression, bool]:
        """A per-contact measure column from the shared scan, and whether 'no events' means 0 (else NULL)."""
        if func == "count":
            return self.feature(exp.Count(this=self.case(e, window, exp.Literal.number(1)))), True
        value = property_value(self.catalog, E, prop)  # type: ignore[arg-type]
        if func == "count_distinct":
            return self.feature(exp.Count(this=exp.Distinct(expressions=[self.case(e, window, value)]))), True
        agg = {"total": exp.Sum, "average": exp.Avg, "min": exp.Min, "max": exp.Max}[func]
        return self.feature(agg(this=self.case(e, window, value))), func == "total"

    # -- conditions
    def cond(self, node: A.Condition, negated: bool = False) -> exp.Expression:
        return getattr(self, f"c_{node.kind}")(node, negated)

    def c_and(self, node: A.And, negated: bool) -> exp.Expression:
        return exp.and_(*[self.cond(c, negated) for c in node.conditions], copy=False)

    def c_or(self, node: A.Or, negated: bool) -> exp.Expression:
        return exp.or_(*[self.cond(c, negated) for c in node.conditions], copy=False)

    def c_not(self, node: A.Not, negated: bool) -> exp.Expression:
        return exp.not_(self.cond(node.condition, not negated), copy=False)

    def c_trait(self, node: A.TraitCondition, negated: bool) -> exp.Expression:
        col = _col(C, self.catalog.trait_column(node.trait))
        return _null_safe(_value_predicate(col, node.op, node.value), negated)

    def c_trait_time(self, node: A.TraitTime, negated: bool) -> exp.Expression:
        col = _col(C, self.catalog.trait_column(node.trait))
        return _null_safe(self.windowed(node.window, col, outer=True), negated)

    def c_anniversary(self, node: A.Anniversary, negated: bool) -> exp.Expression:
        col = _col(C, self.catalog.trait_column(node.trait))
        key = exp.Add(this=exp.Mul(this=exp.Extract(this=exp.var("MONTH"), expression=col),
                                   expression=exp.Literal.number(100)),
                      expression=exp.Extract(this=exp.var("DAY"), expression=col.copy()))
        days = anniversary_days(node, self.as_of)
        return _null_safe(exp.In(this=key, expressions=[exp.Literal.number(d) for d in days]), negated)

    def c_did(self, node: A.Did, negated: bool) -> exp.Expression:
        n = exp.func("COALESCE", self.measure("count", None, node.event, node.window)[0], exp.Literal.number(0))
        c = node.count or A.Count(op="at_least", n=1)
        if c.op == "at_least":
            pred = exp.GTE(this=n, expression=exp.Literal.number(c.n))
        elif c.op == "at_most":
            pred = exp.LTE(this=n, expression=exp.Literal.number(c.n))
        elif c.op == "exactly":
            pred = exp.EQ(this=n, expression=exp.Literal.number(c.n))
        else:
            pred = exp.Between(this=n, low=exp.Literal.number(c.n), high=exp.Literal.number(c.m))
        return self.anchor_present(node.window, pred)

    def c_aggregate(self, node: A.Aggregate, negated: bool) -> exp.Expression:
        col, zero_default = self.measure(node.func, node.property, node.event, node.window)
        if zero_default:
            col = exp.func("COALESCE", col, exp.Literal.number(0))
        return self.anchor_present(node.window, _null_safe(COMPARE[node.op](this=col, expression=_lit(node.value)),
                                                           negated and not zero_default))

    def c_share(self, node: A.Share, negated: bool) -> exp.Expression:
        part = self.measure("count", None, node.event, node.window)[0]
        whole = self.measure("count", None, A.EventRef(name=node.event.name), node.window)[0]
        # 100.0 * part / NULLIF(whole, 0): no such events -> NULL -> not a member
        share = exp.Div(this=exp.Mul(this=exp.Literal.number(100.0), expression=exp.func("COALESCE", part, exp.Literal.number(0))),
                        expression=exp.Nullif(this=whole, expression=exp.Literal.number(0)))
        return _null_safe(COMPARE[node.op](this=share, expression=_lit(node.value)), negated)

    def c_occurrence(self, node: A.Occurrence, negated: bool) -> exp.Expression:
        agg = exp.Min if node.which == "first" else exp.Max
        col = self.feature(agg(this=self.case(node.event, None, _col(E, self.ev_time))))
        return _null_safe(self.windowed(node.window, col, outer=True), negated)

    def c_stopped(self, node: A.Stopped, negated: bool) -> exp.Expression:
        col = self.feature(exp.Max(this=self.case(node.event, None, _col(E, self.ev_time))))
        cutoff = self.as_of - duration(node.duration.amount, node.duration.unit)
        return _null_safe(exp.LT(this=col, expression=_ts(cutoff)), negated)

    def c_regular(self, node: A.Regular, negated: bool) -> exp.Expression:
        t = _col(E, self.ev_time)
        step = duration(1, node.unit)
        period = exp.Case(ifs=[exp.If(this=exp.GTE(this=t.copy(), expression=_ts(self.as_of - step * (k + 1))),
                                      true=exp.Literal.number(k + 1)) for k in range(node.periods)])
        active = self.feature(exp.Count(this=exp.Distinct(expressions=[self.case(node.event, None, period)])))
        return exp.GTE(this=exp.func("COALESCE", active, exp.Literal.number(0)),
                       expression=exp.Literal.number(node.min_periods))

    def events_table(self, alias: str) -> exp.Expression:
        return exp.alias_(exp.to_table(self.catalog.events_table.table), alias, table=True)

    def as_of_cap(self, alias: str) -> exp.Expression:
        return exp.LTE(this=_col(alias, self.ev_time), expression=_ts(self.as_of))

    # The query builders below run with copy=False: every part is built fresh for its one place, and
    # sqlglot's default (a deep copy of the whole query at each call) was most of the compile time.
    def c_sequence(self, node: A.Sequence, negated: bool) -> exp.Expression:
        cid, t = self.catalog.events_table.contact_id, self.ev_time
        query = exp.select(_col("s0", cid)).from_(self.events_table("s0"), copy=False).where(
            _and([self.event_match(node.event, "s0"), self.as_of_cap("s0"),
                  window_predicate(node.window, _col("s0", t), self.as_of)]), copy=False)
        prev = "s0"
        for i, step in enumerate(node.steps, start=1):
            alias = f"s{i}"
            link = [exp.EQ(this=_col(alias, cid), expression=_col(prev, cid)),
                    exp.GT(this=_col(alias, t), expression=_col(prev, t)),
                    self.event_match(step.event, alias), self.as_of_cap(alias)]
            if step.within is not None:
                limit = exp.Add(this=_col(prev, t), expression=exp.Interval(
                    this=exp.Literal.string(str(int(duration(step.within.amount, step.within.unit).total_seconds()))),
                    unit=exp.var("SECOND")))
                link.append(exp.LTE(this=_col(alias, t), expression=limit))
            if step.negated:
                later = exp.select(exp.Literal.number(1)).from_(self.events_table(alias), copy=False).where(_and(link), copy=False)
                query = query.where(exp.Not(this=exp.Exists(this=later)), copy=False)
            else:
                query = query.join(self.events_table(alias), on=_and(link), copy=False)
            prev = alias
        # events without a contact match no one, and a NULL in NOT IN (...) would empty it
        query = query.where(exp.Not(this=exp.Is(this=_col("s0", cid), expression=exp.Null())), copy=False)
        return exp.In(this=_col(C, self.catalog.contacts.id), query=query.subquery())

    def c_restarted(self, node: A.Restarted, negated: bool) -> exp.Expression:
        cid, t = self.catalog.events_table.contact_id, self.ev_time
        # LAG of a timestamp is a nullable timestamp before a person's first event. The cast says so; only
        # ClickHouse needs it (sqlglot writes Nullable(DateTime) there): on a non-nullable column its LAG
        # returns 1970-01-01 instead of NULL. Elsewhere it is a no-op.
        prev = exp.Window(this=exp.Anonymous(this="LAG", expressions=[exp.cast(_col(E, t), "timestamp")]),
                          partition_by=[_col(E, cid)], order=exp.Order(expressions=[exp.Ordered(this=_col(E, t))]))
        inner = exp.select(_col(E, cid), _col(E, t), exp.alias_(prev, "prev_at")).from_(self.events_table(E), copy=False).where(
            _and([self.event_match(node.event, E), self.as_of_cap(E)]), copy=False)
        gap = exp.Add(this=_col("r", "prev_at"), expression=exp.Interval(
            this=exp.Literal.string(str(int(duration(node.gap.amount, node.gap.unit).total_seconds()))),
            unit=exp.var("SECOND")))
        query = exp.select(_col("r", cid)).from_(inner.subquery("r"), copy=False).where(_and([
            exp.Not(this=exp.Is(this=_col("r", "prev_at"), expression=exp.Null())),
            exp.Not(this=exp.Is(this=_col("r", cid), expression=exp.Null())),  # as in c_sequence
            exp.GTE(this=_col("r", t), expression=gap),
            window_predicate(node.window, _col("r", t), self.as_of)]), copy=False)
        return exp.In(this=_col(C, self.catalog.contacts.id), query=query.subquery())

    def c_rank(self, node: A.Rank, negated: bool) -> exp.Expression:
        m = node.measure
        col, zero_default = self.measure(m.func, m.property, m.event, m.window)
        value = exp.func("COALESCE", col, exp.Literal.number(0)) if zero_default else col
        cid = self.catalog.contacts.id
        order = exp.Order(expressions=[exp.Ordered(this=value, desc=node.direction == "top", nulls_first=False),
                                       exp.Ordered(this=_col(C, cid))])
        name = f"rank_{len(self.scan_readers) + 1}"
        where = _and([self.universe(), None if zero_default else exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))])
        if self.rank_hash or self.rank_limit:  # no window over every contact: top-N, or N% ranked in buckets
            candidates = exp.select(_col(C, cid), exp.alias_(value.copy(), "v")).from_(self.contacts_from(), copy=False) \
                .where(where, copy=False)
            if node.percent and self.rank_limit:  # the first ceil(n * N / 100) of the n candidates
                self.scan_readers.append(candidates)
                self.ctes.append((f"{name}_k", candidates))
                how_many = exp.select(exp.Count(this=exp.Star())).from_(f"{name}_k", copy=False)
                top = exp.select(_col(f"{name}_k", cid)).from_(f"{name}_k", copy=False)
                top.set("order", exp.Order(expressions=[
                    exp.Ordered(this=_col(f"{name}_k", "v"), desc=node.direction == "top", nulls_first=False),
                    exp.Ordered(this=_col(f"{name}_k", cid))]))
                top.set("limit", exp.Limit(expression=percent_of(how_many.subquery(copy=False), node.amount)))
                self.ctes.append((name, top))
                query = exp.select(_col(name, cid)).from_(name, copy=False)
            elif node.percent:
                self.scan_readers.append(candidates)  # its steps go to the top WITH, in reach of the shared scan
                query = bucketed_rank(candidates, cid, node.direction == "top", lambda n: percent_of(n, node.amount),
                                      self.rank_hash, name)
                steps = query.args.pop("with_")
                self.ctes += [(cte.alias, cte.this) for cte in steps.expressions]
            else:  # the best N: no sort of everyone (a CTE like the others, so the shared scan is in its reach)
                top = exp.select(_col(C, cid)).from_(self.contacts_from(), copy=False).where(where.copy(), copy=False)
                top.set("order", order)
                top.set("limit", exp.Limit(expression=exp.Literal.number(node.amount)))
                self.scan_readers.append(top)
                self.ctes.append((name, top))
                query = exp.select(_col(name, cid)).from_(name, copy=False)
            return exp.In(this=_col(C, cid), query=query.subquery(copy=False))  # not a copy: build() joins the scan
        ranked = exp.select(
            _col(C, cid),
            exp.alias_(exp.Window(this=exp.RowNumber(), order=order), "position"),
            exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), "ranked"),
        ).from_(self.contacts_from(), copy=False).where(where, copy=False)
        self.ctes.append((name, ranked))
        self.scan_readers.append(ranked)
        if node.percent:
            limit = exp.Ceil(this=exp.Div(this=exp.Mul(this=_col(name, "ranked"), expression=exp.Literal.number(node.amount)),
                                          expression=exp.Literal.number(100.0)))
        else:
            limit = exp.Literal.number(node.amount)
        pick = exp.select(_col(name, cid)).from_(name, copy=False).where(exp.LTE(this=_col(name, "position"), expression=limit), copy=False)
        return exp.In(this=_col(C, cid), query=pick.subquery())

    c_segment = expand_reference

    # -- the query
    def contacts_from(self) -> exp.Expression:
        return exp.alias_(exp.to_table(self.catalog.contacts.table), C, table=True)

    def universe(self) -> exp.Expression | None:
        created = self.catalog.contacts.created_at
        return exp.LTE(this=_col(C, created), expression=_ts(self.as_of)) if created else None

    def events_scan(self) -> exp.Select:
        src = self.catalog.events_table
        query = exp.select(_col(E, src.contact_id), *self.features).from_(self.events_table(E), copy=False)
        for name, alias in list(self.anchors.items()):
            source, on = self.anchor_join(name, alias)
            query = query.join(source, join_type="left", on=on, copy=False)
        return query.where(_and([
            self.as_of_cap(E),
            exp.In(this=_col(E, src.name), expressions=[exp.Literal.string(self.catalog.event_value(n))
                                                        for n in sorted(self.events_used)]),
        ]), copy=False).group_by(_col(E, src.contact_id), copy=False)

    def build(self, node: A.Condition | None) -> exp.Select:
        where = self.cond(node) if node is not None else None
        cid = self.catalog.contacts.id
        query = exp.select(_col(C, cid)).from_(self.contacts_from(), copy=False)
        ctes = list(self.ctes)
        if self.features:
            src = self.catalog.events_table
            ctes.insert(0, (EV, self.events_scan()))
            query = query.join(exp.alias_(exp.to_table(EV), EV, table=True), join_type="left",
                               on=exp.EQ(this=_col(EV, src.contact_id), expression=_col(C, cid)), copy=False)
            # the rankings read the shared scan too
            for ranked in self.scan_readers:
                ranked.join(exp.alias_(exp.to_table(EV), EV, table=True), join_type="left",
                            on=exp.EQ(this=_col(EV, src.contact_id), expression=_col(C, cid)), copy=False)
        query = query.where(_and([self.universe(), where]), copy=False)
        for name, cte in ctes:
            query = query.with_(name, as_=cte, copy=False)
        return query


def compile_measures(measures: Sequence[A.Measure], catalog: Catalog, as_of: datetime,
                     within: exp.Query | None = None) -> exp.Select:
    """(contact_id, value_1, ..., value_k) of several measures for every contact with matching events, all from
    ONE grouped scan (the CTE `ev`, as in a segment); `within` (a query of contact ids) restricts the scan to
    those contacts. The preview's stats read the events once, and only the members' events."""
    compiler = ReferenceCompiler(catalog, as_of.replace(microsecond=0), {})
    values = [compiler.measure(m.func, m.property, m.event, m.window)[0] for m in measures]
    scan = compiler.events_scan()
    if within is not None:
        scan = scan.where(exp.In(this=_col(E, catalog.events_table.contact_id), query=within.subquery()), copy=False)
    return exp.select(_col(EV, catalog.events_table.contact_id),
                      *[exp.alias_(v, f"value_{i}") for i, v in enumerate(values, start=1)]).from_(
        exp.alias_(exp.to_table(EV), EV, table=True), copy=False).with_(EV, as_=scan, copy=False)


def compile_flags(nodes: Sequence[A.Condition], catalog: Catalog, as_of: datetime | None = None,
                  segments: Mapping[str, A.Condition] | None = None, dialect: str = "duckdb") -> exp.Select:
    """(contact_id, flag_1, ..., flag_n): every contact that exists at `as_of`, and whether it is in each segment
    (NULL reads as no), all from ONE grouped events scan (`ev`) holding every segment's features, and each
    ranking once per segment (`grammar/batch.py` turns it into rows and splits the scan per event). The grouped
    scan is the reference plan's: many segments' features share it, which is the point of a batch."""
    compiler = ReferenceCompiler(catalog, (as_of or datetime.now()).replace(microsecond=0), segments or {},
                                 rank_hash=RANK_HASH.get(dialect), rank_limit=dialect in LIMIT_SUBQUERY_DIALECTS)
    flags = [compiler.cond(node) for node in nodes]  # collects the features and rankings of them all
    return compiler.build(None).select(*[exp.alias_(f, f"flag_{i}") for i, f in enumerate(flags, start=1)],
                                       copy=False)
