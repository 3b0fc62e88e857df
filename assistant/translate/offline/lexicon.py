"""Lexing stage of the offline translator: tokens -> items (an event, a trait value, a window, a count, a
connective ...). Two sources of phrases: a fixed table of English phrasings (windows, counts, comparisons,
connectives; phrases.py) and phrases drawn from the catalog (event, trait and property names, synonyms and
sample values, concepts, plus saved segment names; below). At each position the longest phrase wins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grammar import ast as A
from grammar.catalog import Catalog

from .items import Item, Kind
from .phrases import COMPILED, match
from .text import CATEGORY_WORDS, CHANNEL_WORDS, COUNTRIES, FLAG_OPPOSITES, REGIONS, STOP_WORDS, UNITS, Token, lemmas


# ---- catalog phrases -----------------------------------------------------------------------------------

PURCHASE_WORDS = {"purchase", "order", "buy", "bought", "purchased", "ordered"}


@dataclass
class Phrase:
    words: tuple[str, ...]
    kind: Kind         # event | trait | prop | value | segment | template | consent
    args: dict[str, Any]
    exact: bool = False  # compare words as written (values, countries), not by word form
    priority: int = 0
    capitals: bool = False  # only when written in capitals: country codes ("DE", "IN") are also English words


def _words(text: str) -> tuple[str, ...]:
    text = re.sub(r"[_\-]", " ", text.lower()).replace("'", "")
    return tuple(w for w in re.findall(r"[a-z0-9@/.]+", text) if w not in ("a", "an", "the"))


def _country_trait(catalog: Catalog) -> tuple[str, bool] | None:
    """The trait holding countries, and whether its values are ISO codes (else country names)."""
    for name, spec in catalog.traits.items():
        codes = [v for v in spec.values if isinstance(v, str) and v.upper() in COUNTRIES]
        if spec.values and len(codes) >= max(1, len(spec.values) // 2):
            return name, True
    for name, spec in catalog.traits.items():
        if "country" in name or "country" in (s.lower() for s in spec.synonyms):
            return name, False
    return None


def consent_subject(trait: str) -> str | None:
    """What a consent-like boolean trait is about: email_consent -> 'email', sms_opt_in -> 'sms'."""
    parts = trait.split("_")
    subject = [p for p in parts if p not in ("consent", "opt", "in", "optin", "permission", "is", "has")]
    return " ".join(subject) if subject and subject != parts else None


# Short English words that happen to equal a catalog value or name ("IN" for India): never a phrase alone.
_COMMON = {"in", "it", "at", "no", "is", "as", "on", "or", "an", "be", "do", "me", "my", "so", "to", "up", "we"}


class Lexicon:
    """Phrases drawn from one catalog (and the saved segments / templates in play)."""

    def __init__(self, catalog: Catalog, segments: dict[str, A.Condition], templates: dict[str, A.Condition],
                 titles: dict[str, list[str]] | None = None):
        self.catalog = catalog
        self.phrases: list[Phrase] = []
        self._events()
        self._traits()
        self._properties()
        self._concepts()
        for name in list(segments) + [t for t in templates if t not in segments]:
            kind = Kind.SEGMENT if name in segments else Kind.TEMPLATE
            for alias in [name, *(titles or {}).get(name, [])]:
                self.add(_words(alias), kind, {"name": name}, priority=5)
                self.add(_words(alias) + ("segment",), kind, {"name": name}, priority=5)
        # a value written in quotes, as the catalog spells it (lower case): its value item's arguments
        self.quoted_values = {str(p.args["value"]).lower(): p.args for p in self.phrases
                              if p.kind == Kind.VALUE and isinstance(p.args.get("value"), str)}
        self.vocabulary = {w for p in self.phrases for w in p.words} | {
            w for pattern, _, _ in COMPILED for _, want in pattern if isinstance(want, list) for alt in want
            for w in alt} | STOP_WORDS | set(UNITS)
        self.vocab_lemmas = set().union(*(lemmas(w) for w in self.vocabulary))

    def add(self, words: tuple[str, ...], kind: Kind, args: dict, exact: bool = False, priority: int = 0,
            capitals: bool = False) -> None:
        if words and (capitals or not (len(words) == 1 and (words[0] in STOP_WORDS or words[0] in _COMMON))):
            self.phrases.append(Phrase(words, kind, args, exact, priority, capitals))

    def _events(self) -> None:
        for name, spec in self.catalog.events.items():
            parts = name.split("_")
            names = {tuple(parts)}
            if len(parts) == 2:
                names.add((parts[1], parts[0]))  # app_opened -> "opened app"
            for words in names:
                self.add(words, Kind.EVENT, {"events": [name]}, priority=2)
            if len(parts) == 2:  # the noun alone ("the app"), weaker than any value or trait
                self.add((parts[0],), Kind.EVENT, {"events": [name], "noun": True}, priority=0)
            for syn in spec.synonyms:
                self.add(_words(syn), Kind.EVENT, {"events": [name]}, priority=2)
            if spec.description:  # "Clicked a link in an SMS": the catalog's own wording of the event
                self.add(_words(spec.description), Kind.EVENT, {"events": [name]}, priority=2)
        # a bare verb shared by event names ("viewed", "opened", "started"): several candidates
        verbs: dict[str, list[str]] = {}
        for name in self.catalog.events:
            parts = name.split("_")
            if len(parts) >= 2:
                verbs.setdefault(parts[-1], []).append(name)
        for verb, events in verbs.items():
            self.add((verb,), Kind.EVENT, {"events": events}, priority=1)

    def _traits(self) -> None:
        country = _country_trait(self.catalog)
        for name, spec in self.catalog.traits.items():
            self.add(_words(name), Kind.TRAIT, {"trait": name}, priority=3)
            for syn in spec.synonyms:
                self.add(_words(syn), Kind.TRAIT, {"trait": name}, priority=3)
            if spec.type == "boolean":
                self._consent(name, spec.synonyms)
            for value in spec.values if not country or country[0] != name else []:
                if isinstance(value, str):
                    self.add(_words(value), Kind.VALUE, {"field": name, "trait": True, "value": value}, priority=2)
            if spec.type in ("date", "timestamp") and any("birth" in w for w in (name, *spec.synonyms)):
                self.add(("born",), Kind.TRAIT, {"trait": name}, priority=3)
        if country:
            name, codes = country
            known = {str(v).upper(): v for v in self.catalog.traits[name].values}
            for code, names in COUNTRIES.items():
                value = known.get(code, code) if codes else names[0].title()
                # demonyms in the plural name people too: "Germans", "Canadians"
                for country_name in names + [n + "s" for n in names if n.endswith("an")]:
                    self.add(_words(country_name), Kind.VALUE,
                             {"field": name, "trait": True, "value": value, "country": country_name},
                             exact=True, priority=2)
                if code in known:
                    self.add((code.lower(),), Kind.VALUE, {"field": name, "trait": True, "value": known[code]},
                             exact=True, priority=2, capitals=True)
            for region_names, codes_in in REGIONS.items():
                values = [known[c] for c in known if c in codes_in] if codes else []
                for region in region_names if values else ():
                    self.add(_words(region), Kind.VALUE, {"field": name, "trait": True,
                                                      "value": values if len(values) > 1 else values[0]},
                             exact=True, priority=2)

    def _consent(self, name: str, synonyms: list[str]) -> None:
        """Boolean traits like email_consent / sms_opt_in: 'opted in to email', 'agreed to sms' ..."""
        subject = consent_subject(name)
        if subject is None:
            return
        for s in [subject, *CHANNEL_WORDS.get(subject, [])]:  # "opted in to texts" is the sms consent
            self._consent_phrases(name, s)

    def _consent_phrases(self, name: str, s: str) -> None:
        true = [f"opted in to {s}", f"opted into {s}", f"opt in to {s}", f"{s} opt in", f"{s} opted in",
                f"consented to {s}", f"agreed to {s}", f"agreed to receive {s}", f"agreed to receive marketing {s}",
                f"given {s} consent", f"gave {s} consent", f"given we {s} consent", f"gave we {s} consent", f"{s} consent", f"can receive {s}",
                f"can receive marketing {s}", f"{s} marketing consent", f"accept {s}", f"subscribed to {s}",
                f"{s} permission", f"{s} ok", f"{s} okay", f"{s} allowed", f"can get {s}", f"can still get {s}",
                f"can still receive {s}", f"can be {s}ed", f"can still be {s}ed", f"reachable by {s}"]
        false = [f"opted out of {s}", f"opted out from {s}", f"no {s} consent", f"declined {s}"]
        for text in true:
            self.add(_words(text), Kind.CONSENT, {"trait": name, "value": True}, priority=4)
        for text in false:
            self.add(_words(text), Kind.CONSENT, {"trait": name, "value": False}, priority=4)

    def _properties(self) -> None:
        for name, spec in self.catalog.properties.items():
            self.add(_words(name), Kind.PROP, {"prop": name}, priority=1)
            for syn in spec.synonyms:
                self.add(_words(syn), Kind.PROP, {"prop": name}, priority=1)
            for value in spec.values:
                if not isinstance(value, str):
                    continue
                args = {"field": name, "trait": False, "value": value}
                words = _words(value.strip("/"))
                # a page path is a name, not a word with forms: '/pricing' is no 'priced'
                self.add(words, Kind.VALUE, args, exact=value.startswith("/"), priority=2)
                if len(words) == 1 and (words[0] in STOP_WORDS or words[0] in _COMMON):
                    # a value too common to stand alone is still one next to its property: "the contact form"
                    self.add(words + _words(name), Kind.VALUE, args, priority=2)
                if words and words[-1].isdigit() and len(words) > 1:  # "Black Friday 2025" -> "black friday"
                    self.add(words[:-1], Kind.VALUE, args, priority=2)
                for word in CATEGORY_WORDS.get(value.lower(), []):
                    self.add(_words(word), Kind.VALUE, args, priority=2)
            if spec.type == "boolean":
                for stem, phrases in FLAG_OPPOSITES.items():
                    if any(stem in w for w in (name, *spec.synonyms)):
                        for text in phrases:
                            self.add(_words(text), Kind.VALUE, {"field": name, "trait": False, "value": False},
                                     priority=2)

    def _concepts(self) -> None:
        """A concept's name and synonyms, as written ('paying' is no 'paid'): above any single event, trait or
        value they contain ('paying users', 'sms subscribers'), below saved segments and templates."""
        for name, concept in self.catalog.concepts.items():
            for text in [name, *concept.synonyms]:
                self.add(_words(text), Kind.CONCEPT, {"name": name, "measure": concept.measure is not None},
                         exact=True, priority=4)

    def known(self, tok: Token) -> bool:
        return tok.kind != "word" or bool(tok.lemmas & self.vocab_lemmas)


def _phrase_len(phrase: Phrase, tokens: list[Token], i: int) -> tuple[int, bool]:
    """(words matched, all of them exactly as written) or (0, False)."""
    n = len(phrase.words)
    if i + n > len(tokens):
        return 0, False
    if phrase.capitals and not _capital_code(tokens, i):
        return 0, False
    exact = True
    for word, tok in zip(phrase.words, tokens[i:i + n]):
        if tok.kind not in ("word", "num"):
            return 0, False
        if tok.text != word and not (tok.kind == "num" and tok.orig.lower() == word):  # "one" of "one-time"
            exact = False
            if phrase.exact or tok.kind == "num" or tok.text in STOP_WORDS or not (lemmas(word) & tok.lemmas):
                return 0, False
            # names of saved segments are names, not verbs: "buyers" matches "buyer", never "bought"
            if phrase.kind in (Kind.SEGMENT, Kind.TEMPLATE) and tok.text.rstrip("s") != word.rstrip("s"):
                return 0, False
            # a value is a thing, never a verb's form: "watched products" is no "watches" (accessories)
            if phrase.kind == Kind.VALUE and tok.text.endswith(("ed", "ing")) and not word.endswith(("ed", "ing")):
                return 0, False
    return n, exact


def _capital_code(tokens: list[Token], i: int) -> bool:
    """A short code in capitals among words that are not ('DE contacts'), so not a shouted word."""
    def shouted(j: int) -> bool:
        return 0 <= j < len(tokens) and tokens[j].kind == "word" and len(tokens[j].orig) > 2 \
            and tokens[j].orig.isupper()
    return tokens[i].orig.isupper() and not shouted(i - 1) and not shouted(i + 1)


def lex(tokens: list[Token], lexicon: Lexicon) -> list[Item]:
    """Longest match at each position; ties go to the more specific phrase. Phrases of equal length and
    kind merge (a bare verb naming several events; a word that is both a value and an event)."""
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        best: list[tuple[int, float, Item]] = []  # (length, priority, item)
        for pattern, kind, fn in COMPILED:
            caps: list = []
            n = match(pattern, tokens, i, caps)
            if n:
                try:
                    args = fn(*caps)
                except (ValueError, TypeError):
                    continue  # e.g. an impossible date
                best.append((n, 3 if kind not in (Kind.NUM, Kind.WHICH, Kind.RESTARTED) else 0,
                             _item(kind, tokens, i, i + n, args)))
        for phrase in lexicon.phrases:
            n, exact = _phrase_len(phrase, tokens, i)
            if n:
                boost = (10 if phrase.kind in (Kind.SEGMENT, Kind.TEMPLATE, Kind.CONSENT) else 0) + \
                    (0.5 if exact else 0)
                best.append((n, phrase.priority + boost, _item(phrase.kind, tokens, i, i + n, dict(phrase.args))))
        if not best:
            tok = tokens[i]
            kind = Kind.STOP if tok.kind == "word" and tok.text in STOP_WORDS else (
                Kind.STR if tok.kind == "str" else Kind.UNKNOWN)
            quoted = lexicon.quoted_values.get(tok.text.lower()) if tok.kind == "str" else None
            # 'the "Weekly Newsletter" email': a value of the catalog, in quotes, is that value
            items.append(_item(Kind.VALUE, tokens, i, i + 1, dict(quoted)) if quoted else
                         _item(kind, tokens, i, i + 1, {"text": tok.orig}))
            i += 1
            continue
        length = max(b[0] for b in best)
        top = [b for b in best if b[0] == length]
        top.sort(key=lambda b: -b[1])
        items.append(_merge([b[2] for b in top], [b[1] for b in top]))
        i += length
    return items


def _item(kind: Kind, tokens: list[Token], start: int, end: int, args: dict[str, Any]) -> Item:
    """The item for tokens[start:end]: their words, and their span in the request."""
    return Item(kind, start, " ".join(t.orig for t in tokens[start:end]), args,
                start=tokens[start].start, end=tokens[end - 1].end)


def _merge(cands: list[Item], priorities: list[float]) -> Item:
    first = cands[0]
    if first.kind == Kind.EVENT:
        events: list[str] = []
        for c, p in zip(cands, priorities):
            if c.kind == Kind.EVENT and int(p) == int(priorities[0]):
                events += [e for e in c["events"] if e not in events]
        first.args["events"] = events
        # "opened" is email's by the catalog's synonyms, but the verb of push and app opens too
        others = [e for c in cands if c.kind == Kind.EVENT for e in c["events"] if e not in events]
        if others:
            first.args["verb_events"] = events + others
    alternatives = [c for c in cands[1:] if c.kind != first.kind]
    if alternatives:
        first.args["alternatives"] = alternatives
    return first
