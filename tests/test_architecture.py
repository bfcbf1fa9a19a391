"""The package's imports flow one way: no module imports one of a later stage, and no modules import
each other in a circle (module-level imports; imports inside functions are lazy by design)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "judgeaudit"

ORCHESTRATION = ("judgeaudit.audit", "judgeaudit.prepare", "judgeaudit.planning", "judgeaudit.sequential", "judgeaudit.rewriting",
                 "judgeaudit.needle.run", "judgeaudit.cli", "judgeaudit.cli_options")
FORBIDDEN = {
    # a module under the key never imports a module under any of the values
    "judgeaudit.schema": ("judgeaudit.",),
    "judgeaudit.judges": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certify", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.engine": ("judgeaudit.stats", "judgeaudit.report", "judgeaudit.certify", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.stats": ("judgeaudit.report", "judgeaudit.certify", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.report": ORCHESTRATION,
    "judgeaudit.certify": ("judgeaudit.report", *ORCHESTRATION),
    "judgeaudit.biases": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certify", *ORCHESTRATION),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module's module-level imports of judgeaudit modules (``from a import b`` counts a.b where b is a module)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.If):  # TYPE_CHECKING blocks import nothing at run time
                continue
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in modules}
        graph[name] = {target for target in found if target in modules and target != name}
    return graph


GRAPH = _imports()


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_runs_back_up(layer: str) -> None:
    offending = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == bad.rstrip(".") or target.startswith(bad if bad.endswith(".") else bad + ".") or target == bad for bad in FORBIDDEN[layer])
        and not (target == layer or target.startswith(layer + "."))
    ]
    assert not offending, offending


def test_no_circular_imports() -> None:
    """No strongly connected component of more than one module (a package's __init__ re-exporting its
    own modules is not a circle: they do not import the __init__)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(component)

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not circles, circles


def test_the_check_sees_a_circle_and_an_import_back_up() -> None:
    """The graph is real: known arrows are in it (so an empty result above means something)."""
    assert "judgeaudit.judges.base" in GRAPH["judgeaudit.engine.runner"]
    assert "judgeaudit.stats.records" in GRAPH["judgeaudit.stats.summary"] or "judgeaudit.stats" in GRAPH["judgeaudit.stats.summary"]
