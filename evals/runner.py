"""Running suites: translate every case (chat turns first), score it, and append the result to the run's
results.jsonl as it lands, so an interrupted run resumes where it stopped. Model answers can be recorded
to a cache directory and replayed, so a run reproduces offline and in CI.

A run directory holds meta.json (what was run), results.jsonl (one scored case a line), and the reports
(summary.json, report.html) written from them.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from assistant.data.preview import Database
from assistant.translate.accounting import confirm
from assistant.translate.contract import Translation, Translator, Usage
from assistant.translate.prompt import build_messages, list_prompt_versions
from evals.scoring import CaseResult, Prices, Scorer
from evals.suite import Case, Suite, load_suites
from grammar import ast as A
from grammar.catalog import Catalog, load_catalog
from grammar.format import format_segment
from grammar.parser import parse

AS_OF = datetime(2026, 11, 1)  # the demo store's fixed as-of instant (DESIGN.md)
RESULTS = "results.jsonl"
META = "meta.json"


class RunError(Exception):
    pass


class RunMeta(BaseModel):
    """What a run is: compared on resume, shown in reports."""

    name: str
    provider: str
    model: str | None = None
    prompt: str
    suites: list[str] = []
    db: str
    as_of: str = AS_OF.isoformat()
    catalog: str = "demo"
    prices: Prices | None = None
    started: str = ""

    def identity(self) -> tuple:
        return (self.provider, self.model, self.prompt, self.db, self.as_of, self.catalog)


# ---- record / replay ------------------------------------------------------------------------------------

class CacheMiss(Exception):
    pass


class ResponseCache:
    """Recorded translations in a directory, one JSON file per request, named by a hash of the request
    messages the model would see (prompt version and model included), so a prompt change is a miss."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def key(self, *, provider: str, model: str | None, prompt: str, mode: str, request: str, catalog: Catalog,
            as_of: datetime, current: A.Condition | None, segments: dict[str, A.Condition] | None) -> str:
        messages = build_messages(request, catalog, as_of,
                                  current=format_segment(current) if current is not None else None,
                                  segments={k: format_segment(v) for k, v in (segments or {}).items()},
                                  version=prompt, mode=mode)
        blob = json.dumps({"provider": provider, "model": model, "mode": mode, "messages": messages}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> tuple[Translation, float] | None:
        path = self.directory / f"{key}.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return Translation.model_validate(data["translation"]), float(data["latency_s"])

    def put(self, key: str, request: str, translation: Translation, latency_s: float) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {"request": request, "translation": translation.model_dump(mode="json"), "latency_s": latency_s}
        tmp = self.directory / f"{key}.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
        tmp.replace(self.directory / f"{key}.json")


class CachingTranslator:
    """Wraps a translator: `record` calls it and stores every answer, `replay` answers only from the cache
    (no translator needed, so replay runs without a model or API key)."""

    def __init__(self, cache: ResponseCache, mode: Literal["record", "replay"], *, provider: str,
                 model: str | None, prompt: str, answer_mode: str = "text", inner: Translator | None = None):
        if mode == "record" and inner is None:
            raise ValueError("recording needs a translator to record")
        self.cache, self.mode, self.inner = cache, mode, inner
        self.ident = {"provider": provider, "model": model, "prompt": prompt, "mode": answer_mode}

    def translate_timed(self, request: str, *, catalog: Catalog, as_of: datetime, current: A.Condition | None = None,
                        segments: dict[str, A.Condition] | None = None) -> tuple[Translation, float]:
        key = self.cache.key(request=request, catalog=catalog, as_of=as_of, current=current, segments=segments,
                             **self.ident)
        if self.mode == "replay":
            hit = self.cache.get(key)
            if hit is None:
                raise CacheMiss(f"no recorded answer for {request!r} in {self.cache.directory} "
                                "(record it with --record)")
            return hit
        translation, latency = timed_translate(self.inner, request, catalog=catalog, as_of=as_of, current=current,
                                               segments=segments)
        self.cache.put(key, request, translation, latency)
        return translation, latency


def timed_translate(translator, request: str, **kwargs) -> tuple[Translation, float]:
    """(translation, seconds); a replaying cache reports the latency it recorded."""
    if hasattr(translator, "translate_timed"):
        return translator.translate_timed(request, **kwargs)
    start = time.perf_counter()
    translation = translator.translate(request, **kwargs)
    return translation, time.perf_counter() - start


# ---- translators ----------------------------------------------------------------------------------------

def make_translator(provider: str, model: str | None, prompt: str) -> Translator:
    from assistant.translate.factory import make_translator as pipeline_translator

    try:
        return pipeline_translator(provider, model, prompt)
    except ValueError as err:
        raise RunError(str(err)) from None


# ---- running --------------------------------------------------------------------------------------------

DEFAULT_PROMPT = "v1"


class Combination(BaseModel):
    """One translator setting of a run: provider, model and prompt version."""

    provider: str = "offline"
    model: str | None = None
    prompt: str = DEFAULT_PROMPT

    @property
    def name(self) -> str:
        return run_name(self.provider, self.model, self.prompt)


def combinations(providers: list[str], models: list[str | None], prompts: list[str]) -> list[Combination]:
    """Every provider x model x prompt, in the order given. The offline translator reads neither a model nor a
    prompt, so it appears once (with the default prompt, which only keys its record/replay cache)."""
    combos: list[Combination] = []
    for provider in dict.fromkeys(providers or ["offline"]):
        if provider == "offline":
            combos.append(Combination())
            continue
        combos += [Combination(provider=provider, model=m, prompt=p)
                   for m in dict.fromkeys(models or [None]) for p in dict.fromkeys(prompts or [DEFAULT_PROMPT])]
    return combos


def run_name(provider: str, model: str | None, prompt: str) -> str:
    """offline, openai-gpt-5-mini-v2, ...: the offline translator ignores model and prompt."""
    parts = (provider,) if provider == "offline" else (provider, model, prompt)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(p for p in parts if p)).strip("-")


def read_results(run_dir: str | Path) -> list[CaseResult]:
    """The scored cases of a run (a run directory or its results.jsonl). A torn last line (a run killed
    mid-write) is skipped: that case simply runs again on resume."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / RESULTS
    if not path.exists():
        raise RunError(f"no results at {path}")
    results: dict[str, CaseResult] = {}
    for line in path.read_text().splitlines():
        try:
            result = CaseResult.model_validate_json(line)
        except ValueError:
            continue
        results[result.key] = result
    return list(results.values())


def read_meta(run_dir: str | Path) -> RunMeta:
    path = Path(run_dir)
    path = path.parent if path.name == RESULTS else path
    try:
        return RunMeta.model_validate_json((path / META).read_text())
    except FileNotFoundError:
        raise RunError(f"{path} is not a run directory (no {META})") from None


class Runner:
    """One eval run over some suites into one run directory."""

    def __init__(self, suites: list[Suite], translator, meta: RunMeta, run_dir: str | Path, *, jobs: int = 4,
                 catalog: Catalog | None = None):
        self.suites = suites
        self.translator = translator
        self.meta = meta
        self.run_dir = Path(run_dir)
        self.jobs = max(1, jobs)
        self.catalog = catalog or load_catalog()
        self.as_of = datetime.fromisoformat(meta.as_of)
        self.scorer = Scorer(self.catalog, Database(meta.db), self.as_of, meta.prices)

    def earlier_run(self) -> RunMeta | None:
        """The run already in the directory, if any; an error if it is a run of something else."""
        if not (self.run_dir / META).exists():
            return None
        old = read_meta(self.run_dir)
        if old.identity() != self.meta.identity():
            raise RunError(f"{self.run_dir} holds a run of {old.provider}/{old.model or '-'}/prompt {old.prompt} "
                           f"on {old.db}; use another --name or --fresh to start over")
        return old

    def _prepare_dir(self) -> dict[str, CaseResult]:
        """Create or resume the run directory; the results already there, by case key."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        meta_path = self.run_dir / META
        done: dict[str, CaseResult] = {}
        old = self.earlier_run()
        if old:
            self.meta.suites = sorted(set(old.suites) | set(self.meta.suites))
            self.meta.started = old.started
            results = self.run_dir / RESULTS
            if results.exists():
                done = {r.key: r for r in read_results(self.run_dir)}
                text = results.read_text()
                if text and not text.endswith("\n"):  # end a torn last line so the next result starts clean
                    with open(results, "a") as out:
                        out.write("\n")
        meta_path.write_text(self.meta.model_dump_json(indent=2))
        return done

    def pending(self, done: dict[str, CaseResult]) -> list[tuple[Case, Suite]]:
        """Cases without a result, whose result was scored for a since edited case, or that was recorded before
        answers had a status."""
        def current(case: Case) -> bool:
            r = done.get(case.key)
            return r is not None and r.status is not None and \
                (r.request, r.turns, r.expect, r.expected, r.tags) == \
                (case.request, case.turns, case.expect, case.expected, case.tags)

        return [(case, suite) for suite in self.suites for case in suite.cases if not current(case)]

    def run(self, progress: Callable[[int, int, CaseResult | None], None] | None = None) -> list[CaseResult]:
        """Score every case not yet in results.jsonl; returns the results of this run's suites."""
        done = self._prepare_dir()
        todo = self.pending(done)
        parsed = {s.suite: {name: parse(dsl) for name, dsl in s.segments.items()} for s in self.suites}
        if progress:
            progress(0, len(todo), None)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool, open(self.run_dir / RESULTS, "a") as out:
            futures = [pool.submit(self.run_case, case, suite, parsed[suite.suite]) for case, suite in todo]
            try:
                for n, future in enumerate(as_completed(futures), 1):
                    result = future.result()
                    out.write(result.model_dump_json() + "\n")
                    out.flush()
                    if progress:
                        progress(n, len(todo), result)
            except KeyboardInterrupt:  # keep what is scored; a rerun resumes from there
                pool.shutdown(cancel_futures=True)
                raise
        keys = {case.key for suite in self.suites for case in suite.cases}
        return [r for r in read_results(self.run_dir) if r.key in keys]

    def run_case(self, case: Case, suite: Suite, segment_asts) -> CaseResult:
        """Feed the chat turns (each answer becomes the segment the next one refines), then the request. The
        answer goes through the same accounting as in the product (draft, chat) before it is scored."""
        current: A.Condition | None = None
        latency = 0.0
        tries = prompt_tokens = completion_tokens = 0
        translation: Translation | None = None
        error = None
        try:
            for text in [*case.turns, case.request]:
                translation, seconds = timed_translate(self.translator, text, catalog=self.catalog, as_of=self.as_of,
                                                       current=current, segments=segment_asts or None)
                translation = confirm(text, translation, current, segment_asts)
                node = translation.condition
                latency += seconds
                tries += translation.tries
                prompt_tokens += translation.usage.prompt_tokens
                completion_tokens += translation.usage.completion_tokens
                current = node if node is not None else current
        except Exception as err:  # a failing translator scores a miss for this case, the run goes on
            error = f"{type(err).__name__}: {err}"
            translation = None
        if translation is not None:
            translation = translation.model_copy(update={
                "tries": tries, "usage": Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)})
        return self.scorer.score(case, translation, segments=segment_asts, latency_s=latency, error=error)


def default_db(progress: Callable[[int, int], None] | None = None) -> str:
    """The cached 20,000-contact demo store (seed 7), generated on first use."""
    from assistant.data.demo_store import demo_db_path

    return str(demo_db_path(progress=progress))


def start_run(suite_names: list[str], *, provider: str = "offline", model: str | None = None,
              prompt: str = DEFAULT_PROMPT, db: str | None = None, out: str | Path = "eval-runs",
              name: str | None = None, jobs: int = 4, record: bool = False, replay: bool = False, cache_dir: str | Path | None = None,
              prices: Prices | None = None, fresh: bool = False, translator=None) -> Runner:
    """Build a Runner from command-line style settings. `translator` overrides the provider's (tests)."""
    if record and replay:
        raise RunError("--record and --replay exclude each other")
    if prompt not in list_prompt_versions():
        raise RunError(f"unknown prompt version {prompt!r}; available: {', '.join(list_prompt_versions())}")
    if provider == "offline":  # it reads neither: one offline run, whatever was asked
        model, prompt = None, DEFAULT_PROMPT
    suites = load_suites(suite_names)
    model, answer_mode = _model_settings(provider, model)
    name = name or run_name(provider, model, prompt)
    run_dir = Path(out) / name
    if fresh and run_dir.exists():
        for leftover in (RESULTS, META, "summary.json", "report.html"):
            (run_dir / leftover).unlink(missing_ok=True)
    meta = RunMeta(name=name, provider=provider, model=model, prompt=prompt, suites=[s.suite for s in suites],
                   db=str(Path(db).resolve()) if db else default_db(), prices=prices,
                   started=datetime.now().isoformat(timespec="seconds"))
    if not Path(meta.db).exists():
        raise RunError(f"database not found: {meta.db} (create one with: segment-assistant demo-data --out {meta.db})")
    cache = ResponseCache(cache_dir or Path(out) / "cache")
    ident = {"provider": provider, "model": model, "prompt": prompt, "answer_mode": answer_mode}
    if replay:
        translator = CachingTranslator(cache, "replay", **ident)
    else:
        translator = translator or make_translator(provider, model, prompt)
        if record:
            translator = CachingTranslator(cache, "record", inner=translator, **ident)
    runner = Runner(suites, translator, meta, run_dir, jobs=jobs)
    runner.earlier_run()
    return runner


def _model_settings(provider: str, model: str | None) -> tuple[str | None, str]:
    """The model name (--model, else the configured one) and how it is asked (its prompt's answer protocol),
    both part of the cache key and known without building the translator: replaying needs no model. The
    offline translator keys on the text protocol's messages."""
    if provider != "openai":
        return model, "text"
    from assistant.config import ConfigError, load_model_config

    try:
        config = load_model_config()
    except ConfigError as err:
        raise RunError(str(err)) from None
    if config is None:
        return model, "text"
    return model or config.model, config.mode
