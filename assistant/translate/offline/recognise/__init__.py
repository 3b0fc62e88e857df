"""Recognisers: each reads one capability out of a clause's items, claims the items it uses, and returns
(position, condition) pairs. They run in RECOGNISERS order on every clause."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from grammar import ast as A

from ..items import Item
from .activity import regular, restarted, stopped
from .aggregates import aggregate
from .counts import did
from .ranks import rank
from .segments import segment
from .sequences import occurrence, sequence
from .traits import property_values, traits

if TYPE_CHECKING:
    from ..context import Builder

Recogniser = Callable[["Builder", list[Item]], list[tuple[int, A.Condition]]]

RECOGNISERS: tuple[Recogniser, ...] = (
    segment,          # a saved segment or template name is a whole condition: nothing else may claim its words
    rank,             # before aggregates: 'top 10% by lifetime value' holds an aggregate word that is its measure
    regular,          # the activity patterns claim their event before plain did-conditions can
    stopped,
    restarted,
    aggregate,        # before did: 'spent more than 500 on orders' is one aggregate, not 'did order'
    occurrence,       # 'last order more than 60 days ago' before did reads 'order' alone
    sequence,         # two events and a link ('then', 'and didn't') before did reads each event alone
    did,              # every event left is did / did not, with its count and window
    traits,           # traits and trait values left
    property_values,  # last: property values no event claimed ('people who like shoes')
)
