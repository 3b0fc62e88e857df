"""Parse, check and compile give exactly what they gave before they were made fast: every AST, every span,
every diagnostic (message, position, suggestion) and the SQL, over a corpus of valid and broken texts. The
expected results were written by main before the change (see tests/golden_front.py)."""

from __future__ import annotations

import json

import pytest

from tests import golden_front as G


@pytest.fixture(scope="module")
def corpus():
    texts = json.loads(G.CORPUS.read_text())
    golden = json.loads(G.GOLDEN.read_text())
    assert len(texts) == len(golden)
    return texts, golden


def _compare(texts, golden, sql: bool):
    mismatches = []
    for i, (text, want, got) in enumerate(zip(texts, golden, G.results(texts, G.full_sql_texts(), sql=sql))):
        if not sql:
            want = {k: v for k, v in want.items() if not k.startswith("sql")}
        if got != want:
            mismatches.append((i, text, want, got))
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ; first: {mismatches[0]}"


def test_asts_spans_and_diagnostics_are_unchanged(corpus):
    texts, golden = corpus
    assert sum("error" in g for g in golden) > 500 and sum("ast" in g for g in golden) > 1500
    _compare(texts, golden, sql=False)


@pytest.mark.slow
def test_sql_is_unchanged(corpus):
    texts, golden = corpus
    assert sum("sql" in g for g in golden) > 50 and sum("sql_sha" in g for g in golden) > 500
    _compare(texts, golden, sql=True)
