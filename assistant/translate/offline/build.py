"""Build stage of the offline translator: items -> AST. Rewrite rules (rules.py) settle what each word is;
the request is split into clauses on and / or / but / except (clauses.py); each clause is read by a row of
small recognisers, one per capability (recognise/), that claim the items they use. Items nobody claims are
reported back, never dropped."""

from __future__ import annotations

from grammar import ast as A

from .clauses import combine, split
from .context import Builder, NotUnderstood
from .items import Item
from .rules import RULES

__all__ = ["Builder", "NotUnderstood", "build"]


def build(b: Builder, items: list[Item]) -> A.Condition | None:
    """The condition the items state, or None when they state none."""
    for rule in RULES:
        items = rule(items, b)
    return combine(b, split(b, items))
