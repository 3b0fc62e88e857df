"""Lead-ins before the audience: a title ("Win-back: ..."), a purpose ("For our promo we need ..."), or a known
segment's name; and a purpose after it ("... so we can send them a discount"). A lead-in that only names or
motivates the list is dropped and said as an assumption; one that states a condition is read with the rest.

A title is a noun phrase, and English noun phrases end in their head: "SMS win-back", "App re-engagement",
"Engaged SMS L30". When the head is no catalog word (nor a word for people) the phrase names something (a
campaign, a list), and the words before it only qualify that name. Such a title is dropped only when the
definition after it says again every catalog word or number the title holds, so nothing it states is lost."""

from __future__ import annotations

import re

from typing import Callable

from grammar import ast as A

from .items import PEOPLE, Item, Kind
from .lexicon import Lexicon, lex
from .text import Source, Token, tokenize

# 'whales = top 1% by lifetime spend': after '=' a definition of several words, not a field's value ('Total
# Orders = 3', 'plan = pro and ...')
_DEFINED = r"(?![\w\"'$€£.%-]+\s*(?:$|,|;|\band\b|\bor\b))"

_LEAD_IN = re.compile(r"^\s*(?P<lead>[^:.=]{2,120}?)\s*(?::|\s[-–]\s|\.\s|\b(?:i|we) (?:need|want)\b|\bshould go to\b|"
                      r"\bwants? (?:a )?(?:list|segment) of\b|\s=\s" + _DEFINED + r")\s*(?=\S)", re.I)
_EXCLUDING = re.compile(r"(?:exclude|excluding|exclusions?|except|minus|remove|suppress(?:ion|ions)?|"
                        r"do not include|don'?t include|leave out|not)", re.I)
_INCLUDING = re.compile(r"(?:include|includes|including|inclusions?|criteria|conditions?|filters?|rules?)", re.I)
_HOW_MANY = re.compile(r"^\s*(?:(?:can|could) you (?:tell|show) me\s+|i(?:'d| would) like to know\s+)?how many\s+(?=\S)",
                       re.I)
# A title's separator: a colon, a spaced dash, or '=' before a definition of several words.
_TITLED = re.compile(r"\s*(:|[-–]\s|=\s)")
# What follows a known segment name and a colon when it narrows that segment rather than defines a new one.
_REFINES = re.compile(r"(only|just|but|and|who|whose|that|which|with|without|in|from|on|outside|not|except|"
                      r"excluding|living|based|located)\b", re.I)
_PURPOSE = {"campaign", "promo", "promotion", "list", "push", "newsletter", "blast", "retargeting", "outreach",
            "audience", "mailing", "initiative", "sendout"}
# Nouns that name a list of people rather than state who is in it ("a 90-day active segment:").
_LIST_NOUNS = {"segment", "list", "audience", "group", "cohort", "tier", "bucket", "pool"}
# "The app team wants a list of ...", "For the promo we need ...": who asks, not who is in.
_REQUESTER = re.compile(r"\b(?:need|want|wants|should go to)\b", re.I)
# A relative clause makes a title a description of people, not a name: "Dormant email subs who still buy".
_DESCRIBES = re.compile(r"\b(?:who|whose|that|which|with|without)\b", re.I)
# What the words of a title can say: these must be said again after it for the title to be dropped.
_STATING = (Kind.VALUE, Kind.TRAIT, Kind.CONSENT, Kind.CONCEPT, Kind.EVENT, Kind.PROP, Kind.NUM, Kind.CMP,
            Kind.RANGE, Kind.COUNT, Kind.WINDOW, Kind.NEG, Kind.RANK, Kind.AGG)


def drop_lead_in(text: Source, lexicon: Lexicon, assume: Callable[[str], None],
                 guess: Callable[[Item, str], None], depth: int = 0) -> Source:
    """`text` without a lead-in that names or motivates the list (said through `assume`); unchanged when
    the lead-in states a condition. A title that the definition after it partly says again may only name what
    follows: the rest of what it states is read, and left open through `guess`. A title may follow a purpose
    ("For deliverability I want a 90-day active segment: ..."): read twice at most."""
    count = _HOW_MANY.match(text)
    if count:  # "How many people converted ...?": the segment, whose preview gives the count
        assume(f"'{count.group().strip()}' read as asking for this segment: its preview gives the count")
        text = text[count.end():]
    m = _LEAD_IN.match(text)
    if not m:
        return text
    lead = text[m.start("lead"):m.end("lead")].strip()
    rest = text[m.end():]
    if _EXCLUDING.fullmatch(lead):
        return text  # "Exclude: opened a push in last 30d": a heading that says what to leave out is read
    if _INCLUDING.fullmatch(lead):
        return rest  # "Include: ...": a heading that says nothing more than what follows
    # "Ghosts for the sunset flow": a purpose after the name says what the list is for, not who is in it
    named = lead
    cut = re.search(r"\s+for\s+(?P<tail>.+)$", lead, re.I)
    if cut and _purpose("for " + cut["tail"]):
        named = lead[:cut.start()]
    items = lex(tokenize(named), lexicon)
    titled = bool(_TITLED.match(str(text)[m.end("lead"):m.end()]))
    # a purpose word inside a catalog phrase ("push notifications", "the Weekly Newsletter") is the phrase's
    catalog_words = {w.lower() for it in items if it.kind == Kind.EVENT or it.kind not in (Kind.STOP, Kind.UNKNOWN)
                     and len(it.words.split()) > 1 for w in it.words.split()}
    if str(text)[m.end("lead"):m.end()].lstrip().startswith(".") and any(it.kind == Kind.EVENT for it in items):
        return text  # "Everyone who got the newsletter in October. Please exclude ...": a sentence of the request
    if items and all(it.kind in (Kind.SEGMENT, Kind.TEMPLATE, Kind.STOP) for it in items) and \
            any(it.kind != Kind.STOP for it in items):
        if _REFINES.match(rest):  # "VIPs: in Germany" narrows the known segment VIPs
            return lead + " " + rest
        assume(f"'{lead}' read as the name of the segment being defined, not a condition")
    elif (({t.text for t in tokenize(m.group())} - catalog_words) & _PURPOSE or _purpose(lead)) and (
            _REQUESTER.search(str(text)[m.end("lead"):m.end()])
            or _restated([it for it in items if _says_who(it)], [], rest)):
        # "For reporting we need ...", "For an SMS reminder: ... SMS consent": purposes; "For Germany: ...",
        # "Everyone on the email list in the US and Canada. Leave out ..." (who people are, not said again)
        # are read
        assume(f"'{lead}' read as the purpose of the list, not a condition")
    elif titled and len(lead.split()) <= 6 and not _DESCRIBES.search(lead) and not _verbs(items) and (
            not any(it.kind in (Kind.VALUE, Kind.TRAIT, Kind.CONSENT, Kind.CONCEPT) for it in items)
            or _named_title(named, items, rest)):
        # "Slipping away: opened the app ...": a short title before a colon or dash names the segment; one
        # that states a trait ("Germans: ...") or describes people ("Dormant subs who still buy - ...") is
        # read as conditions instead
        assume(f"'{lead}' read as the name of the segment being defined, not a condition")
    elif named != lead:  # "Sale-waiters in the UK for the preview: ...": the name is read, its purpose is not
        assume(f"'{lead[len(named):].strip()}' read as the purpose of the list, not a condition")
        return named + " " + rest
    elif titled and (unsaid := _unsaid(items, rest, lexicon)) is not None and not unsaid:
        # "Converted trialists: started a paid subscription within 14 days of starting their trial": the
        # definition says all the title does, in other words
        assume(f"'{lead}' read as the name of the segment being defined, not a condition")
    else:
        if titled and unsaid and not _DESCRIBES.search(lead):
            # "Dormant email subs who still buy - at least one order in the last 60 days": the definition says
            # some of it again, so the title may only be its name: the rest is read, and what may be a summary
            # in other words (a segment, a concept, an event) is left open; who people are ("Germans") is not
            for it in unsaid:
                if it.kind not in (Kind.VALUE, Kind.CONSENT, Kind.TRAIT):
                    guess(it, "a condition as well, or only part of the list's name in the title?")
        return text
    return drop_lead_in(rest, lexicon, assume, guess, depth + 1) if depth == 0 else rest


def _unsaid(items: list[Item], rest: str, lexicon: Lexicon) -> list[Item] | None:
    """What a title states that the definition after it does not say again, by its words or by what they mean;
    None when the title states nothing, or when the definition says none of it again (then the title is
    conditions of its own: "Germans: opened an email this week")."""
    stating = [it for it in items if it.kind in _STATING + (Kind.SEGMENT, Kind.TEMPLATE)]
    tokens = tokenize(rest)
    meant = set().union(*(_meanings(it, lexicon) for it in lex(tokens, lexicon)))
    said = _said(tokens)
    unsaid = [it for it in stating if not (_meanings(it, lexicon) & meant) and not _says_again(it, said)]
    return unsaid if stating and len(unsaid) < len(stating) else None


def _meanings(it: Item, lexicon: Lexicon) -> set[str]:
    """What a catalog item refers to: events, trait values, concepts (with the events and values they are
    made of) and segments, so that 'trial' and 'trialists', 'buy' and 'order' are seen to say the same."""
    out: set[str] = set()
    for alt in [it, *(it.get("alternatives") or [])]:
        if alt.kind == Kind.EVENT:
            out |= {f"event:{e}" for e in alt.get("events") or []}
        elif alt.kind == Kind.VALUE:
            values = alt.get("value")
            out |= {f"{alt.get('field')}={v}" for v in (values if isinstance(values, list) else [values])}
        elif alt.kind in (Kind.SEGMENT, Kind.TEMPLATE):
            out.add(f"segment:{alt.get('name')}")
        elif alt.kind == Kind.CONCEPT:
            out.add(f"concept:{alt.get('name')}")
            concept = lexicon.catalog.concepts.get(alt.get("name"))
            for node in A.walk(concept.node) if concept is not None and concept.dsl else []:
                if isinstance(node, A.TraitCondition) and node.op in ("=", "in"):
                    out |= {f"{node.trait}={v}" for v in (node.value if node.op == "in" else [node.value])}
                elif isinstance(node, A.EventRef):
                    out.add(f"event:{node.name}")
    return out


_IRREGULAR_PAST = {"bought", "got", "made", "spent", "sent", "paid", "went", "came", "gave", "took", "saw", "did",
                   "read", "left", "won", "paid"}


def _verbs(items: list[Item]) -> bool:
    """'opened, clicked or bought - anything in the last 7 days': two or more things done, said as verbs, are
    conditions; a title is a noun phrase."""
    done = [it for it in items if it.kind == Kind.EVENT and (it.words.split()[0].lower().endswith("ed") or
                                                            it.words.split()[0].lower() in _IRREGULAR_PAST)]
    return len(done) >= 2


def _says_who(it: Item) -> bool:
    """A trait's value, a consent or a concept: who people are ('in Italy', 'SMS subscribers')."""
    return it.kind in (Kind.CONSENT, Kind.CONCEPT) or (it.kind == Kind.VALUE and bool(it.get("trait")))


def _purpose(lead: str) -> bool:
    """'For an SMS reminder', 'For next year's planning': a lead-in that starts with 'for' and names no people
    is what the list is for."""
    words = [t.text for t in tokenize(lead)]
    return len(words) > 1 and words[0] == "for" and not (set(words) & (PEOPLE | {"everyone", "anyone"}))


def _named_title(lead: str, items: list[Item], rest: str) -> bool:
    """A title whose head is no catalog word and whose every stating word the definition says again."""
    words = [it for it in items if it.kind != Kind.STOP or it.words.lower() in _LIST_NOUNS]
    if not words:
        return False
    heads = [words[-1]]
    compound = re.search(r"\S*[a-z]-[a-z]+$", lead, re.I)  # 'win-back': a hyphenated noun, whatever its parts say
    if compound:
        heads = [it for it in items if it.start >= compound.start()]
    elif heads[0].kind not in (Kind.UNKNOWN, Kind.STOP) or heads[0].words.lower() in PEOPLE:
        return False
    if any(it.kind == Kind.UNKNOWN and it is not items[0] and it.words[:1].isupper() and it.words[1:].islower()
           for it in items):
        return False  # a capitalised name inside the title may be a value ('Austin shoppers')
    return _restated([it for it in items if it.kind in _STATING], heads, rest)


def _restated(items: list[Item], skip: list[Item], rest: str) -> bool:
    """Whether the definition `rest` says again every item (but those skipped): the same words (any form) or
    numbers."""
    said = _said(tokenize(rest))
    return all(_says_again(it, said) for it in items if not any(it is h for h in skip))


def _said(tokens: list[Token]) -> tuple[set[str], set[float]]:
    """The word forms and the numbers of a text."""
    return set().union(*(t.lemmas for t in tokens)), {t.number for t in tokens if t.kind == "num"}


def _says_again(it: Item, said: tuple[set[str], set[float]]) -> bool:
    lemmas, numbers = said
    return all((t.number in numbers) if t.kind == "num" else bool(t.lemmas & lemmas) for t in tokenize(it.words))


# "..., so we can send them a coupon", "... - I want to send them a welcome note": what the list is for, said after
# who is in it. A purpose says what will be done to people; it never narrows who they are.
_PURPOSE_TAIL = re.compile(
    r"(?:[,.;:!]|\s[-–])?\s*\b(?:so\s+(?:that\s+)?(?:we|i|they|you)\s+(?:can|could|may|might|will|would|'ll)"
    r"|in\s+order\s+to|so\s+as\s+to|(?:i|we)\s+(?:want|need|would\s+like|plan|am\s+planning|are\s+planning)\s+to"
    r"\s+(?:send|email|text|offer|give|target|reach|invite|thank|reward|remind|message|survey|retarget|nudge|win)"
    r"|to\s+(?:send|offer|give)\s+them)\b[^.?!]*[.?!]*\s*$", re.I)


# "... Thank you so much!!": courtesy closing a request says nothing about anyone.
_COURTESY = re.compile(r"[\s,.;:!-]*\b(?:thank\s+you|thanks|thx|ty|cheers|much\s+appreciated|appreciate\s+it|"
                       r"many\s+thanks)\b(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+in\s+advance)?[\s.!]*$", re.I)


def drop_purpose_tail(text: Source, assume: Callable[[str], None]) -> Source:
    """`text` without a trailing purpose clause (said through `assume`) or courtesy; unchanged when there is
    none or when nothing would be left before it."""
    courtesy = _COURTESY.search(text)
    if courtesy and text[:courtesy.start()].strip():
        text = text[:courtesy.start()]
    m = _PURPOSE_TAIL.search(text)
    if not m or not text[:m.start()].strip():
        return text
    assume(f"'{str(text)[m.start():].strip(' ,.;:!-–')}' read as the purpose of the list, not a condition")
    return text[:m.start()]

