"""The package's imports flow one way: no module imports one of a later stage, and no modules import
each other in a circle (module-level imports; imports inside functions are lazy by design)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "judgeaudit"

ORCHESTRATION = ("judgeaudit.auditing", "judgeaudit.prepare", "judgeaudit.planning", "judgeaudit.sequential", "judgeaudit.rewriting",
                 "judgeaudit.needle.run", "judgeaudit.cli", "judgeaudit.cli_options", "judgeaudit.cli_errors", "judgeaudit.cli_export",
                 "judgeaudit.cli_import", "judgeaudit.api")
FORBIDDEN = {
    # a module under the key never imports a module under any of the values
    "judgeaudit.schema": ("judgeaudit.",),
    "judgeaudit.judges": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certification", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.engine": ("judgeaudit.stats", "judgeaudit.report", "judgeaudit.certification", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.stats": ("judgeaudit.report", "judgeaudit.certification", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.report": ORCHESTRATION,
    "judgeaudit.importers": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certification", *ORCHESTRATION),
    "judgeaudit.datasets": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certification", "judgeaudit.runs", *ORCHESTRATION),
    "judgeaudit.certification": ("judgeaudit.report", *ORCHESTRATION),
    "judgeaudit.biases": ("judgeaudit.engine", "judgeaudit.stats", "judgeaudit.report", "judgeaudit.certification", *ORCHESTRATION),
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


def _within(module: str, prefix: str) -> bool:
    """``module`` is ``prefix`` or inside it (a prefix ending in "." means anything under it)."""
    return module.startswith(prefix) if prefix.endswith(".") else module == prefix or module.startswith(prefix + ".")


def imports_back_up(graph: dict[str, set[str]], layer: str, forbidden: tuple[str, ...]) -> list[str]:
    """The imports by modules of ``layer`` of modules of a later stage (the layer's own excepted)."""
    return [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _within(module, layer)
        for target in sorted(targets)
        if any(_within(target, bad) for bad in forbidden) and not _within(target, layer)
    ]


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while (member := stack.pop()) != node:
                component.add(member)
            component.add(node)
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = _imports()


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_runs_back_up(layer: str) -> None:
    assert not imports_back_up(GRAPH, layer, FORBIDDEN[layer])


def test_no_circular_imports() -> None:
    """Module-level imports only (a package's __init__ re-exporting its own modules is not a circle:
    they do not import the __init__)."""
    assert not circles(GRAPH)


def test_the_checks_find_what_they_look_for() -> None:
    """On a made-up graph, the checks report an import back up and a circle; the real graph is read."""
    graph = {
        "judgeaudit.report.view": {"judgeaudit.auditing", "judgeaudit.report.formatting"},
        "judgeaudit.report.formatting": set(),
        "judgeaudit.biases.perturb": {"judgeaudit.biases.sandbox"},
        "judgeaudit.biases.sandbox": {"judgeaudit.biases.perturb"},
    }
    assert imports_back_up(graph, "judgeaudit.report", FORBIDDEN["judgeaudit.report"]) == ["judgeaudit.report.view imports judgeaudit.auditing"]
    assert imports_back_up(graph, "judgeaudit.biases", FORBIDDEN["judgeaudit.biases"]) == []
    assert circles(graph) == [{"judgeaudit.biases.perturb", "judgeaudit.biases.sandbox"}]
    assert "judgeaudit.judges.base" in GRAPH["judgeaudit.engine.runner"]
    assert "judgeaudit.stats.records" in GRAPH["judgeaudit.stats.summary"]
