"""The planner's rewrites that let several conditions share one scan of events (mixed into `_Compiler`):

- and-ed `did not` tests: one anti-join over their rows or-ed; or-ed `did` tests: one semi-join;
- `did not X in last 30 days and did X in last 90 days`: one grouped scan of the last X;
- and-ed grouped tests over the same rows: one grouped scan, their HAVINGs and-ed;
- a grouped test over the rows a ranking measures: a column of the ranking's per-contact CTE;
- behaviours or-ed at the top: the UNION of their members.
"""

from __future__ import annotations

from sqlglot import exp

from grammar import ast as A
from grammar.compile.sql import (and_, binary, bounds_predicate, clone, col, not_null, or_, select, string, subquery,
                                  table, ts, unary, window_bounds)

_PROFILE = (A.TraitCondition, A.TraitTime, A.Anniversary)  # conditions on the contact row alone


def _scan_key(q: exp.Select) -> tuple:
    """Which rows a grouped scan reads and how it groups them: equal keys, equal groups (sqlglot's structural
    hash: no SQL generated)."""
    return (hash(q.args.get("from_")), hash(q.args.get("where")), hash(q.args.get("group")),
            tuple(hash(j) for j in q.args.get("joins") or []))


def _rough_key(q: exp.Select) -> tuple:
    """A cheap part of `_scan_key`: the node types along the WHERE's chain of ANDs, the hash of its first test (the
    event match, small), how many joins and GROUP BY columns. Equal scans have equal rough keys, so only scans
    that share one need the whole structural hash."""
    where, kinds = q.args.get("where"), []
    node = where.this if where is not None else None
    while type(node) is exp.And:
        kinds.append(type(node.args["expression"]))
        node = node.args["this"]
    group = q.args.get("group")
    return (_test_key(node), *kinds, len(q.args.get("joins") or []), len(group.expressions) if group else -1)


def _test_key(node: exp.Expression | None) -> object:
    """A function of a test's structure, cheap for the usual one (`e.event = 'x'`: its text), else its hash."""
    if type(node) is exp.EQ:
        value = node.args["expression"]
        if type(value) is exp.Literal:
            return value.args["this"], value.args["is_string"]
    return hash(node)


def _event_key(e: A.EventRef) -> str:
    """Equal for equal event references (their repr, which leaves the span out; just the name when unfiltered)."""
    return e.name if e.where is None else repr(e)


def _window_key(w: A.Window | None) -> tuple | None:
    """Equal for equal windows (all their fields are scalars), without pydantic's slow repr or ==."""
    return None if w is None else (type(w), *(v for k, v in w.__dict__.items() if k != "span"))


def _exists_only(did: A.Did) -> bool:
    """`did X [window]` with no count beyond 'at least once': a pure existence test."""
    c = did.count
    return c is None or (c.op == "at_least" and c.n == 1)


class SharedScans:
    def share_scans(self, tests: list[exp.Expression]) -> list[exp.Expression]:
        """AND-ed tests over the same grouped rows become one scan with their HAVINGs and-ed (`exactly 1
        order and last order more than 60 days ago`: one pass over orders)."""
        rough: dict[tuple, list[int]] = {}
        for i, test in enumerate(tests):
            entry = self.grouped.get(id(test))
            if entry is not None and entry[0] is test:
                rough.setdefault(_rough_key(entry[1]), []).append(i)
        scans: dict[tuple, list[int]] = {}
        for found in rough.values():
            for i in found if len(found) > 1 else ():
                scans.setdefault(_scan_key(self.grouped[id(tests[i])][1]), []).append(i)
        drop = set()
        for found in scans.values():
            if len(found) > 1:
                queries = [self.grouped[id(tests[i])][1] for i in found]
                queries[0].set("having", exp.Having(this=and_([q.args["having"].this for q in queries])))
                drop.update(found[1:])
        for i in drop:
            del self.grouped[id(tests[i])]
        return [t for i, t in enumerate(tests) if i not in drop] if drop else tests

    def match_any(self, events: list[A.EventRef], alias: str = "e") -> exp.Expression:
        """Rows of any of `events`; the unfiltered share one `event IN (...)`, which both engines filter on
        while scanning."""
        plain = [e for e in events if e.where is None]
        names = [string(self.catalog.event_value(n)) for n in dict.fromkeys(e.name for e in plain)]
        match = [exp.In(this=col(alias, self.ev_name), expressions=names)] if len(names) > 1 else \
            [self.event_match(e, alias) for e in plain]
        return or_(match + [self.event_match(e, alias) for e in events if e.where is not None])

    def merged_exists(self, dids: list[A.Did], negated: bool) -> exp.Expression:
        """One scan for several existence tests: contacts with a row of any of them."""
        windows: dict[str, tuple[A.Window | None, list[A.EventRef]]] = {}
        for did in dids:
            windows.setdefault(_window_key(did.window), (did.window, []))[1].append(did.event)
        parts = []
        for window, events in windows.values():
            where, _ = self.rows(events[0], window, "e")
            where[0] = self.match_any(events)  # rows() puts the event match first
            parts.append(and_(where))
        return self.member_rows([or_(parts)], [], "e", negated)

    @staticmethod
    def _plain_did(node: A.Condition) -> bool:
        return type(node) is A.Did and _exists_only(node) and type(node.window) is not A.Anchored  # leaf classes

    def _since(self, dids: list[A.Did]) -> tuple | None:
        """(low, inclusive) when every window is 'from low up to as_of' alike ((None, False): all history)."""
        found = set()
        for did in dids:
            if did.window is None:
                found.add((None, False))
                continue
            low, low_inc, high, high_inc = window_bounds(did.window, self.as_of)
            if high is None or high < self.as_of or (high == self.as_of and not high_inc):
                return None
            found.add((low, low_inc))
        return found.pop() if len(found) == 1 else None

    def lapsed(self, node: A.And, nots: list[A.Did], negated: bool) -> tuple[exp.Expression, A.Condition] | None:
        """`did not X in last 30 days and did X in last 90 days` (X: one event or several, or-ed): the last X
        was 30 to 90 days ago, one grouped scan instead of an anti-join and a semi-join."""
        recent = self._since(nots)
        if recent is None or recent[0] is None:
            return None
        names = {_event_key(d.event) for d in nots}
        for child in node.conditions:
            if type(child) is A.Did:
                dids = [child]
            elif type(child) is A.Or:
                dids = child.conditions
            else:
                continue
            if not all(self._plain_did(d) for d in dids) or {_event_key(d.event) for d in dids} != names:
                continue
            since = self._since(dids)
            if since is None or (since[0] is not None and since[0] >= recent[0]):
                continue
            t = col("e", self.t)
            where = [self.match_any([d.event for d in nots]), bounds_predicate(t, since[0], since[1], None, False),
                     self.cap("e")]
            having = binary(exp.LT if recent[1] else exp.LTE, unary(exp.Max, clone(t)), ts(recent[0]))
            return self.member_groups(where, [], "e", having, negated), child
        return None

    def share_rank_scans(self, query: exp.Select) -> exp.Select:
        """A grouped test over the rows a ranking measures (`top 10% by total amount of orders or 5+ orders`)
        reads the ranking's per-contact rows: one scan, a CTE, its test one more column of it."""
        by_key = {_scan_key(per): per for per in self.rank_scans}
        ctes: dict[int, tuple[str, exp.Select]] = {}
        for member, q in list(self.grouped.values()):
            per = by_key.get(_scan_key(q))
            if per is None:
                continue
            if id(per) not in ctes:
                name = self.fresh("measure")
                per.parent.replace(table(name, "m"))  # the candidates read the CTE
                ctes[id(per)] = (name, per)
            name = ctes[id(per)][0]
            flag = self.fresh("h")
            per.set("expressions", [*per.expressions, exp.Alias(this=q.args["having"].this, alias=exp.to_identifier(flag))])
            in_form = isinstance(member, exp.In)  # a NULL id must not empty a NOT IN
            where = and_([col("e", flag), not_null(col("e", self.cid))]) if in_form else col("e", flag)
            for arg in ("joins", "group", "having"):
                q.set(arg, None)
            q.set("from_", exp.From(this=table(name, "e")))
            q.set("where", exp.Where(this=where))
        if ctes:
            query.set("with_", exp.With(expressions=[exp.CTE(this=per, alias=exp.TableAlias(this=exp.to_identifier(name)))
                                                     for name, per in ctes.values()]))
        return query

    def union(self, node: A.Or) -> exp.Select:
        """Several behaviours or-ed at the top: the union of each one's members. Each is then a plain semi-join
        (an OR of them makes both engines test every contact against every one)."""
        dids = [c for c in node.conditions if self._plain_did(c)]
        branches = [self.contacts_where(self.merged_exists(dids, False))] if len(dids) > 1 else []
        branches += [self.contacts_where(self.cond(c)) for c in node.conditions if not (len(dids) > 1 and self._plain_did(c))]
        query = branches[0]
        for branch in branches[1:]:
            query = exp.Union(this=query, expression=branch, distinct=True)
        return select([col("u", self.contact_id)], subquery(query, "u"))
