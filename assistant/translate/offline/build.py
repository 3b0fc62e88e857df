"""Build stage of the offline translator: items -> AST. Rewrite rules (rules.py) settle what each word is;
the request is split into clauses on and / or / but / except (clauses.py); each clause is read by a row of
small recognisers, one per capability (recognise/), that claim the items they use. Items nobody claims are
reported back, never dropped."""

from __future__ import annotations

import re

from grammar import ast as A
from grammar.algebra import needs

from .clauses import combine, split
from .context import Builder, NotUnderstood
from .edit import conjoin
from .items import Item
from .rules import RULES

__all__ = ["Builder", "NotUnderstood", "build"]


def build(b: Builder, items: list[Item]) -> A.Condition | None:
    """The condition the items state, or None when they state none."""
    for rule in RULES:
        items = rule(items, b)
    return _buyers_only(b, combine(b, split(b, items)))


_BUYERS = re.compile(r"\b(customers?|buyers?|purchasers?|shoppers?|clients?)\b", re.I)


def _buyers_only(b: Builder, node: A.Condition | None) -> A.Condition | None:
    """'customers who spent less than 50', 'buyers with fewer than 3 orders': a bound on purchases that no
    purchase at all also meets, said of customers or buyers, is said of people who bought."""
    purchase = b.purchase_event()
    said = _BUYERS.search(b.request)
    if node is None or purchase is None or not said:
        return node
    parts = node.conditions if isinstance(node, A.And) else [node]
    if any(ref.name == purchase for part in parts for ref, _ in needs(part)):
        return node
    bounded = [p for p in parts if isinstance(p, (A.Did, A.Aggregate)) and p.event.name == purchase and
               (p.count is not None if isinstance(p, A.Did) else p.func in ("total", "count", "count_distinct"))]
    if not bounded:
        return node
    b.assume(f"'{said.group()}' read as people who placed an order at least once: the bound alone would include "
             "people who never did")
    if len(bounded) == 1 and isinstance(bounded[0], A.Did) and bounded[0].window is None and \
            bounded[0].count.op == "at_most" and bounded[0].count.n >= 1:  # "fewer than 3 times": 1 to 2
        between = bounded[0].model_copy(update={"count": A.Count(op="between", n=1, m=bounded[0].count.n)})
        return conjoin(A.And, [between if p is bounded[0] else p for p in parts])
    return conjoin(A.And, [A.Did(event=A.EventRef(name=purchase)), *parts])
