"""Recognisers: each reads one capability out of a clause's items, claims the items it uses, and returns
(position, condition) pairs. They run in RECOGNISERS order on every clause."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from grammar import ast as A

from ..items import Item
from .activity import regular, restarted, stopped
from .aggregates import aggregate, share
from .concepts import concept
from .counts import did
from .ranks import rank
from .segments import segment
from .sequences import occurrence, sequence
from .traits import property_values, tenure, traits

if TYPE_CHECKING:
    from ..context import Builder

Recogniser = Callable[["Builder", list[Item]], list[tuple[int, A.Condition]]]

RECOGNISERS: tuple[Recogniser, ...] = (
    segment,          # a name stands for a whole definition: most specific of all
    concept,          # a catalog concept stands for its definition too
    rank,             # before aggregate: the aggregate word of 'top 10% by lifetime value' is the rank's measure
    regular,          # the activity patterns claim their event before did would read it as plain did
    stopped,
    restarted,
    share,            # before aggregate and did: 'most of their orders were discounted' is one share
    aggregate,        # before did: 'spent more than 500 on orders' is one aggregate, not also 'did order'
    occurrence,       # before did: 'last order more than 60 days ago' is when, not whether
    sequence,         # before did: two events with a link are one sequence, not two did-conditions
    did,              # every event left: did / did not, with its count and the window next to it
    tenure,           # after did: a duration no event took is how long people have been contacts
    traits,           # after the events took the windows next to them; trait values and traits
    property_values,  # last: property values no event claimed ('people who like shoes')
)
