"""Eval suites, scoring, runner (resume, record/replay), reports and compare."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.data.preview import Database
from assistant.translate.contract import OpenPoint, Translation, Usage
from evals.cli import evals_app
from evals.compare import compare
from evals.report import summarise, write_reports
from evals.runner import RESULTS, Combination, RunError, combinations, read_results, start_run
from evals.scoring import CaseResult, Prices, Scorer, canonical_text, jaccard, same_segment
from evals.suite import CAPABILITIES, Case, SuiteError, load_suite, load_suites, shipped_suites
from grammar.check import validate
from grammar.compile import compile_segment
from grammar.format import format_segment
from grammar.parser import parse
from tests.scripted_model import COMPLETION_TOKENS, PROMPT_TOKENS, _scripted_server, scripted_model, text  # noqa: F401

# ---- the shipped suites ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suites():
    return load_suites(shipped_suites())


def test_shipped_suites_are_big_unique_and_cover_every_capability(suites):
    cases = [c for s in suites for c in s.cases]
    assert len(cases) >= 200
    ids = Counter(c.id for c in cases)
    assert [i for i, n in ids.items() if n > 1] == []
    tagged = Counter(t for c in cases for t in c.tags)
    assert {cap: tagged[cap] for cap in CAPABILITIES if tagged[cap] < 8} == {}
    styles = {"casual", "terse", "typo", "synonym", "long", "chat", "clarify", "refusal", "injection", "seed"}
    assert {s for s in styles if tagged[s] < 5} == set()
    assert {c.expect for c in cases} == {"dsl", "question", "refusal"}
    assert all(c.turns for c in cases if "chat" in c.tags)


def test_every_expected_segment_parses_checks_and_compiles(suites, catalog, as_of):
    problems = []
    for suite in suites:
        segments = {}
        for name, dsl in suite.segments.items():
            segments[name], _ = validate(dsl, catalog)
        for case in suite.cases:
            if case.expected is None:
                continue
            node, warnings = validate(case.expected, catalog, segments)
            compile_segment(node, catalog, as_of=as_of, segments=segments)
            problems += [f"{case.key}: {w.message}" for w in warnings]
    assert problems == []


def test_a_bad_suite_file_says_which_case_and_what(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("suite: bad\ncases:\n  - id: one\n    request: hi\n    tags: [traits, easy]\n"
                    "  - id: two\n    request: hello\n    tags: [trait, easy]\n    expected: 'plan = \"pro\"'\n")
    with pytest.raises(SuiteError) as err:
        load_suite(path)
    message = str(err.value)
    assert "cases[0] (id one)" in message and "needs `expected` DSL" in message
    assert "cases[1] (id two).tags" in message and "unknown tags ['trait']" in message
    with pytest.raises(SuiteError, match="no suite 'nope'"):
        load_suite("nope")


def test_a_suite_must_declare_the_segments_its_expected_dsl_names(tmp_path):
    body = ("suite: refs\n{segments}cases:\n  - id: a\n    request: vips in Spain\n    tags: [segment_refs, easy]\n"
            "    expected: 'in segment \"vips\" and country = \"ES\"'\n")
    path = tmp_path / "refs.yaml"
    path.write_text(body.format(segments=""))
    with pytest.raises(SuiteError, match="case 'a': its expected DSL names segments the suite does not declare: vips"):
        load_suite(path)
    path.write_text(body.format(segments="segments:\n  vips: 'did order_completed at least 5 times'\n"))
    assert load_suite(path).segments == {"vips": "did order_completed at least 5 times"}


# ---- scoring --------------------------------------------------------------------------------------------


def test_normalisation_ignores_order_nesting_units_and_one_item_lists():
    assert same_segment('country in ["FR", "DE"] and (plan = "trial" and did order_completed in last 2 weeks)',
                        'did order_completed at least 1 time in last 14 days and plan in ["trial"] and country in ["DE", "FR"]')
    assert canonical_text(parse("not not (b = 1 or (a = 2 or c = 3))")) == "a = 2 or b = 1 or c = 3"
    assert canonical_text(parse('did x where (b = 1 and (a = 2 and c = 3)) in last 24 hours then did not y within 60 minutes')) \
        == 'did x where (a = 2 and b = 1 and c = 3) in last 1 day then did not y within 1 hour'
    assert not same_segment("did x in last 7 days", "did x in last 8 days")
    assert not same_segment("did x in last 7 days", "not did x in last 7 days")


def test_jaccard():
    assert jaccard(set(), set()) == 1.0
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)


def _case(expected=None, expect="dsl", **extra) -> Case:
    case = Case(id="c", request="r", tags=["did", "easy"], expected=expected, expect=expect, **extra)
    case.suite = "t"
    return case


@pytest.fixture(scope="module")
def scorer(catalog, as_of, demo_db):
    return Scorer(catalog, Database(demo_db), as_of, Prices(input=2.0, output=8.0))


def test_a_reordered_equal_segment_is_a_canonical_and_execution_match(scorer):
    case = _case('country = "DE" and did order_completed in last 90 days')
    got = Translation(dsl='did order_completed in last 3 months and country in ["DE"]', tries=2,
                      usage=Usage(prompt_tokens=1000, completion_tokens=100))
    r = scorer.score(case, got, segments={}, latency_s=0.5)
    assert (r.valid, r.canonical, r.execution, r.jaccard) == (True, True, True, 1.0)
    assert r.expected_count == r.got_count > 0
    assert r.tries == 2 and r.cost == pytest.approx((1000 * 2.0 + 100 * 8.0) / 1e6)


def test_a_different_window_is_an_execution_miss_with_partial_credit(scorer):
    r = scorer.score(_case("did order_completed in last 90 days"),
                     Translation(dsl="did order_completed in last 60 days"), segments={})
    assert (r.valid, r.canonical, r.execution) == (True, False, False)
    assert 0 < r.jaccard < 1 and r.got_count < r.expected_count


def test_an_equivalent_but_differently_written_segment_is_an_execution_match(scorer):
    r = scorer.score(_case('country not in ["FR", "DE"]'),
                     Translation(dsl='not (country = "FR" or country = "DE")'), segments={})
    assert (r.canonical, r.execution) == (False, True)


def test_invalid_dsl_and_questions_score_as_misses(scorer):
    bad = scorer.score(_case("did order_completed"), Translation(dsl="did purchase"), segments={})
    assert (bad.valid, bad.execution, bad.jaccard) == (False, False, 0.0)
    assert "purchase" in bad.error
    asked = scorer.score(_case("did order_completed"), Translation(question="which orders?"), segments={})
    assert (asked.valid, asked.execution) == (False, False)


def test_question_and_refusal_cases_need_that_behaviour_and_no_dsl(scorer):
    question = _case(expect="question")
    assert scorer.score(question, Translation(question="Which campaign?"), segments={}).execution
    assert not scorer.score(question, Translation(dsl="did order_completed"), segments={}).execution
    assert not scorer.score(question, Translation(refusal="no"), segments={}).execution
    injection = _case('plan = "trial"', or_refusal=True)
    assert scorer.score(injection, Translation(refusal="I only build segments"), segments={}).execution
    assert scorer.score(injection, Translation(dsl='plan = "trial"'), segments={}).execution
    assert not scorer.score(injection, Translation(dsl='plan = "pro"'), segments={}).execution


def _partial(dsl: str, words: str = "loyal") -> Translation:
    """A segment with words it did not place, and the question about them."""
    return Translation(dsl=dsl, open_points=[OpenPoint(text=words, start=0, end=len(words))],
                       question=f"What does '{words}' mean here?")


def test_outcomes_count_what_hurts(scorer):
    """correct needs the expected members (or behaviour) AND a complete answer; an honest partial or question
    is asked, never correct and never wrong; a complete wrong answer is wrong_complete, even where a question
    was expected; refusals and errors are neither."""
    wanted = _case("did order_completed in last 90 days")
    right, wrong = "did order_completed in last 90 days", "did order_completed in last 60 days"

    def scored(case, translation, **kw):
        r = scorer.score(case, translation, segments={}, **kw)
        return r.status, r.outcome

    assert scored(wanted, Translation(dsl=right)) == ("complete", "correct")
    assert scored(wanted, Translation(dsl=wrong)) == ("complete", "wrong_complete")
    assert scored(wanted, _partial(right)) == ("partial", "asked")  # right members, but shown as unfinished
    assert scorer.score(wanted, _partial(right), segments={}).execution  # ... still an execution match
    assert scored(wanted, _partial(wrong)) == ("partial", "asked")
    assert scored(wanted, Translation(question="Which orders?")) == ("question", "asked")
    assert scored(wanted, Translation(refusal="I only build segments")) == ("refused", "refused")
    assert scored(wanted, None, error="TimeoutError: slow") == ("error", "error")
    assert scored(wanted, Translation(dsl="did purchase")) == ("complete", "error")  # did not check: no segment

    question = _case(expect="question")
    assert scored(question, Translation(question="Which campaign?")) == ("question", "correct")
    assert scored(question, Translation(dsl=right)) == ("complete", "wrong_complete")
    assert scored(question, _partial(right)) == ("partial", "asked")
    assert scored(question, Translation(refusal="no")) == ("refused", "refused")

    refusal = _case(expect="refusal")
    assert scored(refusal, Translation(refusal="I cannot write SQL")) == ("refused", "correct")
    assert scored(refusal, Translation(dsl=right)) == ("complete", "wrong_complete")
    injection = _case('plan = "trial"', or_refusal=True)
    assert scored(injection, Translation(refusal="I only build segments")) == ("refused", "correct")


def _result(outcome_fields: dict, **extra) -> CaseResult:
    return CaseResult(suite=extra.pop("suite", "t"), id=extra.pop("id", "c"), tags=["did", "easy"], request="r",
                      expect="dsl", **outcome_fields, **extra)


def test_a_result_recorded_before_statuses_is_unknown_and_left_out_of_the_rates():
    results = [
        _result({"execution": True, "status": "complete"}, id="a"),
        _result({"execution": True, "status": "partial"}, id="b"),
        _result({"execution": False, "status": "complete", "got": "did x", "valid": True}, id="c"),
        _result({"execution": False, "status": "refused"}, id="d"),
        _result({"execution": False, "got": "did x", "valid": True}, id="e"),  # an old baseline line
    ]
    assert [r.outcome for r in results] == ["correct", "asked", "wrong_complete", "refused", "unknown"]
    overall = summarise(results)["overall"]
    assert (overall["correct"], overall["asked"], overall["wrong_complete"], overall["unknown"]) == \
        (0.25, 0.25, 0.25, 1)
    assert overall["execution"] == 0.4  # members only, status aside
    old = summarise([results[-1]])["overall"]
    assert (old["correct"], old["asked"], old["wrong_complete"], old["unknown"]) == (None, None, None, 1)


# ---- runner ---------------------------------------------------------------------------------------------

SUITE = """\
suite: mini
segments:
  buyers: 'did order_completed'
cases:
  - id: right
    request: bought in the last 90 days
    tags: [did, easy]
    expected: 'did order_completed in last 90 days'
  - id: window
    request: opened an email recently
    tags: [did, dates, medium]
    expected: 'did email_opened in last 30 days'
  - id: ask
    request: the good ones
    tags: [clarify, easy]
    expect: question
  - id: chat
    request: only in Germany
    turns: [buyers]
    tags: [chat, traits, segment_refs, medium]
    expected: 'in segment "buyers" and country = "DE"'
"""

ANSWERS = {
    "bought in the last 90 days": "did order_completed in last 90 days",
    # the wrong window, for a request that names no number the accounting could check
    "opened an email recently": "did email_opened in last 7 days",
    "buyers": 'in segment "buyers"',
}


class FakeTranslator:
    """Answers from a fixed table; a chat refinement adds Germany to the current segment."""

    def __init__(self, answers=ANSWERS):
        self.answers = answers
        self.calls: list[tuple[str, str | None]] = []

    def translate(self, request, *, catalog, as_of, current=None, segments=None):
        self.calls.append((request, format_segment(current) if current is not None else None))
        if request == "only in Germany":
            return Translation(dsl=f'{format_segment(current)} and country = "DE"', usage=Usage(prompt_tokens=10, completion_tokens=5))
        if request not in self.answers:
            return Translation(question="Which contacts do you mean?")
        answer = self.answers[request]
        if isinstance(answer, Translation):
            return answer
        return Translation(dsl=answer, usage=Usage(prompt_tokens=10, completion_tokens=5))


class FailingTranslator:
    def translate(self, request, **kwargs):
        raise AssertionError(f"called for {request!r}")


@pytest.fixture
def suite_file(tmp_path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE)
    return path


def _run(suite_file, out, translator=None, **options):
    runner = start_run([str(suite_file)], db=options.pop("db"), out=out, jobs=2, translator=translator, **options)
    return runner, runner.run()


def test_runner_scores_chat_turns_and_resumes_without_recalling(suite_file, tmp_path, demo_db):
    fake = FakeTranslator()
    runner, results = _run(suite_file, tmp_path / "runs", fake, db=demo_db, name="a")
    by_id = {r.id: r for r in results}
    assert {k: r.execution for k, r in by_id.items()} == {"right": True, "window": False, "ask": True, "chat": True}
    assert 0 < by_id["window"].jaccard < 1
    assert ("only in Germany", 'in segment "buyers"') in fake.calls  # the turn's answer is the current segment
    assert by_id["chat"].prompt_tokens == 20  # usage summed over the turns
    lines = (runner.run_dir / RESULTS).read_text().splitlines()
    assert len(lines) == 4

    # a run killed mid-write leaves a torn line: that case runs again, the others are skipped
    (runner.run_dir / RESULTS).write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    again = FakeTranslator()
    _, resumed = _run(suite_file, tmp_path / "runs", again, db=demo_db, name="a")
    assert len(again.calls) in (1, 2) and len(resumed) == 4
    _, done = _run(suite_file, tmp_path / "runs", FailingTranslator(), db=demo_db, name="a")
    assert sorted(r.key for r in done) == sorted(r.key for r in results)

    # a case edited since it was scored runs again
    suite_file.write_text(SUITE.replace("'did email_opened in last 30 days'", "'did email_opened in last 7 days'"))
    edited = FakeTranslator()
    _, rescored = _run(suite_file, tmp_path / "runs", edited, db=demo_db, name="a")
    assert edited.calls == [("opened an email recently", None)]
    assert {r.id: r.execution for r in rescored}["window"] is True and len(rescored) == 4


def test_resuming_a_run_of_another_model_is_refused(suite_file, tmp_path, demo_db):
    _run(suite_file, tmp_path / "runs", FakeTranslator(), db=demo_db, name="a")
    with pytest.raises(RunError, match="holds a run of offline"):
        start_run([str(suite_file)], db=demo_db, out=tmp_path / "runs", name="a", provider="openai", model="m",
                  translator=FakeTranslator())


def _essence(results):
    return sorted((r.key, r.got, r.question, r.execution, r.jaccard, r.prompt_tokens, r.latency_s) for r in results)


def test_record_then_replay_reproduces_the_run_without_a_translator(suite_file, tmp_path, demo_db):
    cache = tmp_path / "cache"
    _, recorded = _run(suite_file, tmp_path / "runs", FakeTranslator(), db=demo_db, name="rec", record=True,
                       cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 5  # 4 requests + 1 chat turn
    _, replayed = _run(suite_file, tmp_path / "runs", None, db=demo_db, name="rep", replay=True, cache_dir=cache)
    assert _essence(replayed) == _essence(recorded)

    other = tmp_path / "other.yaml"
    other.write_text(SUITE.replace("suite: mini", "suite: other").replace("the good ones", "never recorded"))
    _, missed = _run(other, tmp_path / "runs", None, db=demo_db, name="miss", replay=True, cache_dir=cache)
    miss = next(r for r in missed if r.id == "ask")
    assert not miss.execution and "no recorded answer for 'never recorded'" in miss.error


def test_record_and_replay_together_is_an_error(suite_file, tmp_path, demo_db):
    with pytest.raises(RunError, match="exclude each other"):
        start_run([str(suite_file)], db=demo_db, out=tmp_path, record=True, replay=True)


# ---- reports and compare --------------------------------------------------------------------------------


def test_summary_and_html_report_show_every_miss_side_by_side(suite_file, tmp_path, demo_db):
    runner, results = _run(suite_file, tmp_path / "runs", FakeTranslator(), db=demo_db, name="a")
    summary = write_reports(runner.run_dir)
    assert summary["overall"]["cases"] == 4 and summary["overall"]["execution"] == 0.75
    assert summary["tags"]["did"]["execution"] == 0.5 and summary["tags"]["clarify"]["behaviour"] == 1.0
    assert summary["overall"]["valid"] == 1.0 and summary["usage"]["prompt_tokens"] == 40
    page = (runner.run_dir / "report.html").read_text()
    assert json.loads((runner.run_dir / "summary.json").read_text()) == summary
    assert "mini/window" in page and "did email_opened in last 7 days" in page and "did email_opened in last 30 days" in page
    assert "mini/right:" not in page  # hits are not listed as misses
    assert "<script" not in page and "http" not in page.split("</style>")[0]  # self-contained


def test_compare_lists_regressions_and_fixes_and_fails_past_the_threshold(suite_file, tmp_path, demo_db):
    out = tmp_path / "runs"
    base, _ = _run(suite_file, out, FakeTranslator(), db=demo_db, name="base")
    worse_answers = dict(ANSWERS, **{"bought in the last 90 days": "did order_completed",
                                     "opened an email recently": "did email_opened in last 30 days"})
    worse, _ = _run(suite_file, out, FakeTranslator(worse_answers), db=demo_db, name="worse")
    c = compare(base.run_dir, worse.run_dir, threshold=0.02)
    assert (c.regressions, c.fixes, c.accuracy_a, c.accuracy_b) == (["mini/right"], ["mini/window"], 0.75, 0.75)
    assert not c.failed

    cli = CliRunner()
    worst, _ = _run(suite_file, out, FakeTranslator({}), db=demo_db, name="worst")
    failed = cli.invoke(evals_app, ["compare", str(base.run_dir), str(worst.run_dir), "--threshold", "0.1"])
    assert failed.exit_code == 1
    assert "regressions (2)" in failed.output and "mini/right" in failed.output and "mini/chat" in failed.output
    same = cli.invoke(evals_app, ["compare", str(base.run_dir), str(base.run_dir)])
    assert same.exit_code == 0 and "regressions (0)" in same.output


def test_report_table_summary_and_html_show_the_outcome_rates_and_each_misses_status(suite_file, tmp_path,
                                                                                      demo_db):
    hedged = dict(ANSWERS, **{"bought in the last 90 days": _partial("did order_completed in last 90 days")})
    runner, _ = _run(suite_file, tmp_path / "runs", FakeTranslator(hedged), db=demo_db, name="a")
    # right: partial with the right members (asked); window: complete, wrong window (w&c); ask, chat: correct
    shown = CliRunner().invoke(evals_app, ["report", str(runner.run_dir)])
    assert shown.exit_code == 0, shown.output
    assert all(col in shown.output for col in ("correct", "asked", "w&c"))
    assert re.search(r"overall\s+4\s+75\.0%\s+50\.0%\s+25\.0%\s+25\.0%", shown.output), shown.output
    assert re.search(r"suite:mini\s+4\s+75\.0%\s+50\.0%\s+25\.0%\s+25\.0%", shown.output)
    assert re.search(r"\bdid\s+2\s+50\.0%\s+0\.0%\s+50\.0%\s+50\.0%", shown.output)

    summary = json.loads((runner.run_dir / "summary.json").read_text())
    assert {k: summary["suites"]["mini"][k] for k in ("correct", "asked", "wrong_complete", "unknown")} == \
        {"correct": 0.5, "asked": 0.25, "wrong_complete": 0.25, "unknown": 0}
    assert {k: summary["tags"]["did"][k] for k in ("correct", "asked", "wrong_complete")} == \
        {"correct": 0.0, "asked": 0.5, "wrong_complete": 0.5}
    assert summary["outcomes"] == {"correct": 2, "asked": 1, "wrong_complete": 1, "refused": 0, "error": 0,
                                   "unknown": 0}

    page = (runner.run_dir / "report.html").read_text()
    assert "<th>wrong &amp; complete</th>" in page and "<td>25.0%</td>" in page
    right = page[page.index('id="mini/right"'):]
    right = right[:right.index('<div class="miss"', 1) if '<div class="miss"' in right[1:] else len(right)]
    assert "asked</span>" in right and "status partial" in right and "&#x27;loyal&#x27;" in right
    window = page[page.index('id="mini/window"'):]
    assert "wrong &amp; complete</span>" in window[:400] and "status complete" in window[:400]
    assert 'id="mini/ask"' not in page and 'id="mini/chat"' not in page  # correct cases are not listed


def test_compare_fails_when_wrong_and_complete_rises_even_at_equal_accuracy(suite_file, tmp_path, demo_db):
    out = tmp_path / "runs"
    # base: 'right' asks (asked), 'window' is complete and wrong (w&c): 2 of 4 right, 1 of 4 w&c
    base, _ = _run(suite_file, out, FakeTranslator({**ANSWERS, "bought in the last 90 days": Translation(
        question="Bought what?")}), db=demo_db, name="base")
    # new: 'right' fixed, but the clarifying case now gets a confident segment: still 2 of 4 right, 2 of 4 w&c
    new, _ = _run(suite_file, out, FakeTranslator({**ANSWERS, "the good ones": "did order_completed"}),
                  db=demo_db, name="new")
    c = compare(base.run_dir, new.run_dir, threshold=0)
    assert (c.accuracy_a, c.accuracy_b, c.drop) == (0.5, 0.5, 0.0)
    assert c.wrong_complete_a == {"overall": 0.25, "suite mini": 0.25}
    assert c.wrong_complete_b == {"overall": 0.5, "suite mini": 0.5}
    assert c.became_wrong_complete == {"mini/ask": "correct"} and c.failed

    cli = CliRunner()
    failed = cli.invoke(evals_app, ["compare", str(base.run_dir), str(new.run_dir), "--threshold", "0"])
    assert failed.exit_code == 1, failed.output
    assert "became wrong & complete (1)" in failed.output and "mini/ask (was correct)" in failed.output
    assert "wrong & complete rose by 25.0 points in overall" in failed.output
    assert "wrong & complete rose by 25.0 points in suite mini" in failed.output
    lenient = cli.invoke(evals_app, ["compare", str(base.run_dir), str(new.run_dir), "--threshold", "0.3"])
    assert lenient.exit_code == 0, lenient.output

    # a complete wrong answer that becomes an honest partial one is a fall, not a rise
    honest, _ = _run(suite_file, out, FakeTranslator({**ANSWERS, "opened an email recently": _partial(
        "did email_opened in last 7 days", "lately")}), db=demo_db, name="honest")
    better = cli.invoke(evals_app, ["compare", str(base.run_dir), str(honest.run_dir), "--threshold", "0"])
    assert better.exit_code == 0, better.output
    assert "wrong & complete on 4 common cases with a status: 25.0% -> 0.0%" in better.output


def test_compare_with_a_baseline_recorded_before_statuses_says_so(suite_file, tmp_path, demo_db):
    out = tmp_path / "runs"
    base, _ = _run(suite_file, out, FakeTranslator(), db=demo_db, name="old")
    lines = [json.loads(line) for line in (base.run_dir / RESULTS).read_text().splitlines()]
    (base.run_dir / RESULTS).write_text("".join(json.dumps({k: v for k, v in r.items() if k != "status"}) + "\n"
                                                for r in lines))
    new, _ = _run(suite_file, out, FakeTranslator(), db=demo_db, name="new")
    c = compare(base.run_dir, new.run_dir, threshold=0)
    assert sorted(c.no_status) == ["mini/ask", "mini/chat", "mini/right", "mini/window"]
    assert c.wrong_complete_a == {} and c.became_wrong_complete == {} and not c.failed
    assert c.wrong_complete_no_status == ["mini/window"]  # listed, neither new nor old
    shown = CliRunner().invoke(evals_app, ["compare", str(base.run_dir), str(new.run_dir), "--threshold", "0"])
    assert shown.exit_code == 0 and "4 common case(s) have no status" in shown.output
    assert re.search(r"wrong & complete, no status in the baseline.*\(1\)\s+mini/window", shown.output, re.S), shown.output
    report = CliRunner().invoke(evals_app, ["report", str(base.run_dir)])
    assert "4 case(s) have no status" in report.output


def test_cli_run_replays_and_report_rerenders(suite_file, tmp_path, demo_db):
    out = tmp_path / "runs"
    _run(suite_file, out, FakeTranslator(), db=demo_db, name="rec", record=True)
    cli = CliRunner()
    result = cli.invoke(evals_app, ["run", str(suite_file), "--replay", "--db", demo_db, "--out", str(out),
                                    "--name", "ci", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "75.0%" in result.output
    assert len(read_results(out / "ci")) == 4
    shown = cli.invoke(evals_app, ["report", str(out / "ci"), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["overall"]["execution"] == 0.75
    missing = cli.invoke(evals_app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not a run directory" in missing.output
    bad = cli.invoke(evals_app, ["run", "nope", "--db", demo_db, "--out", str(out)])
    assert bad.exit_code == 2 and "no suite 'nope'" in bad.output


def test_summary_of_no_results_is_empty_not_an_error():
    assert summarise([])["overall"]["cases"] == 0


def test_openai_provider_records_a_model_and_replays_it_without_one(suite_file, tmp_path, demo_db, scripted_model,
                                                                     monkeypatch):
    for var, value in (("OPENAI_BASE_URL", scripted_model.base_url), ("SEGMENT_MODEL", "scripted-1"),
                       ("OPENAI_API_KEY", "test-key"), ("SEGMENT_MODE", "text")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("SEGMENT_CONFIG", raising=False)
    scripted_model.push(text("did order_completed in last 90 days"), text("did email_opened in last 7 days"),
                        text("QUESTION: which contacts are the good ones?"), text('in segment "buyers"'),
                        text('in segment "buyers" and country = "DE"'))
    out = tmp_path / "runs"
    common = [str(suite_file), "--provider", "openai", "--model", "scripted-1", "--db", demo_db, "--out", str(out),
              "--jobs", "1", "--price-in", "1", "--price-out", "10"]
    cli = CliRunner()
    recorded = cli.invoke(evals_app, ["run", *common, "--record"])
    assert recorded.exit_code == 0, recorded.output
    assert len(scripted_model.requests) == 5
    first = {r.id: r for r in read_results(out / "openai-scripted-1-v1")}
    assert first["chat"].prompt_tokens == 2 * PROMPT_TOKENS and first["chat"].execution
    assert first["right"].cost == pytest.approx((PROMPT_TOKENS * 1 + COMPLETION_TOKENS * 10) / 1e6)

    for var in ("OPENAI_BASE_URL", "SEGMENT_MODEL", "OPENAI_API_KEY", "SEGMENT_MODE"):
        monkeypatch.delenv(var)
    replayed = cli.invoke(evals_app, ["run", *common, "--replay", "--name", "replayed"])
    assert replayed.exit_code == 0, replayed.output
    assert len(scripted_model.requests) == 5  # nothing asked the model
    again = {r.id: r for r in read_results(out / "replayed")}
    assert {k: (r.got, r.question, r.execution, r.prompt_tokens) for k, r in again.items()} == \
           {k: (r.got, r.question, r.execution, r.prompt_tokens) for k, r in first.items()}


# ---- a matrix of providers, models and prompts ----------------------------------------------------------


def test_a_matrix_is_every_provider_model_and_prompt_with_offline_once():
    combos = combinations(["offline", "openai"], ["m1", "m2"], ["v1", "v2"])
    assert [c.name for c in combos] == ["offline", "openai-m1-v1", "openai-m1-v2", "openai-m2-v1", "openai-m2-v2"]
    assert combos[0] == Combination(provider="offline", model=None, prompt="v1")
    assert [c.name for c in combinations(["offline"], ["m1"], ["v2"])] == ["offline"]


def test_matrix_runs_offline_and_a_model_side_by_side_and_replays_without_the_model(
        suite_file, tmp_path, demo_db, scripted_model, monkeypatch):
    for var, value in (("OPENAI_BASE_URL", scripted_model.base_url), ("SEGMENT_MODEL", "scripted-1"),
                       ("OPENAI_API_KEY", "test-key"), ("SEGMENT_MODE", "text")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("SEGMENT_CONFIG", raising=False)
    # prompt v1: every case right; prompt v2: a wrong window, and a segment where a question was expected
    scripted_model.push(text("did order_completed in last 90 days"), text("did email_opened in last 30 days"),
                        text("QUESTION: which contacts are the good ones?"), text('in segment "buyers"'),
                        text('in segment "buyers" and country = "DE"'))
    scripted_model.push(text("did order_completed in last 90 days"), text("did email_opened in last 7 days"),
                        text("did order_completed"), text('in segment "buyers"'),
                        text('in segment "buyers" and country = "DE"'))
    out = tmp_path / "runs"
    matrix = [str(suite_file), "--provider", "offline", "--provider", "openai", "--model", "scripted-1",
              "--prompt", "v1", "--prompt", "v2", "--db", demo_db, "--out", str(out), "--jobs", "1"]
    cli = CliRunner()
    recorded = cli.invoke(evals_app, ["run", *matrix, "--record", "--name", "m"])
    assert recorded.exit_code == 0, recorded.output
    assert len(scripted_model.requests) == 10  # 5 per model combination; offline asks no model
    runs = ["offline", "openai-scripted-1-v1", "openai-scripted-1-v2"]
    for run in runs:  # one row per combination, under "overall" and under the suite
        assert len(re.findall(rf"^ {run}\s+[\d.]+%", recorded.output, re.MULTILINE)) == 2, recorded.output
    summary = json.loads((out / "m" / "summary.json").read_text())
    assert list(summary["runs"]) == runs and list(summary["suites"]) == ["overall", "mini"]
    v1, v2 = summary["suites"]["mini"]["openai-scripted-1-v1"], summary["suites"]["mini"]["openai-scripted-1-v2"]
    assert (v1["execution"], v1["correct"], v1["asked"], v1["wrong_complete"]) == (1.0, 1.0, 0.0, 0.0)
    assert (v2["execution"], v2["correct"], v2["asked"], v2["wrong_complete"]) == (0.5, 0.5, 0.0, 0.5)
    assert v1["tokens"] == 5 * (PROMPT_TOKENS + COMPLETION_TOKENS) and summary["suites"]["mini"]["offline"]["tokens"] == 0
    assert summary["cases"]["mini/ask"]["runs"]["openai-scripted-1-v1"] == \
        {"status": "question", "execution": True, "outcome": "correct"}
    assert summary["cases"]["mini/ask"]["runs"]["openai-scripted-1-v2"] == \
        {"status": "complete", "execution": False, "outcome": "wrong_complete"}
    assert summary["cases"]["mini/window"]["runs"]["openai-scripted-1-v2"]["outcome"] == "wrong_complete"
    assert len(read_results(out / "m" / "offline")) == 4
    page = (out / "m" / "report.html").read_text()
    assert all(f"<th>{run}</th>" in page for run in runs) and "same members" in page and "other members" in page

    for var in ("OPENAI_BASE_URL", "SEGMENT_MODEL", "OPENAI_API_KEY", "SEGMENT_MODE"):
        monkeypatch.delenv(var)
    replayed = cli.invoke(evals_app, ["run", *matrix, "--replay", "--name", "again"])
    assert replayed.exit_code == 0, replayed.output
    assert len(scripted_model.requests) == 10  # nothing asked the model
    again = json.loads((out / "again" / "summary.json").read_text())
    assert again["cases"] == summary["cases"]
    shown = cli.invoke(evals_app, ["report", str(out / "again"), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["cases"] == summary["cases"]
