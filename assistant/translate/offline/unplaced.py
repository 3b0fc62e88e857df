"""What the offline reading left unplaced: words that change who is in the segment but that no recogniser used.
They make the answer `partial` (with their spans and one question) instead of a finished-looking segment
built from the rest. Filler ("please", "folks") and stop words never do."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.translate.accounting import referenced
from assistant.translate.contract import OpenPoint
from grammar import ast as A

from .items import HEADS, Item, Kind
from .text import STOP_WORDS

# Words that cannot change who is in a segment: politeness, informal filler, verbs of asking.
FILLER = {"please", "pls", "plz", "folks", "guys", "hey", "hi", "hello", "thanks", "thank", "kindly", "basically",
          "really", "just", "ok", "okay", "quick", "quickly", "asap", "yeah", "etc", "um", "hmm", "so", "well",
          "and", ",", ".", "!", "?", ";", ":", "-", "but", "yes", "now", "pull", "send", "build", "create", "make",
          "us", "up", "out", "look", "looking", "who", "also", "too", "ppl", "stuff", "gimme", "you", "know",
          "like", "kinda", "sorta", "literally", "actually", "must", "meaning", "i.e", "e.g", "got", "get",
          "gotten", "whatever", "somehow", "anyway", "anyways", "here", "grab", "pulling", "peeps", "thru", "lol",
          "u", "w/", "itself", "can", "falls", "fall", "oh", "umm", "um", "uh", "ah", "btw", "fyi", "alright", "take",
          "taking", "would", "could", "wanna", "lemme"}
# "one" unused after a verb is a pronoun ("have not opened one"), not a count.
PRONOUNS = {"one", "ones"}

_REASONS = {
    Kind.NUM: "a number", Kind.CMP: "a number", Kind.RANGE: "a number", Kind.COUNT: "a count",
    Kind.WINDOW: "a time window", Kind.WITHIN: "a time window", Kind.FOR: "a time window", Kind.GAP: "a time window",
    Kind.NEG: "a negation", Kind.CONJ: "how the conditions combine", Kind.WHICH: "first or last",
    Kind.EVENT: "something people did", Kind.TRAIT: "a trait", Kind.VALUE: "a value", Kind.CONSENT: "a consent",
    Kind.PROP: "a property", Kind.RANK: "a ranking", Kind.AGG: "a measure", Kind.MOST: "a ranking",
    Kind.CONCEPT: "a concept of the catalog",
}


def _in_segment(it: Item, nodes: list[A.Node]) -> bool:
    """An unused item that only says again what the segment already holds (the same window, event, trait or
    value, read once elsewhere, or inside a saved segment it refers to) leaves nothing open. "At least once"
    and "at least one" say what every did-condition already means."""
    once = (it.kind == Kind.COUNT and it.get("count") is None) or (
        it.kind in (Kind.NUM, Kind.CMP) and it.get("value") == 1 and it.get("op", ">=") == ">=")
    if once:  # "at least once in each of the last 6 months" says what `in 6 of last 6 months` means too
        return any(isinstance(n, A.Did) and n.count is None or isinstance(n, A.Regular) for n in nodes)
    if it.kind == Kind.AGG and it.get("func") == "total" and not it.get("spend") and not it.get("prop"):
        return any(isinstance(n, A.Did) and n.count is not None for n in nodes)  # "3 times overall"
    if it.kind == Kind.RESTARTED and it.words.lower() == "again":
        return any(isinstance(n, A.Not) for n in nodes)  # "haven't bought again": not since, said by the negation
    if it.kind == Kind.WINDOW and it.get("window") is not None:
        return any(n == it["window"] for n in nodes)
    if it.kind == Kind.EVENT:
        return any(isinstance(n, A.EventRef) and n.name in it["events"] for n in nodes)
    if it.kind in (Kind.TRAIT, Kind.CONSENT):
        return any(getattr(n, "trait", None) == it["trait"] for n in nodes)
    if it.kind == Kind.VALUE:
        values = it["value"] if isinstance(it["value"], list) else [it["value"]]
        return any(getattr(n, "value", None) in values or any(v in (getattr(n, "value", None) or [])
                                                               for v in values if isinstance(getattr(n, "value", None), list))
                   for n in nodes)
    return False


def _meaningful(it: Item, nodes: list[A.Node]) -> bool:
    if it.used or it.kind in (Kind.STOP, Kind.EVER, Kind.ONLY) or _in_segment(it, nodes):
        return False
    words = it.words.lower().split()
    if it.kind == Kind.NUM and words and all(w in PRONOUNS for w in words):
        return False
    return any(w not in FILLER for w in words)


def open_points(items: list[Item], request: str, node: A.Condition, segments: dict[str, A.Condition],
                guesses: list[tuple[Item, str]] = ()) -> list[OpenPoint]:
    """One open point per run of adjacent unplaced, meaningful items (spans into the original request) that
    the segment `node` (with the saved segments it refers to) does not already hold."""
    nodes = [n for root in [node, *referenced(node, segments)] for n in A.walk(root)]
    # "over the summer, June through August": the same months said twice are placed once
    months_placed = {it.get("months") for it in items if it.used and it.kind == Kind.WINDOW and it.get("months")}
    for it in items:
        if not it.used and it.kind == Kind.WINDOW and it.get("months") in months_placed:
            it.used = True
    points: list[OpenPoint] = []
    run: list[Item] = []

    def close() -> None:
        if run:
            start, end = run[0].start, run[-1].end
            reason = next((_REASONS[it.kind] for it in run if it.kind in _REASONS), "a word I could not place")
            points.append(OpenPoint(text=request[start:end], start=start, end=end, reason=reason))
            run.clear()

    for it in items:
        if _meaningful(it, nodes):
            run.append(it)
        elif not (it.kind == Kind.STOP and run and it.words.lower() in ("of", "a", "the", "to", "in", "on", "at",
                                                                         "for", "any")):
            close()  # a small word between two unplaced ones ("a couple of purchases") keeps them one run
    close()
    points += [OpenPoint(text=request[it.start:it.end], start=it.start, end=it.end, reason=reason)
               for it, reason in guesses]
    return sorted(points, key=lambda p: p.start)


@lru_cache(maxsize=1)
def _english():
    from spellchecker import SpellChecker  # a maintained English word list (0.4 s to load, once)

    return SpellChecker(distance=1)


def is_english(word: str) -> bool:
    """Whether English knows the word: the spell-corrector leaves such words alone ('finished' is not a typo
    of 'finnish', 'nothing' not of 'thing'), so they stay unplaced instead of being misread."""
    return bool(_english().known([word.lower()]))



def mostly_unplaced(items: list[Item], points: list[OpenPoint], guesses: list[tuple[Item, str]] = ()) -> bool:
    """Open points, and nothing the segment is about (an event, a trait, a value, a segment ...) placed but by a
    guess: a segment made only of guesses answers another request ('marked our emails as spam' is no 'email
    is set')."""
    guessed = {(it.start, it.end) for it, _ in guesses}
    placed = [it for it in items if it.used and it.kind in HEADS and (it.start, it.end) not in guessed]
    return bool(points) and not placed


# Words that narrow or turn around what they follow: a parenthesis holding one is no mere aside.
_RESTRICTING = {"only", "not", "no", "never", "except", "but", "without", "excluding", "unless", "or", "and", "nor",
                "mostly", "mainly", "largely", "primarily", "usually", "often", "rarely", "sometimes", "mostly",
                "at", "least", "most", "more", "less", "fewer", "over", "under", "above", "below"}


def asides(items: list[Item], request: str) -> list[str]:
    """Parentheses that only gloss what comes before them ('yesterday (Halloween)', 'content (ebooks,
    whitepapers)', 'last week (Monday to Sunday)'): no catalog word, number or restricting word inside, none of
    it placed. Their items are marked used; the texts are returned to be said as assumptions."""
    out = []
    for m in re.finditer(r"\(([^()]{1,80})\)", request):
        inside = [it for it in items if m.start() <= it.start and it.end <= m.end()]
        before = [it for it in items if it.end <= m.start()]
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", m.group(1))}
        # names ('(Halloween)', '(Monday to Sunday)'), or examples of a thing the catalog has no values for
        # ('stuff (ebooks, whitepapers)'); lower-case words after a value may narrow it ('shoes (red ones)')
        names = all(w[:1].isupper() for w in re.findall(r"[A-Za-z]+", m.group(1))
                    if w.lower() not in STOP_WORDS | {"a", "an", "the", "to", "through", "and"})
        examples = "," in m.group(1) and bool(before) and before[-1].kind in (Kind.STOP, Kind.EVENT)
        if not inside or not (names or examples) or words & _RESTRICTING or re.search(r"\d", m.group(1)) or any(
                it.used and it.kind not in (Kind.STOP, Kind.CONJ) or it.kind not in (Kind.UNKNOWN, Kind.STOP, Kind.CONJ)
                for it in inside):
            continue
        for it in inside:
            it.used = True
        out.append(m.group(0))
    return out
