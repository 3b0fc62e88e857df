"""One data form between stages: the AST. A request's text is parsed at most once and a segment compiled
once per request (the SQL and the preview share the compiled expression), counted on the real parser and
compiler."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.chat import ChatSession
from assistant.data.preview import Database
from assistant.pipeline import build_result, draft
from assistant.segments import templates
from assistant.translate.offline import OfflineTranslator
from grammar import compile as compiler
from grammar import parser
from grammar.catalog import load_catalog

AS_OF = datetime(2026, 11, 1)


@pytest.fixture
def counts(monkeypatch):
    """Calls of the Lark parser and of segment compiles (the universe and stat measures are not segments)."""
    seen = {"parse": 0, "compile": 0}
    lark = parser._parser()
    real_parse, real_build = lark.parse, compiler._Compiler.build

    def parse(*args, **kwargs):
        seen["parse"] += 1
        return real_parse(*args, **kwargs)

    def build(self, node):
        seen["compile"] += node is not None
        return real_build(self, node)

    monkeypatch.setattr(lark, "parse", parse)
    monkeypatch.setattr(compiler._Compiler, "build", build)
    return seen


@pytest.fixture(scope="module")
def setting(demo_db):
    catalog = load_catalog()
    segments = {name: t.condition for name, t in templates().items()}  # the store's trees, parsed when it loads
    return catalog, segments, Database(demo_db)


def test_a_draft_with_preview_parses_nothing_and_compiles_once(setting, counts):
    catalog, segments, db = setting
    request = "VIPs in Germany who bought in the last 30 days"
    draft(request, translator=OfflineTranslator(), catalog=catalog, as_of=AS_OF, db=db, segments=segments)  # warm
    counts.update(parse=0, compile=0)
    result = draft(request, translator=OfflineTranslator(), catalog=catalog, as_of=AS_OF, db=db, segments=segments)
    assert result.count and result.sql and result.stats
    assert counts == {"parse": 0, "compile": 1}


def test_a_dsl_preview_parses_its_text_once_and_compiles_once(setting, counts):
    catalog, segments, db = setting
    node = parser.parse('country = "DE" and did order_completed in last 30 days')  # the edge: text arrives
    result = build_result("", None, catalog=catalog, as_of=AS_OF, dialect="duckdb", db=db, segments=segments,
                          condition=node)
    assert result.count
    assert counts == {"parse": 1, "compile": 1}


def test_a_chat_turn_parses_nothing(setting, counts):
    catalog, segments, _ = setting
    chat = ChatSession(OfflineTranslator(), catalog, AS_OF, segments)
    chat.send("customers who bought in the last 30 days")
    counts.update(parse=0, compile=0)
    turn = chat.send("only those in Germany")
    assert turn.dsl == 'did order_completed in last 30 days and country = "DE"'
    assert counts == {"parse": 0, "compile": 0}
