"""Concepts of the catalog that are conditions ('paying users', 'sms subscribers'): their definition, said as
an assumption that names the concept. Measure concepts ('lifetime value') are read by aggregates and ranks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A
from grammar.format import format_condition, measure_text

from ..items import Item, Kind

if TYPE_CHECKING:
    from ..context import Builder


def concept(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Each condition concept as its definition, negated by a 'not' before it."""
    out = []
    for it in b.free(items, Kind.CONCEPT):
        if it["measure"]:
            continue
        node = b.catalog.concepts[it["name"]].node
        b.use(it)
        b.assume(f"'{it.words}' read as the concept {it['name']}: {format_condition(node)}")
        out.append((it.pos, b.negated_if_preceded(node, items, items.index(it))))
    return out


def measure_concept(b: Builder, it: Item) -> A.Measure:
    """The measure a measure concept stands for (the item is used, and the reading said)."""
    measure = b.catalog.concepts[it["name"]].node
    b.use(it)
    b.assume(f"'{it.words}' read as the concept {it['name']}: {measure_text(measure)}")
    return measure
