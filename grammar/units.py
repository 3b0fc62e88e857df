"""The one units table of the language: unit names, their length in seconds, and the words that name them.

A month is 30 days and a year 365 days (the language's own definition, so windows never depend on the
calendar). Every stage reads units from here: the parser (words -> unit), the compiler (unit -> seconds),
format and explain (unit -> singular/plural words), the eval normaliser (largest whole unit).
"""

from __future__ import annotations

from datetime import timedelta

# name -> seconds, smallest first (the order of the AST's `Unit` literal)
UNIT_SECONDS: dict[str, int] = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
UNITS: tuple[str, ...] = tuple(UNIT_SECONDS)
PLURALS: dict[str, str] = {unit: unit + "s" for unit in UNITS}
# Every word the grammar reads as a unit ("day", "days") -> the unit.
UNIT_WORDS: dict[str, str] = {**{u: u for u in UNITS}, **{p: u for u, p in PLURALS.items()}}


def unit_word(amount: int, unit: str) -> str:
    """'day' for 1, 'days' otherwise."""
    return unit if amount == 1 else PLURALS[unit]


def plural(amount: int, unit: str) -> str:
    """'1 day', '7 days'."""
    return f"{amount} {unit_word(amount, unit)}"


def seconds(amount: int, unit: str) -> int:
    return amount * UNIT_SECONDS[unit]


def duration(amount: int, unit: str) -> timedelta:
    return timedelta(seconds=seconds(amount, unit))


def largest_unit(amounts: list[int], unit: str) -> tuple[list[int], str]:
    """The same durations in the largest unit that divides them all evenly: ([14], 'day') -> ([2], 'week')."""
    secs = [seconds(a, unit) for a in amounts]
    for name in reversed(UNITS):
        size = UNIT_SECONDS[name]
        if all(s % size == 0 for s in secs):
            return [s // size for s in secs], name
    raise AssertionError("every duration is a whole number of minutes")
