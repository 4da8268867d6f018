"""Packages depend one way: no import cycle between the top-level packages of ``src/monk``.

A package A depends on B when any module of A imports anything of B, function-local imports
included (hiding an import in a function does not hide the dependency). Modules at the top
(``app.py``, ``cli.py``…) count as packages of their own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "monk"
# Known and being worked off: kit/auth.py reads the organization and API key models.
KNOWN: set[frozenset[str]] = {frozenset({"kit", "models"})}


def _unit(path: Path, root: Path) -> str:
    rel = path.relative_to(root).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Top-level package → the top-level packages its modules import."""
    units = {_unit(p, root) for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {u: set() for u in units}
    for path in root.rglob("*.py"):
        here = _unit(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "monk" and len(parts) > 1 and parts[1] in units and parts[1] != here:
                    graph[here].add(parts[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_package_cycles() -> None:
    unexpected = [sorted(c) for c in cycles(package_graph()) if c not in KNOWN]
    assert unexpected == [], f"package import cycles: {unexpected}"


def test_the_cycle_finder_finds_cycles(tmp_path: Path) -> None:
    for name, imports in {"a": "from monk.b import x", "b": "def f():\n    from monk.a import y", "c": ""}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(imports)
    assert cycles(package_graph(tmp_path)) == [frozenset({"a", "b"})]


def test_billing_imports_nothing_of_monk_but_itself() -> None:
    assert package_graph()["billing"] == set()
