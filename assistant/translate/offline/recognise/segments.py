"""Segments: saved segment names, shipped template names, and 'in segment \"X\"'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A
from grammar.format import format_condition

from ..context import NotUnderstood
from ..items import Item, Kind

if TYPE_CHECKING:
    from ..context import Builder


def segment(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Saved segments (a reference), templates (their definition, said as an assumption) and
    'in segment "X"' (a question when there is no such segment)."""
    out = []
    for it in b.free(items, (Kind.SEGMENT, Kind.TEMPLATE, Kind.SEGMENT_NAME)):
        idx = items.index(it)
        b.use(it)
        if it.kind == Kind.TEMPLATE:
            node = b.templates[it["name"]]
            b.assume(f"'{it.words}' read as the {it['name']} template: {format_condition(node)}")
        else:
            name = it["name"]
            if it.kind == Kind.SEGMENT_NAME and name not in b.segments:
                raise NotUnderstood(f"There is no saved segment named {name!r}. "
                                    f"Saved segments: {', '.join(b.segments) or 'none yet'}.")
            node = A.SegmentRef(name=name)
            if it.kind == Kind.SEGMENT:
                b.assume(f"'{it.words}' read as the saved segment {name}")
        out.append((it.pos, b.negated_if_preceded(node, items, idx)))
    return out
