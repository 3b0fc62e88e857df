"""The offline translator: deterministic English -> segment DSL from the catalog's names, synonyms and
sample values. No model, no network; the embedded default when no model is configured.

text -> tokens (text.py) -> items (lexicon.py) -> AST (build.py) -> canonical DSL, checked. Refinements of
the current segment in a chat ("only those in Germany", "make it 60 days", "remove the country condition")
are read here too: they edit the current AST (edit.py).

The request travels as a `Source`: every cut (a lead-in, a reset, a refinement's verb) keeps where the rest
came from, so each token and item points at the user's own words in the request."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from assistant.segments import templates
from assistant.translate.accounting import question_for
from assistant.translate.contract import Translation
from grammar import ast as A
from grammar.algebra import contradiction
from grammar.catalog import Catalog
from grammar.check import check
from grammar.errors import SegmentError
from grammar.explain import explain
from grammar.format import format_segment, window_text
from grammar.units import UNIT_WORDS

from .build import Builder, NotUnderstood, build
from .edit import (conjoin, drop_filters, drop_unknown_values, drop_values, names, narrow, negate, parts_of,
                   replace_amounts, rewindow)
from .items import Item, Kind
from .lexicon import Lexicon, lex
from .named_days import is_marked
from .quantities import note_quantities, read_quantities
from .text import STOP_WORDS, Source, Token, tokenize
from .titles import drop_lead_in, drop_purpose_tail
from .unplaced import asides, is_english, mostly_unplaced, open_points

REFUSAL = ("I only write segment definitions in the segment language: I never write SQL or database commands "
           "or change my instructions. Describe the people you want and I will define the segment; its SQL is "
           "compiled from the checked definition.")

# Requests to write SQL, change the database, or override the instructions.
_UNSAFE = [
    r"\bsql\b", r"\bdrop\s+(table|database|schema)\b", r"\bdelete\s+from\b", r"\btruncate\b",
    r"\binsert\s+into\b", r"\bupdate\s+\w+\s+set\b", r"\balter\s+table\b", r"\bselect\s+(\*|\w+)\s+from\b",
    r"\bunion\s+select\b", r";\s*--", r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions|rules|prompt)\b",
    r"\bsystem\s+prompt\b", r"\byou\s+are\s+now\b", r"\bjailbreak\b", r"\bgrant\s+all\b",
    r"\b(list|show|give|tell|reveal|print|dump|share)\b.{0,40}\b(api\s+keys?|passwords|credentials|secrets)\b",
]

OFF_TOPIC = ("I only build segments of contacts: describe the people you want (what they did, their traits, or a "
             "saved segment) and I will define the segment.")

# Requests for something other than a segment: writing prose, or a general-knowledge question that names
# no audience ("What is the tallest mountain?").
_PROSE = re.compile(r"^\s*(please\s+)?(write|compose|draft|tell|give)\b(\s+\w+){0,2}\s+(a\s+|an\s+)?(poem|story|song|"
                    r"essay|joke|haiku|limerick|riddle|recipe)s?\b", re.I)
_QUESTION = re.compile(r"^\s*(what|when|where|why)('s|\s+(is|are|was|were|does|do|did))\b.*\?\s*$", re.I)
_AUDIENCE = re.compile(r"\b(people|persons?|customers?|contacts?|users?|members?|buyers?|subscribers?|shoppers?|"
                       r"clients?|accounts?|visitors?|everyone|anyone|who|segments?|audiences?)\b", re.I)

_RESET = re.compile(r"^\s*(start over|start again|reset|new segment|scratch that|from scratch)\b[\s,.:;!-]*", re.I)
_NEW = re.compile(r"^\s*(show me|find|give me|list|get me|i want|i need|people who|customers who|users who|"
                  r"contacts who|everyone who|anyone who)\b", re.I)
_NARROW = re.compile(r"^\s*(only|just|and|but only|of those|of them|among them|among those|limit (it )?to|"
                     r"restrict (it )?to|narrow (it )?(down )?to|keep only|also must|who also|that also|with)\b[\s,]*",
                     re.I)
_WIDEN = re.compile(r"^\s*(also include|include|add|plus|or|as well as|also add|and also)\b[\s,]*", re.I)
_EXCLUDE = re.compile(r"^\s*(exclude|except|excluding|but not|without|minus|leave out|remove people|"
                      r"remove anyone|remove those|drop people|drop anyone|not)\b[\s,]*", re.I)
_REMOVE = re.compile(r"^\s*(remove|drop|delete|forget|lose|get rid of|take out)\b(?P<rest>.*)$", re.I)
_CHANGE = re.compile(r"^\s*(actually\s*,|(actually\s+)?(make (it|that)|change (it|that) to|change to|set (it|that) to|"
                     r"use|change it|switch (it |that )?to|instead)\b)(?P<rest>.*)$", re.I)
# "stretch it to 3 weeks", "shorten the window to a week": a new amount for the window.
_RESIZE = re.compile(r"^\s*(extend|lengthen|stretch|widen|expand|shorten|narrow|reduce|cut|increase|decrease|bump)"
                     r"\b(\s+(it|that|this|the\s+(window|period|time\s*frame|range)))?(\s+(up|down|back))?\s+to\b"
                     r"(?P<rest>.*)$", re.I)
# A new amount followed by more: "10 days, and only in Spain".
_AMOUNT_THEN_MORE = re.compile(r"^\s*(?P<amount>((the\s+)?(last|past)\s+)?(\d+|a|an|one)\s*[a-z%]*)\s*(,\s*|\s+)"
                               r"(?P<rest>(and|but|plus)\b.*)$", re.I)
# "then subscribed within a week": a further step of the current segment's sequence.
_THEN = re.compile(r"^\s*(and\s+)?(then|after that|afterwards|followed by)\b[\s,]*", re.I)
_REPLACE = re.compile(r"\bchange\s+(?P<old>\d+)(\s+\w+)?\s+to\s+(?P<new>\d+)\b", re.I)


def _templates() -> tuple[dict[str, A.Condition], dict[str, list[str]]]:
    """The shipped seed templates (name -> definition, parsed once) and their titles ('VIPs')."""
    shipped = templates()
    return {name: t.condition for name, t in shipped.items()}, {name: [t.title] for name, t in shipped.items()}


def _check(node: A.Condition, catalog: Catalog, segments: dict[str, A.Condition]) -> list[str]:
    """Check the tree; returns the checker's warnings, raises SegmentError on errors."""
    diagnostics = check(node, catalog, segments)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise SegmentError(errors)
    return [d.message for d in diagnostics]


class OfflineTranslator:
    """Deterministic English -> DSL. Every word is either used, a stop word, or reported back."""

    provider = "offline"

    def translate(self, request: str, *, catalog: Catalog, as_of: datetime, current: A.Condition | None = None,
                  segments: dict[str, A.Condition] | None = None) -> Translation:
        segments = dict(segments or {})
        text = Source(request).strip()
        if any(re.search(p, text, re.I) for p in _UNSAFE):
            return Translation(refusal=REFUSAL)
        if _PROSE.match(text) or (_QUESTION.match(text) and not _AUDIENCE.search(text)):
            return Translation(refusal=OFF_TOPIC)
        reset = _RESET.match(text)
        if reset:
            text, current = text[reset.end():], None
            if not text.strip():
                return Translation(question="Starting over: which people should the new segment contain?")
        ctx = _Ctx(catalog, segments, as_of, request)
        try:
            if current is not None:
                return self._refine(text, ctx, current)
            node, session = self._read(text, ctx)
        except NotUnderstood as err:
            return Translation(question=str(err))
        return self._finish(node, session, ctx, fresh=True)

    # ---- reading a request ------------------------------------------------------------------------------
    def _read(self, text: Source, ctx: "_Ctx") -> tuple[A.Condition, "_Session"]:
        session = _Session(ctx)
        node = session.read(text)
        if node is None:
            raise NotUnderstood(session.question(text))
        return node, session

    def _finish(self, node: A.Condition, session: "_Session", ctx: "_Ctx",
                extra: list[str] | None = None, fresh: bool = False) -> Translation:
        _ask_unknown_values(node, session)
        node, dropped = drop_unknown_values(node, session.closed_values)
        warnings = session.warnings() + dropped
        try:
            warnings += _check(node, ctx.catalog, ctx.segments)
        except SegmentError as err:
            return Translation(question=f"I could not build a valid segment ({err.diagnostics[0].message}). "
                                        "Could you rephrase?", assumptions=session.builder.assumptions,
                               warnings=warnings)
        clash = contradiction(node, ctx.segments)
        if clash is not None:
            # "never placed an order but whose lifetime spend is over 500": nobody, whatever the data
            said = [explain(c, ctx.catalog) for c in clash]
            said = [t[:1].lower() + t[1:] for t in said]  # "People who ..." inside a sentence
            return Translation(question=f"No one can be among both {said[0]} and {said[1]}. Which did you mean?",
                               assumptions=session.builder.assumptions, warnings=warnings)
        for aside in asides(session.items, session.request):
            session.builder.assume(f"'{aside}' read as an aside that restates what comes before it")
        _named_in_parentheses(session)
        points = open_points(session.items, session.request, node, ctx.segments, session.builder.guesses)
        if fresh and mostly_unplaced(session.items, points, session.builder.guesses):
            # "contacts whose email address hard bounced": a segment built from guesses alone would answer
            # another request; ask about what was not placed
            words = ", ".join(f"'{p.text}'" for p in points)
            return Translation(question=f"I could not place {words}: what should that mean in terms of what people "
                                        "did, their traits or a saved segment?",
                               warnings=warnings, open_points=points)
        return Translation(condition=node, assumptions=(extra or []) + session.builder.assumptions, warnings=warnings,
                           open_points=points, question=question_for(points) if points else None)

    # ---- refining the current segment -------------------------------------------------------------------
    def _refine(self, text: Source, ctx: "_Ctx", base: A.Condition) -> Translation:
        if _NEW.match(text):
            node, session = self._read(text, ctx)
            return self._finish(node, session, ctx, ["read as a new segment, replacing the current one"])
        m = _THEN.match(text)
        if m:
            return self._then(base, text[m.end():], ctx)
        window = self._window_only(text, ctx)
        if window is not None:
            return self._rewindow(base, window, ctx)
        m = _RESIZE.match(text)
        if m:
            return self._change(base, _group(text, m, "rest"), ctx)
        m = _REPLACE.search(text)
        if m:
            return self._edit_numbers(base, ctx, old=int(m["old"]), new_amount=int(m["new"]))
        m = _CHANGE.match(text)
        if m or re.search(r"\binstead\b", text, re.I):
            return self._change(base, (_group(text, m, "rest") if m else text).sub(r"\binstead\b", "", flags=re.I), ctx)
        m = _REMOVE.match(text)
        if m and not _EXCLUDE.match(text):
            return self._remove(base, _group(text, m, "rest"), ctx)
        for pattern, how in ((_EXCLUDE, "exclude"), (_WIDEN, "or"), (_NARROW, "and")):
            m = pattern.match(text)
            if m:
                node, session = self._read(text[m.end():], ctx)
                if how == "exclude":
                    combined = conjoin(A.And, [base, negate(node)])
                elif how == "or":
                    widened = narrow(base, node)  # "add Italy": a value joins the list it belongs to
                    merged = widened != conjoin(A.And, [base, node])
                    combined = widened if merged else conjoin(A.Or, [base, node])
                else:
                    combined = narrow(base, node)
                return self._finish(combined, session, ctx)
        node, session = self._read(text, ctx)
        return self._finish(narrow(base, node), session, ctx,
                            ["added to the current segment with 'and' (say 'start over' for a new one)"])

    def _edit_numbers(self, base: A.Condition, ctx: "_Ctx",
                      old: int | None, new_amount: int, unit: str | None = None) -> Translation:
        changed = replace_amounts(base, old, new_amount, unit)
        if changed is None:
            return Translation(question=f"I found no number{f' {old}' if old is not None else ''} to change in "
                                        f"the current segment: {format_segment(base)}")
        session = _Session(ctx)
        return self._finish(changed, session, ctx)

    def _change(self, base: A.Condition, rest: Source, ctx: "_Ctx") -> Translation:
        """'make it 60 days' / '5 times instead' / 'in France instead' / 'make that 5'; what follows the new
        amount ('60 days and only in France') refines the changed segment."""
        m = _AMOUNT_THEN_MORE.match(rest)
        if m:
            changed = self._change(base, _group(rest, m, "amount"), ctx)
            if changed.condition is None:
                return changed
            more = self._refine(_group(rest, m, "rest"), ctx, changed.condition)
            return more.model_copy(update={"assumptions": changed.assumptions + more.assumptions,
                                           "warnings": changed.warnings + more.warnings})
        tokens = tokenize(rest)
        nums = [t for t in tokens if t.kind == "num"]
        units = [t.text for t in tokens if t.kind == "word" and t.text in _UNIT_WORDS]
        words = [t for t in tokens if t.kind == "word" and t.text not in STOP_WORDS | {"last", "past", "the"}
                 and t.text not in _UNIT_WORDS and t.text not in ("times", "time", "%", "percent")]
        if nums and not words:
            unit = _UNIT_WORDS[units[0]] if units else None
            return self._edit_numbers(base, ctx, None, int(nums[0].number or 0), unit)
        node, session = self._read(rest, ctx)
        fields = _traits(node)
        parts = parts_of(base)
        kept = [p for p in parts if not (_traits(p) & fields)]
        if not fields:  # "switch to an average order value above 80": replaces the condition of its kind
            kept = [p for p in parts if type(p) is not type(node)]
        if len(kept) < len(parts):
            return self._finish(conjoin(A.And, kept + [node]) if kept else node, session, ctx)
        return self._finish(narrow(base, node), session, ctx)

    def _then(self, base: A.Condition, rest: Source, ctx: "_Ctx") -> Translation:
        """Append a step to the last did-condition (or sequence) of the current segment."""
        session = _Session(ctx)
        items = session.lex(rest)
        within = next((it for it in items if it.kind == Kind.WITHIN), None)
        session.builder.use(within)
        node = build(session.builder, [it for it in items if it is not within])
        negated = isinstance(node, A.Not)
        step = node.condition if negated else node
        parts = parts_of(base)
        target = next((i for i in range(len(parts) - 1, -1, -1) if isinstance(parts[i], (A.Did, A.Sequence))), None)
        if not isinstance(step, A.Did) or step.count or step.window or target is None:
            return Translation(question="Which event should follow, and after which step of: "
                                        f"{format_segment(base)}?")
        first = parts[target]
        new_step = A.SequenceStep(negated=negated, event=step.event,
                                  within=within["duration"] if within is not None else None)
        if isinstance(first, A.Sequence):
            parts[target] = first.model_copy(update={"steps": [*first.steps, new_step]})
        elif first.count is None:
            parts[target] = A.Sequence(event=first.event, window=first.window, steps=[new_step])
        else:
            return Translation(question=f"A sequence cannot start with a counted condition ({format_segment(first)}); "
                                        "which step should come first?")
        return self._finish(conjoin(A.And, parts), session, ctx)

    @staticmethod
    def _window_only(text: Source, ctx: "_Ctx") -> A.Node | None:
        """The window of a refinement that is nothing but a window ('in the last 3 days', 'but less than
        120 days ago'); None otherwise."""
        items = _Session(ctx).lex(text)
        # a bare amount ("make it 60 days") is a change of the number, not a window of its own
        windows = [it for it in items if it.kind == Kind.WINDOW and it["window"] is not None and not it.get("bare")]
        rest = [it for it in items if it.kind not in (Kind.WINDOW, Kind.STOP, Kind.CONJ)]
        return windows[0]["window"] if len(windows) == 1 and not rest else None

    def _rewindow(self, base: A.Condition, window: A.Node, ctx: "_Ctx") -> Translation:
        """A window for the current segment: it closes an open window on the other side into a range, or
        goes to the conditions without a window (edit.rewindow)."""
        node = rewindow(base, window)
        if node is None:
            return Translation(question=f"Which condition should '{window_text(window)}' apply to in: "
                                        f"{format_segment(base)}?")
        return self._finish(node, _Session(ctx), ctx)

    def _remove(self, base: A.Condition, rest: Source, ctx: "_Ctx") -> Translation:
        """'remove the country condition' / 'drop Canada' / 'drop the email part'."""
        session = _Session(ctx)
        # "the country condition", "the amount filter": the noun only says it is a condition
        items = session.lex(rest.sub(r"\b(condition|filter|part|clause|criterion|requirement|restriction|rule)s?\b",
                                     " ", flags=re.I))
        named = set()
        values = []
        for it in items:
            it.used = it.kind in (Kind.TRAIT, Kind.CONSENT, Kind.EVENT, Kind.PROP, Kind.VALUE, Kind.SEGMENT,
                                  Kind.TEMPLATE)
            if it.kind in (Kind.TRAIT, Kind.CONSENT):
                named.add(it["trait"])
            elif it.kind == Kind.EVENT:
                named.update(it["events"])
            elif it.kind == Kind.PROP:
                named.add(it["prop"])
            elif it.kind == Kind.VALUE:
                values.append(it)
            elif it.kind in (Kind.SEGMENT, Kind.TEMPLATE):
                named.add(it["name"])
        if values and not named:  # drop one value from a list: "drop Canada"
            node = drop_values(base, {(v["field"], v["value"]) for v in values})
            if node is not None:
                return self._finish(node, session, ctx)
        # a word may be read as a value first ('feature' is also a url): its property reading counts too
        props = {a["prop"] for it in items for a in [it, *it.get("alternatives", [])] if a.kind == Kind.PROP}
        if props:  # "remove the amount condition": only the property filter goes, not its event
            node = drop_filters(base, props)
            if node is not None:
                return self._finish(node, session, ctx)
        parts = parts_of(base)
        kept = [p for p in parts if not (names(p) & named)]
        if not named or len(kept) == len(parts):
            return Translation(question=f"Which condition should I remove from: {format_segment(base)}?")
        if not kept:
            return Translation(question="That would remove every condition. Say 'start over' for a new segment.")
        return self._finish(conjoin(A.And, kept), session, ctx)


# The language's unit words, and "%" / "percent" (an amount with no unit: a count or a threshold).
_UNIT_WORDS = {**UNIT_WORDS, "%": None, "percent": None}


def _traits(node: A.Node) -> set[str]:
    """The traits a condition is about."""
    return {n.trait for n in A.walk(node) if isinstance(n, (A.TraitCondition, A.TraitTime))}


# Quoted text and its closing quote: not an apostrophe inside a word ("who's").
_QUOTED = re.compile(r"(?<!\w)['\"\u2018\u201c](.+?)['\"\u2019\u201d](?!\w)")


def _named_in_parentheses(session: "_Session") -> None:
    """'clicked a pricing link recently (the high intent clickers)': a saved segment named in parentheses right
    after the words says what they mean, so a vague word among them is no open question."""
    b = session.builder
    named = [it for it in session.items if it.used and it.kind in (Kind.SEGMENT, Kind.TEMPLATE)]
    for item, reason in list(b.guesses):
        m = re.match(r"[^()]{0,40}?\(([^()]*)\)", session.request[item.end:])
        lo, hi = (item.end + m.start(1), item.end + m.end(1)) if m else (0, 0)
        segment = next((it for it in named if lo <= it.start and it.end <= hi), None)
        if segment is not None:
            b.guesses.remove((item, reason))
            b.assume(f"'{item.words}' read as the saved segment '{segment.words}' named after it says")


def _ask_unknown_values(node: A.Condition, session: "_Session") -> None:
    """'in the UK, Ireland and Germany' where the data has no Ireland: no one is lost by leaving it out, but the
    user asked for people the data cannot have, so the answer says so instead of looking finished."""
    wanted = {(n.trait if isinstance(n, A.TraitCondition) else n.property, str(v))
              for n in A.walk(node) if isinstance(n, (A.TraitCondition, A.PropertyCondition)) and n.op in ("=", "in")
              for v in (n.value if isinstance(n.value, list) else [n.value])}
    for it in session.items:
        if it.kind != Kind.VALUE or not it.used or (it["field"], str(it["value"])) not in wanted:
            continue
        known = session.closed_values(it["field"], bool(it["trait"]))
        if known is not None and str(it["value"]) not in known:
            session.builder.guess(it, f"no {it['field']} {it['value']} in this data (known: {', '.join(known)})")


def _unquote_requests(text: Source) -> Source:
    """A request forwarded in quotes ("Client ask: 'everyone who ...'") is read as the request; a value is
    quoted in a few words ('the "Black Friday 2025" email') and stays quoted."""
    out, at = text[:0], 0
    for m in _QUOTED.finditer(text):
        if len(m.group(1).split()) >= 6:
            out = out + text[at:m.start()] + text[m.start(1):m.end(1)]
            at = m.end()
    return out + text[at:] if at else text


# A list item's marker at the start of a line: "- ", "* ", "• ", "1. ", "2) ".
_BULLET = re.compile(r"[ \t]*(?:[-*\u2022\u00b7\u25aa\u2023\u2013]|\d{1,2}[.)])[ \t]+")


def _lines(text: Source) -> list[Source]:
    """A request's lines without their bullets, each read for its own lead-in ("Exclude: ..."); a line that is
    only a heading ("Audience:") leads the line after it."""
    out: list[Source] = []
    for m in re.finditer(r"[^\n]+", text):
        line = text[m.start():m.end()]
        bullet = _BULLET.match(line)
        line = line[bullet.end():] if bullet else line
        if not line.strip():
            continue
        if out and re.fullmatch(r"[^:]{1,60}:\s*", out[-1]):
            out[-1] = out[-1].strip() + " " + line.strip()
        else:
            out.append(line.strip())
    return out


def _group(text: Source, m: re.Match, name: str) -> Source:
    """A named group of a match on `text`, keeping where it came from in the request."""
    return text[m.start(name):m.end(name)]


@dataclass(frozen=True)
class _Ctx:
    catalog: Catalog
    segments: dict[str, A.Condition]
    as_of: datetime
    request: str  # the original text: item spans point into it


class _Session:
    """One reading of one request: tokens, items, the builder, and what was not used."""

    def __init__(self, ctx: _Ctx):
        self.catalog = ctx.catalog
        self.request = ctx.request
        self.templates, titles = _templates()
        self.lexicon = Lexicon(ctx.catalog, ctx.segments, self.templates, titles)
        self.builder = Builder(ctx.catalog, ctx.segments, self.templates, ctx.as_of, ctx.request)
        self.items: list[Item] = []
        self.tokens: list[Token] = []

    def lex(self, text: Source) -> list[Item]:
        assert isinstance(text, Source), "cut requests with Source slicing, so spans point into the request"
        tokens, notes = read_quantities(tokenize(text), self.request)
        self.tokens = self._spellcheck(tokens)
        self.items = lex(self.tokens, self.lexicon)
        note_quantities(self.items, notes)
        return self.items

    def read(self, text: Source) -> A.Condition | None:
        b = self.builder
        text = _unquote_requests(text)
        lines = [drop_lead_in(line, self.lexicon, b.assume, b.guess) for line in _lines(text)]
        joined = lines[0] if lines else text
        for line in lines[1:]:
            joined = joined + " ; " + line
        return build(self.builder, self.lex(drop_purpose_tail(joined, b.assume)))

    def _spellcheck(self, tokens: list[Token]) -> list[Token]:
        """Unknown words close to a known one ('purchsed') are read as it, and said so; words English knows
        are no typos ('finished' is not 'finnish') and stay as they are."""
        vocab = sorted(w for w in self.lexicon.vocabulary if w.isalpha() and len(w) > 3)
        for tok in tokens:
            if tok.kind != "word" or len(tok.text) < 4 or self.lexicon.known(tok) or is_english(tok.text) or \
                    is_marked(tok.text):
                continue
            close = difflib.get_close_matches(tok.text, vocab, n=1, cutoff=0.8)
            if close:
                self.builder.assume(f"'{tok.orig}' read as '{close[0]}'")
                tok.text = close[0]
        return tokens

    def warnings(self) -> list[str]:
        """One 'ignored' warning per run of unused words."""
        out: list[str] = []
        run: list[str] = []
        for it in self.items:
            if it.used or it.kind == Kind.STOP:
                if run:
                    out.append(f"ignored: '{' '.join(run)}'")
                    run = []
                continue
            run.append(it.words)
        if run:
            out.append(f"ignored: '{' '.join(run)}'")
        return out

    def question(self, text: str) -> str:
        event = self.builder.purchase_event()
        syn = (self.catalog.events[event].synonyms or [event])[0] if event else "did something"
        trait = next((n for n, s in self.catalog.traits.items() if s.values), None)
        trait_hint = f", a trait (e.g. '{trait} is {self.catalog.traits[trait].values[0]}')" if trait else ""
        return (f"I could not find a segment condition in {text.strip()!r}. Could you say it in terms of "
                f"what people did (e.g. '{syn} in the last 30 days'){trait_hint} or a saved segment?")

    def closed_values(self, field: str, is_trait: bool) -> list[str] | None:
        """The values a trait or property can take, when its list is closed (else None)."""
        spec = (self.catalog.traits if is_trait else self.catalog.properties).get(field)
        return [str(v) for v in spec.values] if spec is not None and spec.closed else None
