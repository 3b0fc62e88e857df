"""The package graph: `grammar` imports nothing of the project, `assistant` only `grammar`, `api` and `evals`
import `assistant` and `grammar`, and only the console script's composition root (`segment_assistant`)
imports everything. No code imports `tests`, and no two packages import each other, directly or not."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"grammar", "assistant", "api", "evals", "benchmarks", "segment_assistant", "tests"}
ALLOWED = {
    "grammar": {"grammar"},
    "assistant": {"assistant", "grammar"},
    "api": {"api", "assistant", "grammar"},
    "evals": {"evals", "assistant", "grammar"},
    "benchmarks": {"benchmarks", "assistant", "grammar"},
    "segment_assistant": {"segment_assistant", "assistant", "grammar", "api", "evals"},
}


def _node(module: str) -> str:
    """The unit of the cycle check: a subpackage of assistant (assistant.translate, assistant.data), a
    top-level module of assistant (assistant.pipeline), or a whole package (grammar, api)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "assistant" and len(parts) > 1 else parts[0]


def _imports() -> dict[str, set[str]]:
    """module name -> the project modules it imports (anywhere in the file, lazy imports included)."""
    graph: dict[str, set[str]] = {}
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found = set()
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.update(f"{node.module}.{a.name}" for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level:
                    base = module.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0) or None]
                    found.add(".".join([*base, node.module] if node.module else base))
            graph[module] = {m for m in found if m.split(".")[0] in PROJECT}
    return graph


def test_packages_import_only_the_layers_below_them():
    wrong = sorted(f"{module} imports {target}" for module, targets in _imports().items() for target in targets
                   if target.split(".")[0] not in ALLOWED[module.split(".")[0]])
    assert wrong == []


def test_no_import_cycles_between_packages():
    edges: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        for target in targets:
            if _node(target) != _node(module):
                edges.setdefault(_node(module), set()).add(_node(target))
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif len(path) < len(edges) + 1:
                visit(nxt, path + [nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == []


def test_the_check_sees_every_kind_of_import():
    graph = _imports()
    assert "grammar.parser" in {t.rsplit(".", 1)[0] for t in graph["grammar.check"]} | graph["grammar.check"]
    assert any(t.startswith("api.app") for t in graph["segment_assistant.cli"])  # a lazy import inside a command
