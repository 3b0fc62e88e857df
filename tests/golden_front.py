"""The parse, check and compile results of a fixed corpus of texts, for tests/test_front_golden.py.

The corpus (tests/data/front_corpus.json) is every expected definition of the eval suites and templates, trees
drawn from tests/strategies.py (with the demo catalog's names and with any names), the same texts recased, spread
over lines, and broken in small ways (cut short, a character dropped or added, a bad date, a huge number, a word
in capitals). The expected results (tests/data/front_golden.json) were written by main at e4f8076, before the
parse / check / compile speed-up: they say what must not change (ASTs, every span, every diagnostic, the SQL).
Written again (`golden`, below) only for a deliberate change, checked entry by entry: Spark's bucketed rankings
(2 SQL texts), "expected ..." lists that name more named days and keep their last hint when cut (97 messages),
and named periods' years capped at 2100, where the holidays package ends (14 texts; 4 of them crashed check),
DuckDB's anti-joins as NOT IN (195 texts, their SQL only; the 6 written in full had NOT EXISTS there), and a text
value holding a NUL character refused by the checker (8 texts: that one diagnostic added, the rest unchanged),
and sequences and restarts in the reference plan keeping only rows with a contact id, with DuckDB's `then did
not` over a month or less read as rows (71 texts: 45 sequences, 23 restarts, 3 `in segment "cart_abandoners"`;
their SQL only).

    python -m tests.golden_front corpus   # draw a new corpus (then write the golden file again from main)
    python -m tests.golden_front golden   # write the expected results with the code on PYTHONPATH
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import warnings
from datetime import datetime
from pathlib import Path

import yaml

from grammar import ast as A
from grammar.catalog import load_catalog
from grammar.check import check
from grammar.compile import DIALECTS, compile_segment
from grammar.errors import SegmentError
from grammar.format import format_segment
from grammar.parser import parse

DATA = Path(__file__).with_name("data")
CORPUS, GOLDEN = DATA / "front_corpus.json", DATA / "front_golden.json"
AS_OF = datetime(2026, 11, 1)
ROOT = Path(__file__).resolve().parents[1]


def segments() -> dict[str, A.Condition]:
    from assistant.segments import templates
    return {name: t.condition for name, t in templates().items()}


def _suite_texts() -> list[str]:
    out = []
    for path in sorted((ROOT / "evals" / "suites").glob("*.yaml")):
        suite = yaml.safe_load(path.read_text())
        out += list((suite.get("segments") or {}).values())
        out += [c["expected"] for c in suite.get("cases", []) if isinstance(c.get("expected"), str)]
    from assistant.segments import templates
    return list(dict.fromkeys(out + [t.dsl for t in templates().values()]))


def _drawn(n: int) -> list[str]:
    from tests import strategies as S
    catalog = load_catalog()
    traits, props = sorted(catalog.traits), sorted(catalog.properties)
    import hypothesis.strategies as st
    own = S.segment_trees(st.sampled_from(sorted(catalog.events)), st.sampled_from(props), st.sampled_from(traits))
    texts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            texts.append(format_segment((own if i % 3 else S.conditions).example()))
    return texts


def _spread(text: str, rnd: random.Random) -> str:
    """The same words over several lines, with extra spaces."""
    return "".join(rnd.choice(["\n  ", "   ", "\n"]) if ch == " " and rnd.random() < 0.3 else ch for ch in text)


def _broken(text: str, rnd: random.Random) -> str:
    how = rnd.randrange(7)
    i = rnd.randrange(len(text) + 1)
    if how == 0:
        return text[:i]
    if how == 1:
        return text[:i] + text[i + 1:]
    if how == 2:
        return text[:i] + rnd.choice("&()[],\"'x9-.%=<Q_") + text[i:]
    if how == 3:
        words = text.split(" ")
        j = rnd.randrange(len(words))
        words[j] = words[j].upper() if rnd.random() < 0.5 else words[j].title()
        return " ".join(words)
    if how == 4:
        return text.replace("last", "lst", 1) if rnd.random() < 0.5 else text.replace("order_completed", "order_complete", 1)
    if how == 5:
        return text + rnd.choice([" and signup_at before 2026-13-01", " and amount > 99999999999999",
                                  " and plan = \"Trial\"", " and did order_completed between 5 and 2 times",
                                  " and did not", " or", " and (plan = \"trial\"", " and signup_at after 2026-02-30"])
    return text.replace(" ", "", 1)


def make_corpus() -> list[str]:
    from tests.strategies import recased_keywords
    rnd = random.Random(13)
    base = _suite_texts() + _drawn(500)
    texts = list(base)
    for text in base:
        if rnd.random() < 0.3:
            texts.append(recased_keywords(text, [rnd.randrange(4) for _ in range(5)]))
        if rnd.random() < 0.3:
            texts.append(_spread(text, rnd))
        for _ in range(2):
            texts.append(_broken(text, rnd))
    texts += ["", "   ", "(", "did", "top 10% by", 'in segment "nope"', 'in segment "vips" and not in segment "vips"']
    return list(dict.fromkeys(texts))


def _spans(node: A.Condition) -> list:
    return [[type(n).__name__, *(n.span.model_dump().values() if n.span else [])] for n in A.walk(node)]


def _small(node: A.Condition) -> bool:
    """Whether its SQL is of a reasonable size (`in at least 1 of last 999999 months` is one CASE branch a month)."""
    return not any(isinstance(n, A.Regular) and n.periods > 400 for n in A.walk(node))


def _sql(node: A.Condition, catalog, segs, dialects, plans) -> str:
    out = []
    for plan in plans:
        for dialect in dialects:
            try:
                out.append(compile_segment(node, catalog, dialect, AS_OF, segs, plan=plan))
            except SegmentError as err:
                out.append("error: " + json.dumps([d.model_dump() for d in err.diagnostics]))
            except Exception as err:  # noqa: BLE001
                out.append(f"crash: {type(err).__name__}: {err}")
    return "\n;\n".join(out)


def results(texts: list[str], full_sql: set[str], sql: bool = True) -> list[dict]:
    catalog, segs = load_catalog(), segments()
    out = []
    for text in texts:
        try:
            node = parse(text)
        except SegmentError as err:
            out.append({"error": [d.model_dump() for d in err.diagnostics]})
            continue
        got = {"ast": A.condition_to_json(node), "spans": _spans(node)}
        try:
            diags = check(node, catalog, segs, name="me", as_of=AS_OF)
        except Exception as err:  # noqa: BLE001 (a crash is a result too: it must not change here either)
            got["check_crash"] = f"{type(err).__name__}: {err}"
            out.append(got)
            continue
        got["check"] = [d.model_dump() for d in diags]
        if sql and not any(d.severity == "error" for d in diags) and _small(node):
            if text in full_sql:
                got["sql"] = _sql(node, catalog, segs, DIALECTS, ("planned", "reference"))
            else:
                sql = _sql(node, catalog, segs, ("duckdb", "bigquery"), ("planned",)) + \
                    _sql(node, catalog, segs, ("duckdb",), ("reference",))
                got["sql_sha"] = hashlib.sha256(sql.encode()).hexdigest()
        out.append(got)
    return out


def full_sql_texts() -> set[str]:
    from assistant.segments import templates
    return {t.dsl for t in templates().values()} | set(_suite_texts()[:60])


def main() -> None:
    what = sys.argv[1]
    if what == "corpus":
        CORPUS.write_text(json.dumps(make_corpus(), indent=0, ensure_ascii=False) + "\n")
    elif what == "golden":
        texts = json.loads(CORPUS.read_text())
        rows = (json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in results(texts, full_sql_texts()))
        GOLDEN.write_text("[\n" + ",\n".join(rows) + "\n]\n")  # one text's results a line: readable diffs
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
