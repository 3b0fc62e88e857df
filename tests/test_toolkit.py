"""The AST toolkit: walk and transform over every node kind, the units table, negate / conjoin and the eval
normal form (grammar/algebra.py), with hypothesis over generated trees and member sets on the demo store."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import ast as A
from grammar import units
from grammar.algebra import conjoin, contradiction, negate, normalise
from grammar.format import format_segment
from grammar.parser import parse
from tests.strategies import conditions

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- walk / transform ----------------------------------------------------------------------------------

def test_walk_reaches_filters_steps_windows_and_durations():
    node = parse('did a where (x = 1 and not (y = 2 or z is set)) in last 3 days then did b within 2 days '
                 'and top 5 by total amount of c in last 30 days')
    kinds = {type(n).__name__ for n in A.walk(node)}
    assert kinds >= {"And", "Sequence", "EventRef", "FilterAnd", "FilterNot", "FilterOr", "PropertyCondition",
                     "InLast", "SequenceStep", "Duration", "Rank", "Measure"}


@FAST
@given(conditions)
def test_identity_transform_returns_an_equal_tree(node):
    same = A.transform(node, lambda n: n)
    assert same == node
    assert same is node  # nothing changed, nothing rebuilt


@FAST
@given(conditions)
def test_a_renaming_transform_reaches_every_event(node):
    def rename(n):
        return n.model_copy(update={"name": "renamed"}) if isinstance(n, A.EventRef) else n

    renamed = A.transform(node, rename)
    events = [n for n in A.walk(renamed) if isinstance(n, A.EventRef)]
    assert len(events) == sum(isinstance(n, A.EventRef) for n in A.walk(node))
    assert all(e.name == "renamed" for e in events)
    assert parse(format_segment(renamed)) == renamed


def test_transform_is_bottom_up_and_keeps_spans():
    node = parse("not (a = 1 and b = 2)")
    seen = []
    A.transform(node, lambda n: seen.append(n.kind) or n)
    assert seen == ["trait", "trait", "and", "not"]
    swapped = A.transform(node, lambda n: A.TraitCondition(trait="c", op="=", value=3)
                          if isinstance(n, A.TraitCondition) and n.trait == "a" else n)
    assert format_segment(swapped) == "not (c = 3 and b = 2)"
    assert swapped.span == node.span


# ---- units ---------------------------------------------------------------------------------------------

def test_one_units_table():
    assert units.UNITS == ("minute", "hour", "day", "week", "month", "year")
    assert set(units.UNITS) == set(A.Unit.__args__)
    assert units.UNIT_WORDS["days"] == "day" and units.plural(1, "day") == "1 day" and units.plural(2, "week") == "2 weeks"
    assert units.seconds(1, "month") == 30 * 86400 and units.seconds(1, "year") == 365 * 86400
    assert units.largest_unit([14, 28], "day") == ([2, 4], "week")
    assert units.largest_unit([60], "day") == ([2], "month")
    assert units.largest_unit([90], "minute") == ([90], "minute")


# ---- negate / conjoin -----------------------------------------------------------------------------------

def test_negate_reads_the_way_a_person_writes():
    cases = {
        'country = "DE"': 'country != "DE"',
        'country in ["DE", "AT"]': 'country not in ["DE", "AT"]',
        "email_consent = true": "email_consent = false",
        "birthday is set": "birthday is not set",
        'city contains "x"': 'city not contains "x"',
        "did order_completed": "did not order_completed",
        "not did order_completed": "did order_completed",
        "amount > 5": "not amount > 5",
        "a = 1 and b = 2": "not (a = 1 and b = 2)",
    }
    for text, negated in cases.items():
        assert format_segment(negate(parse(text))) == negated


def test_negate_filters():
    where = parse('did x where (amount > 5 and category = "shoes")').event.where
    assert negate(where) == A.FilterNot(condition=where)
    assert negate(negate(where)) == where
    prop = where.conditions[1]
    assert negate(prop).op == "!=" and isinstance(negate(where.conditions[0]), A.FilterNot)


def test_conjoin_flattens():
    a, b, c = (parse(t) for t in ("a = 1", "b = 2", "c = 3"))
    assert conjoin(A.And, [a]) is a
    assert conjoin(A.And, [A.And(conditions=[a, b]), c]) == A.And(conditions=[a, b, c])
    assert conjoin(A.Or, [A.And(conditions=[a, b]), c]) == A.Or(conditions=[A.And(conditions=[a, b]), c])
    f = [parse(f"did x where ({t})").event.where for t in ("p = 1", "q = 2 and r = 3")]
    assert conjoin(A.FilterAnd, f) == A.FilterAnd(conditions=[f[0], *f[1].conditions])


@FAST
@given(conditions)
def test_negate_twice_reads_the_same(node):
    twice = negate(negate(node))
    if isinstance(node, A.Not) and not isinstance(negate(node.condition), A.Not):
        # not (x = 1) -> x = 1 -> x != 1: the person's reading of 'not' on a value, as negate promises
        assert twice == negate(node.condition)
    elif isinstance(node, A.TraitCondition) and node.op == "!=" and isinstance(node.value, bool):
        # 'x != true' and 'x = false' both negate to 'x = true' (the same members on a boolean)
        assert twice == node.model_copy(update={"op": "=", "value": not node.value})
    else:  # the same tree, up to double negations negate drops on the way (not not not x -> not x)
        assert normalise(twice) == normalise(node)


# ---- normal form ---------------------------------------------------------------------------------------

def test_normalise():
    same = [("did x in last 14 days and a = 1", "a = 1 and did x in last 2 weeks"),
            ("a in [2, 1] or (b = 1 or c = 1)", "c = 1 or b = 1 or a in [1, 2]"),
            ("not not a = 1", "a = 1"), ("did x at least 1 time", "did x"), ('a in ["x"]', 'a = "x"'),
            ("did x between 2 and 2 times", "did x exactly 2 times")]
    for left, right in same:
        assert normalise(parse(left)) == normalise(parse(right))


@FAST
@given(conditions)
def test_normalise_is_idempotent_and_formats(node):
    once = normalise(node)
    assert normalise(once) == once
    assert parse(format_segment(once)) == once


# ---- negate on real data ----------------------------------------------------------------------------------

_leaves = st.one_of(
    st.builds(A.TraitCondition, trait=st.just("country"), op=st.sampled_from(["=", "!="]),
              value=st.sampled_from(["US", "DE", "GB"])),
    st.builds(A.TraitCondition, trait=st.just("country"), op=st.sampled_from(["in", "not_in"]),
              value=st.lists(st.sampled_from(["US", "DE", "GB"]), min_size=1, max_size=2)),
    st.builds(A.TraitCondition, trait=st.sampled_from(["email_consent", "sms_consent"]), op=st.sampled_from(["=", "!="]),
              value=st.booleans()),
    st.builds(A.TraitCondition, trait=st.just("birthday"), op=st.sampled_from(["is_set", "is_not_set"])),
    st.builds(A.TraitCondition, trait=st.just("city"), op=st.sampled_from(["contains", "not_contains"]),
              value=st.sampled_from(["a", "ber"])),
    st.builds(A.Did, event=st.builds(A.EventRef, name=st.sampled_from(["order_completed", "app_opened"])),
              window=st.none() | st.builds(A.InLast, amount=st.integers(1, 90), unit=st.just("day"))),
)
_trees = st.recursive(_leaves, lambda inner: st.one_of(
    st.builds(A.And, conditions=st.lists(inner, min_size=2, max_size=3)),
    st.builds(A.Not, condition=inner)), max_leaves=4)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(node=_trees)
def test_negate_twice_selects_the_same_members(node, demo_db, catalog, as_of):
    """Exact on the demo store, where these traits are always set (on an unset value '!=' and 'not =' part)."""
    from assistant.data.preview import Database, member_ids
    from grammar.compile import compile_segment

    db = Database(demo_db)
    run = lambda n: member_ids(db, compile_segment(n, catalog, "duckdb", as_of))  # noqa: E731
    assert run(negate(negate(node))) == run(node)


# ---- kind dispatch covers every kind ---------------------------------------------------------------------

def test_every_kind_has_a_formatter_a_reading_and_a_compile_rule():
    import typing

    from grammar import compile as compile_stage, explain as explain_stage, format as format_stage
    from grammar.check import _Checker
    from grammar.compile import sql as compile_sql

    def kinds(union):
        return {m.model_fields["kind"].default for m in typing.get_args(typing.get_args(union)[0])}

    assert kinds(A.Condition) == set(format_stage._CONDITIONS)
    assert kinds(A.Window) == set(format_stage._WINDOWS) == set(explain_stage._WINDOWS) == set(compile_stage._BOUNDS)
    assert kinds(A.Filter) == set(format_stage._FILTERS) == set(explain_stage._FILTERS)
    assert kinds(A.Filter) == set(compile_sql._FILTERS)  # one compile rule per filter kind, shared by both plans
    for kind in kinds(A.Condition):
        assert hasattr(explain_stage._Explainer, f"c_{kind}") and hasattr(_Checker, f"c_{kind}")
        assert hasattr(compile_stage._Compiler, f"c_{kind}")


# ---- one dialect check, one error envelope ---------------------------------------------------------------

def test_check_dialect():
    import pytest

    from grammar.compile import DIALECTS, UnknownDialect, check_dialect

    assert [check_dialect(d) for d in DIALECTS] == list(DIALECTS)
    with pytest.raises(UnknownDialect, match=r"unknown dialect 'oracle'; choose one of duckdb, postgres, "):
        check_dialect("oracle")
    assert issubclass(UnknownDialect, ValueError)  # compile_segment's error, as before


def test_error_envelope():
    from grammar.errors import Diagnostic, ErrorInfo, error_envelope

    diag = Diagnostic(code="unknown", message="unknown event 'x'", line=1, column=5)
    assert error_envelope("invalid_segment", "bad", [diag]) == {"error": {
        "code": "invalid_segment", "message": "bad",
        "diagnostics": [{"code": "unknown", "message": "unknown event 'x'", "severity": "error", "line": 1, "column": 5}]}}
    assert error_envelope("usage", "no") == {"error": {"code": "usage", "message": "no", "diagnostics": []}}
    assert ErrorInfo(code="c", message="m", diagnostics=[diag]).envelope() == error_envelope("c", "m", [diag])


@pytest.mark.parametrize("dsl,clash", [
    ("did not order_completed and total amount of order_completed > 500", True),
    ("did not order_completed and average amount of order_completed < 20", True),  # no orders: no average
    ('did not order_completed and did order_completed where (product_category = "shoes")', True),
    ("did not email_opened in last 30 days and did email_opened at least 2 times in last 30 days", True),
    ('country = "DE" and (did not app_opened and first app_opened in last 7 days)', True),
    ("did not order_completed and total amount of order_completed < 500", False),  # zero is under 500
    ("did not order_completed in last 30 days and did order_completed in last 90 days", False),
    ('did not order_completed where (product_category = "shoes") and did order_completed', False),
    ("did not order_completed and did order_completed at most 2 times", False),
    ("did not order_completed or total amount of order_completed > 500", False),
    ("signup_at in last 7 days and signup_at more than 1 year ago", True),
    ("signup_at in last 30 days and signup_at more than 7 days ago", False),
])
def test_contradiction_finds_and_ed_conditions_no_one_meets(dsl, clash, demo_db, catalog, as_of):
    from assistant.data.preview import Database, member_ids
    from grammar.compile import compile_segment

    node = parse(dsl)
    assert (contradiction(node) is not None) == clash
    if clash:  # and indeed no one in the demo store is in it
        assert member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", as_of)) == set()


def test_contradiction_looks_into_saved_segments():
    segments = {"fresh": parse("signup_at in last 14 days")}
    assert contradiction(parse('in segment "fresh" and signup_at more than 2 months ago'), segments) is not None
    assert contradiction(parse('in segment "fresh" and signup_at more than 2 days ago'), segments) is None
