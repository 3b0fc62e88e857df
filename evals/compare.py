"""The comparison of two runs that CI gates on: fail when execution accuracy drops, or when wrong-and-complete
answers (evals.scoring.outcome) rise overall or in any suite, by more than the threshold."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from rich.console import Console

from evals.report import pct
from evals.runner import read_results
from evals.scoring import CaseResult


class Comparison(BaseModel):
    common: int
    accuracy_a: float
    accuracy_b: float
    regressions: list[str]  # case keys right in A, wrong in B
    fixes: list[str]        # wrong in A, right in B
    only_a: int
    only_b: int
    threshold: float
    # wrong-and-complete rates ("overall" and per suite) over the common cases with a status in both runs
    wrong_complete_a: dict[str, float] = {}
    wrong_complete_b: dict[str, float] = {}
    became_wrong_complete: dict[str, str] = {}  # case key -> its outcome in A
    wrong_complete_no_status: list[str] = []    # wrong-and-complete in B, no status in A: cannot say if it is new
    no_status: list[str] = []                   # common cases left out of the w&c comparison (no status in a run)

    @property
    def drop(self) -> float:
        return self.accuracy_a - self.accuracy_b

    @property
    def wrong_complete_rises(self) -> dict[str, float]:
        """The groups whose wrong-and-complete rate rose by more than the threshold, and by how much."""
        rises = {g: round(self.wrong_complete_b[g] - a, 4) for g, a in self.wrong_complete_a.items()}
        return {g: rise for g, rise in rises.items() if rise > self.threshold}

    @property
    def failed(self) -> bool:
        return self.drop > self.threshold or bool(self.wrong_complete_rises)


def _wrong_complete_rates(run: dict[str, CaseResult], keys: list[str]) -> dict[str, float]:
    groups = {"overall": keys}
    for key in keys:
        groups.setdefault(f"suite {run[key].suite}", []).append(key)
    return {g: round(sum(run[k].outcome == "wrong_complete" for k in ks) / len(ks), 4) for g, ks in groups.items()}


def compare(run_a: str | Path, run_b: str | Path, threshold: float = 0.02) -> Comparison:
    """Execution accuracy and wrong-and-complete rates of two runs over the cases both scored, and which cases
    flipped. A case without a status in either run (recorded before answers had one) is left out of the
    wrong-and-complete comparison and listed, never taken as complete."""
    a = {r.key: r for r in read_results(run_a)}
    b = {r.key: r for r in read_results(run_b)}
    common = sorted(a.keys() & b.keys())
    known = [k for k in common if a[k].status is not None and b[k].status is not None]

    def accuracy(run: dict[str, CaseResult]) -> float:
        return round(sum(run[k].execution for k in common) / len(common), 4) if common else 0.0

    return Comparison(
        common=len(common), accuracy_a=accuracy(a), accuracy_b=accuracy(b),
        regressions=[k for k in common if a[k].execution and not b[k].execution],
        fixes=[k for k in common if not a[k].execution and b[k].execution],
        only_a=len(a.keys() - b.keys()), only_b=len(b.keys() - a.keys()), threshold=threshold,
        wrong_complete_a=_wrong_complete_rates(a, known) if known else {},
        wrong_complete_b=_wrong_complete_rates(b, known) if known else {},
        became_wrong_complete={k: a[k].outcome for k in common if b[k].outcome == "wrong_complete"
                               and a[k].outcome not in ("wrong_complete", "unknown")},
        wrong_complete_no_status=[k for k in common if b[k].outcome == "wrong_complete" and a[k].status is None],
        no_status=[k for k in common if k not in set(known)],
    )


def print_comparison(c: Comparison, run_a: str, run_b: str, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"execution accuracy on {c.common} common cases: {pct(c.accuracy_a)} ({run_a}) -> "
                  f"{pct(c.accuracy_b)} ({run_b})")
    for title, keys, style in (("regressions", c.regressions, "red"), ("fixes", c.fixes, "green")):
        console.print(f"[{style}]{title} ({len(keys)})[/{style}]")
        for key in keys:
            console.print(f"  {key}")
    if c.only_a or c.only_b:
        console.print(f"not compared: {c.only_a} case(s) only in {run_a}, {c.only_b} only in {run_b}")
    known = c.common - len(c.no_status)
    if c.wrong_complete_a:
        console.print(f"wrong & complete on {known} common cases with a status: "
                      f"{pct(c.wrong_complete_a['overall'])} -> {pct(c.wrong_complete_b['overall'])}")
        for group, rate in c.wrong_complete_a.items():
            if group != "overall" and rate != c.wrong_complete_b[group]:
                console.print(f"  {group}: {pct(rate)} -> {pct(c.wrong_complete_b[group])}")
    console.print(f"[red]became wrong & complete ({len(c.became_wrong_complete)})[/red]")
    for key, was in c.became_wrong_complete.items():
        console.print(f"  {key} (was {was})")
    if c.wrong_complete_no_status:
        console.print(f"[yellow]wrong & complete, no status in the baseline: new or not, it cannot say "
                      f"({len(c.wrong_complete_no_status)})[/yellow]")
        for key in c.wrong_complete_no_status:
            console.print(f"  {key}")
    if c.no_status:
        console.print(f"[yellow]{len(c.no_status)} common case(s) have no status in one of the runs (recorded "
                      "before answers had one): left out of the wrong & complete comparison; regenerate that run "
                      "to gate on them[/yellow]")
    if c.drop > c.threshold:
        console.print(f"[red bold]execution accuracy dropped by {c.drop * 100:.1f} points "
                      f"(threshold {c.threshold * 100:.1f})[/red bold]")
    for group, rise in c.wrong_complete_rises.items():
        console.print(f"[red bold]wrong & complete rose by {rise * 100:.1f} points in {group} "
                      f"(threshold {c.threshold * 100:.1f})[/red bold]")
