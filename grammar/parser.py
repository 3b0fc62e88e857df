"""Parse stage: DSL text -> AST, or a SegmentError whose diagnostics say where and what was expected."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Shift

from grammar import ast as A
from grammar.build_ast import AstBuilder, span as _span
from grammar.errors import Diagnostic, SegmentError

GRAMMAR_PATH = Path(__file__).with_name("segment.lark")


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text()


class _TouchingWords(Exception):
    def __init__(self, first: Token, second: Token):
        self.first, self.second = first, second


class _WordBoundaries:
    """Keywords are read in any case but names only in lower case, so a lexer without lookahead would read
    `Order` as `Or` + `der` and `ANDroid` as `AND` + `roid`. Two words touching with no space between them
    can only come from such a split (a lower-case word is one NAME, longest match), so it is an error."""

    always_accept = ()

    def process(self, stream):
        prev = None
        for tok in stream:
            if (prev is not None and prev.end_pos == tok.start_pos and _ends_word(prev.value)
                    and (tok.value[:1].isalnum() or tok.value[:1] == "_")):
                raise _TouchingWords(prev, tok)
            prev = tok
            yield tok


def _tok_span(tok: Token) -> A.Span:
    return A.Span(line=tok.line, column=tok.column, end_line=tok.end_line, end_column=tok.end_column)


class _Unparsed(Exception):
    """The fast path stopped: a syntax error (Lark's own parse then says it exactly) or a value the AST rejects."""

    def __init__(self, box=None, error: Exception | None = None):
        self.box, self.error = box, error


_SHIFT, _PASS, _UNARY, _REDUCE = 0, 1, 2, 3  # the parse table's actions (see _SegmentParser.actions)


def _fast_scanner(lexer) -> re.Pattern:
    """Lark's terminals as one expression that is several times faster to match, and reads what Lark's reads
    wherever it matches: the ignored terminals (whitespace) before a token, then the token, or the end.
    Keywords in any case (`"and"i`: a hundred alternatives tried one by one) are left out: in lower case a
    NAME reads them (Lark's callback then names the keyword), and a letter that starts no terminal before the
    first keyword in Lark's order is left to Lark's own expression, so no keyword is missed."""
    terms = lexer.terminals
    keywords = [t for t in terms if t.pattern.type == "str" and "i" in t.pattern.flags]
    first = terms.index(keywords[0]) if keywords else len(terms)
    if any(terms.index(t) > first for t in terms if t.name in lexer.ignore_types):
        raise TypeError("an ignored terminal comes after a keyword in Lark's order")

    def group(t) -> str:
        return f"(?P<{t.name}>{t.pattern.to_regexp()})"

    skip = "|".join(t.pattern.to_regexp() for t in terms if t.name in lexer.ignore_types)
    before = "|".join(group(t) for t in terms[:first] if t.name not in lexer.ignore_types)
    after = "|".join(group(t) for t in terms[first:] if t not in keywords)
    # after the first keyword, only a token that does not start with a letter: there a keyword might come first
    # possessive (`*+`): whitespace before a text no terminal reads is not tried again shorter, run by run
    return re.compile(f"(?:{skip})*+(?:{before}|(?![^\\W\\d_])(?:{after})|\\Z)", lexer.g_regex_flags)


class _SegmentParser:
    """Lark's terminals and LALR table, driven here: tokens are read with the regular expression of Lark's
    lexer, and each rule's AST node is built as the parser reduces it (no Token objects, no parse tree, no
    second pass; Lark's own `parse` needs a tree first to know where each rule is). Any error goes back to
    `lark.parse`, so syntax errors are Lark's, word for word.

    Two stacks: the LALR states, and for every token and reduced rule (value, line, column, end line, end
    column): the text it covers, as Lark's propagated positions say. A rule inlined into its parent (`?rule`
    with one child) covers its own text, so `(a or b) and c` starts at the parenthesis while `a or b` inside
    it does not; over a single child it is that child (only the state changes: a `_PASS`)."""

    def __init__(self, lark: Lark):
        self.lark = lark
        lexer = lark.parser.lexer.lexer  # the basic lexer inside the post-lexer
        if len(lexer.scanner._mres) != 1:
            raise TypeError("the lexer's terminals do not fit one regular expression")
        self.full_match = lexer.scanner._mres[0].match  # Lark's own: every terminal, in Lark's order
        self.fast_match = _fast_scanner(lexer).match
        self.ignore, self.newline_types = lexer.ignore_types, lexer.newline_types
        # a NAME that spells a keyword is that keyword: Lark's callback, remembered per word (a function of it)
        self.keyword = {type_: (callback.scanner.fullmatch, {}) for type_, callback in lexer.callback.items()}
        table = lark.parser.parser._parse_table
        self.start_state, self.end_state = table.start_states["start"], table.end_states["start"]
        to_ast = AstBuilder()
        rules = {}
        for actions in table.states.values():
            for action, rule in actions.values():
                if action is Shift or rule in rules:
                    continue
                name = rule.alias or rule.origin.name
                keep = tuple((i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(rule.expansion)
                             if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out))
                method = None if name.startswith("_") else getattr(to_ast, name, None)
                inline = rule.options.expand1 and not rule.alias
                if (not rule.expansion or (method is None and not name.startswith("_") and not inline)
                        or (inline and any(rule.expansion[i].is_term for i, _ in keep))):
                    raise TypeError(f"the grammar rule {rule} is not one this parser builds")
                origin = str(rule.origin.name)
                if inline and len(rule.expansion) == 1 and len(keep) == 1 and not keep[0][1]:
                    rules[rule] = (_PASS, origin)  # `?rule` over one child: that child, the same text
                    continue
                picks = None if any(spliced for _, spliced in keep) else tuple(i for i, _ in keep)  # no splicing
                if len(rule.expansion) == 1 and picks == (0,) and not inline and method is not None:
                    rules[rule] = (_UNARY, (origin, method))  # a node of one token or child, over its text
                    continue
                rules[rule] = (_REDUCE, (len(rule.expansion), origin, keep, picks, inline, method))
        # state -> symbol -> (_SHIFT, next state) | (_PASS, rule name) | (_UNARY, (rule name, method)) |
        # (_REDUCE, rule); plain str keys (Lark's can be its Tokens, whose == is slower). After a reduction,
        # the rule's name is shifted: `actions[state][rule name]` is (_SHIFT, the next state).
        self.actions = {state: {str(sym): (_SHIFT, arg) if action is Shift else rules[arg]
                                for sym, (action, arg) in actions.items()} for state, actions in table.states.items()}

    def lex(self, text: str):
        return self.lark.lex(text)

    def tokens(self, text: str) -> list[tuple[str, tuple[str, int, int, int, int]]]:
        """(type, (value, line, column, end line, end column)) of each token, as Lark's lexer and the
        word-boundary check read them; _Unparsed where they would fail. Each step is one match of the fast
        expression (the whitespace before a token, and the token), or where it does not match (keywords not in
        lower case, or no terminal at all) one match of Lark's own."""
        fast_match, ignore, newline_types, keyword = self.fast_match, self.ignore, self.newline_types, self.keyword
        out = []
        append = out.append
        pos, n, line, line_start = 0, len(text), 1, 0
        lines = "\n" in text  # else every token is on line 1
        prev_end, prev_word = -1, False
        while pos < n:
            m = fast_match(text, pos)
            if m is not None:
                type_ = m.lastgroup
                if type_ is None:  # only ignored text up to the end
                    break
                end = m.end()
                value = m.group(type_)
                start = end - len(value)
                if lines:  # newlines in the whitespace before the token
                    newlines = text.count("\n", pos, start)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, start) + 1
            else:
                m = self.full_match(text, pos)
                if m is None:
                    raise _Unparsed()  # no terminal matches here
                type_, start, end = m.lastgroup, pos, m.end()
                value = m.group()
            line0, column = line, start - line_start + 1
            if lines and type_ in newline_types:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = start + value.rindex("\n") + 1
            pos = end
            if type_ in ignore:
                continue
            if type_ in keyword:
                fullmatch, kinds = keyword[type_]
                kind = kinds.get(value)
                if kind is None:
                    kind = fullmatch(value) or type_
                    if len(kinds) < 10_000:
                        kinds[value] = kind
                type_ = kind
            if start == prev_end and prev_word and (value[0].isalnum() or value[0] == "_"):
                raise _Unparsed()  # two words touching: see _WordBoundaries
            prev_end, prev_word = end, value[-1].isalpha() or value[-1] == "_"  # _ends_word, inline
            append((type_, (value, line0, column, line, end - line_start + 1)))
        return out

    def parse(self, text: str) -> A.Condition:
        """DSL text -> AST; raises _Unparsed on any error."""
        actions, end_state = self.actions, self.end_state
        states, values = [self.start_state], []
        tokens = self.tokens(text)
        tokens.append(("$END", None))
        try:
            for type_, token in tokens:
                while True:
                    action, arg = actions[states[-1]][type_]
                    if action is _SHIFT:
                        states.append(arg)
                        values.append(token)
                        break
                    if action is _PASS:
                        states[-1] = actions[states[-2]][arg][1]
                    elif action is _UNARY:
                        origin, method = arg
                        child = values[-1]
                        box = child[1:]
                        try:
                            values[-1] = (method(box, [child[0]]), *box)
                        except Exception as err:  # see _reduce
                            raise _Unparsed(box, err) from None
                        states[-1] = actions[states[-2]][origin][1]
                    else:
                        self._reduce(arg, states, values, actions)
                    if states[-1] == end_state:
                        return values[-1][0]
        except KeyError:
            raise _Unparsed() from None
        raise _Unparsed()

    @staticmethod
    def _reduce(rule, states, values, actions) -> None:
        size, origin, keep, picks, inline, method = rule
        raw = values[-size:]
        del states[-size:]
        del values[-size:]
        box = (raw[0][1], raw[0][2], raw[-1][3], raw[-1][4])
        if picks is not None:
            items = [raw[i] for i in picks]
        else:
            items = []
            for i, spliced in keep:
                if spliced:
                    items += raw[i][0]
                else:
                    items.append(raw[i])
        states.append(actions[states[-1]][origin][1])
        if inline and len(items) == 1:  # `?rule` with one child: the child itself, over this rule's text
            values.append((items[0][0], *box))
        elif method is None:  # a `_helper` rule (Lark's expansion of `x*`): its children go into its parent's
            values.append((items, *box))
        else:
            try:
                values.append((method(box, [x[0] for x in items]), *box))
            except Exception as err:  # a value the grammar admits but the AST rejects (a bad date, a huge number)
                raise _Unparsed(box, err) from None


@lru_cache(maxsize=1)
def _parser() -> _SegmentParser:
    return _SegmentParser(Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=False,
                               postlex=_WordBoundaries()))


# Readable names for the grammar's terminals, for "expected ..." messages.
_TOKEN_NAMES = {
    "NAME": "a name", "STRING": 'a quoted text like "DE"', "NUMBER": "a whole number",
    "LONG_NUMBER": "a number", "NEGATIVE_NUMBER": "a number", "DECIMAL": "a number", "DATE": "a date like 2026-01-01", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "$END": "the end of the definition",
}


def _expected(parser: Lark, names) -> str:
    words = set()
    for name in names:
        if name in _TOKEN_NAMES:
            words.add(_TOKEN_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
            words.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
        except KeyError:
            words.add(name.lower())
    ordered = sorted(words)
    if len(ordered) > 12:  # cut the keywords, keep what describes a value ("a date like 2026-01-01")
        kinds = [w for w in ordered if not w.startswith("'")]
        ordered = [w for w in ordered if w.startswith("'")][:12 - len(kinds)] + ["..."] + kinds
    return ", ".join(ordered)


def _accepted(err: UnexpectedInput) -> set[str]:
    """The terminals the parser can take at the error. LALR merges lookaheads, so the state's own table
    (`expected`, `allowed`) can name tokens that are not valid there, like ')' with no '(' open."""
    accepts = getattr(err, "accepts", None)
    if accepts:
        return accepts
    interactive = getattr(err, "interactive_parser", None)
    if interactive is not None:
        return interactive.accepts()
    return getattr(err, "expected", None) or getattr(err, "allowed", None) or set()


def _syntax_error(text: str, err: UnexpectedInput, parser: Lark) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = _expected(parser, _accepted(err))
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
            return Diagnostic(code="syntax", message=f"the definition ends too early; expected {expected}",
                              line=line, column=col, end_line=line, end_column=col + 1)
        word = text[tok.start_pos:_word_end(text, tok.end_pos)] if _ends_word(tok.value) else tok.value
        if word != tok.value:  # a keyword read off the front of a word: ANDROID_users
            return _split_word(word, tok)
        return Diagnostic(code="syntax", message=f"unexpected {tok.value!r}; expected {expected}",
                          **_tok_span(tok).model_dump())
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        allowed = _accepted(err)
        hint = f"; expected {_expected(parser, allowed)}" if allowed else ""
        if char == "'":
            hint = "; text values use double quotes, like \"DE\""
        return Diagnostic(code="syntax", message=f"unexpected character {char!r}{hint}", line=err.line,
                          column=err.column, end_line=err.line, end_column=err.column + 1)
    if isinstance(err, UnexpectedEOF):
        return Diagnostic(code="syntax", message=f"the definition ends too early; expected {_expected(parser, err.expected)}")
    return Diagnostic(code="syntax", message=str(err))


def _ends_word(value: str) -> bool:
    return value[-1:].isalpha() or value[-1:] == "_"


def _split_word(word: str, first: Token) -> Diagnostic:
    """A word the lexer could only read as a keyword glued to more text (`Order`, `ANDROID_users`)."""
    return Diagnostic(code="syntax", message=f"unexpected {word!r}; names are lower-case letters, digits and _",
                      line=first.line, column=first.column, end_line=first.line, end_column=first.column + len(word))


def _word_end(text: str, pos: int) -> int:
    while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
        pos += 1
    return pos


def parse(text: str) -> A.Condition:
    """DSL text -> AST. Raises SegmentError with positioned diagnostics."""
    parser = _parser()
    if not text.strip():
        raise SegmentError([Diagnostic(code="empty", message="the definition is empty")], text)
    try:
        return parser.parse(text)
    except _Unparsed as err:
        failed = err
    try:  # Lark's own parse of the text says what is wrong with its syntax, if anything is
        parser.lark.parse(text)
    except UnexpectedInput as err:
        raise SegmentError([_syntax_error(text, err, parser.lark)], text) from None
    except _TouchingWords as err:
        word = text[err.first.start_pos:_word_end(text, err.second.end_pos)]
        raise SegmentError([_split_word(word, err.first)], text) from None
    if failed.error is None:
        raise RuntimeError(f"the segment parser and Lark disagree on {text!r}")
    orig = failed.error
    message = orig.errors()[0]["msg"] if hasattr(orig, "errors") else str(orig)
    if isinstance(orig, json.JSONDecodeError):
        message = f"bad escape in a quoted text: {orig.msg}"
    message = message.removeprefix("Value error, ")
    raise SegmentError([Diagnostic.at(_span(failed.box), "value", message)], text) from None


def parse_measure(text: str) -> A.Measure:
    """A per-contact measure in DSL words ('total amount of order_completed'), read through the grammar's
    own rank rule, so measures have exactly one syntax."""
    node = parse(f"top 1 by {text}")
    if not isinstance(node, A.Rank):
        raise SegmentError([Diagnostic(code="syntax", message=f"not a measure: {text!r}")], text)
    return node.measure
