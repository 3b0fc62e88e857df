"""Vague quantities said in words: 'a couple' (2), 'a few' (3), 'a handful' (5). Each becomes a number token,
so every count and comparison phrase reads it ('more than a couple of purchases' is at least 3), and the item
that uses it says the reading as an assumption ('a couple' read as 2)."""

from __future__ import annotations

import re

from .items import Item
from .text import Token

QUANTITIES = {"couple": 2, "few": 3, "handful": 5}
# Only after 'a': 'few orders' alone means a small number, and 'quite a few' means many.
_ARTICLE = re.compile(r"(?<!quite )\ban?\s+$", re.I)


def read_quantities(tokens: list[Token], request: str) -> tuple[list[Token], dict[tuple[int, int], str]]:
    """The tokens with each vague quantity (and its 'of') as one number token, and the note for each, by span."""
    out: list[Token] = []
    notes: dict[tuple[int, int], str] = {}
    for tok in tokens:
        article = _ARTICLE.search(request[:tok.start]) if tok.kind == "word" and tok.text in QUANTITIES else None
        if article:
            n = QUANTITIES[tok.text]
            words = request[article.start():tok.end]
            out.append(Token(str(n), "num", words, number=float(n), start=article.start(), end=tok.end))
            notes[(article.start(), tok.end)] = f"'{words}' read as {n}"
            continue
        if tok.kind == "word" and tok.text == "of" and out and (out[-1].start, out[-1].end) in notes:
            continue  # 'a couple of times': the number reaches its noun
        out.append(tok)
    return out, notes


def note_quantities(items: list[Item], notes: dict[tuple[int, int], str]) -> None:
    """Give the item holding each vague quantity its note: said as an assumption when a recogniser uses it."""
    for (start, end), note in notes.items():
        for it in items:
            if it.start <= start and end <= it.end:
                it.args["note"] = f"{it.args['note']}; {note}" if it.get("note") else note
