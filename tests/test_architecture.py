"""The architecture's rules, proved on the source (read from the AST, nothing imported):

1. **SQL lives in repositories.** No module of ``src/monk`` writes SQL except a ``*/repository.py``,
   ``kit/db.py`` (the dialect seam), the schema's history (``migrations/``, ``kit/migrate.py``) and
   the ``bench/`` tool. Writing SQL means calling a SQLAlchemy statement constructor (``select``,
   ``insert``, ``update``, ``delete``, ``text``…), sending a statement (``.execute``,
   ``.scalar(s)``, ``.stream``, ``.run_sync``…, or a session/connection's ``.get``/``.refresh``/
   ``.merge``), or holding a string that starts like a SQL statement. The unit of work
   (``session.add``/``delete``/``flush``) is a service's to use; ``text()`` in ``models/`` is DDL.
   The exact rule is in ``tests/architecture.py``.
2. **No package cycles.** Package A depends on B when any module of A imports B anywhere (top
   level, inside a function, under ``TYPE_CHECKING``); top-level modules (``app``, ``cli``,
   ``settings``, ``health``…) count as packages. No strongly-connected component has more than one
   package.
3. **The pure core and the toolkit point down.** ``billing/`` imports only the standard library,
   ``dateutil`` and ``billing``; ``kit/`` imports only the standard library, third-party packages,
   ``kit``, ``billing`` and ``settings`` — no domain package and not ``models``.

What main violates today is listed in the ``KNOWN_*`` allowlists below. The tests fail on any
violation not listed *and* on any listed one that is gone, so the lists can only shrink as the
code is fixed and never hide a new violation; the goal is empty lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture import (
    imported_modules,
    modules,
    monk_package,
    package_graph,
    sql_allowed,
    sql_outside_repositories,
    sql_uses,
    stdlib,
    strongly_connected,
)

# module → the kinds of SQL it writes outside a repository (``sql_uses`` kinds).
KNOWN_SQL_OUTSIDE_REPOSITORIES: dict[str, set[str]] = {}

# Strongly-connected components of the package graph (each a cycle to break).
KNOWN_CYCLES: set[frozenset[str]] = set()

# (package, imported Monk package) pairs breaking rule 3.
KNOWN_LAYER_VIOLATIONS: set[tuple[str, str]] = set()

BILLING_MAY_IMPORT = {"dateutil"}
KIT_MAY_IMPORT = {"kit", "billing", "settings"}


def _sql_where(module: str, kind: str) -> list[str]:
    path = Path(__file__).resolve().parents[1] / "src" / module
    return [f"{module}:{u.line}" for u in sql_uses(module, path) if u.kind == kind]


def test_no_new_sql_outside_repositories() -> None:
    found = sql_outside_repositories()
    new = sorted((m, k) for m, kinds in found.items() for k in kinds
                 if k not in KNOWN_SQL_OUTSIDE_REPOSITORIES.get(m, set()))
    assert not new, "SQL outside repositories and kit/db (move it into a repository): " + "; ".join(
        f"{k} at {', '.join(_sql_where(m, k))}" for m, k in new)


def test_each_known_sql_violation_is_still_real() -> None:
    found = sql_outside_repositories()
    gone = sorted((m, k) for m, kinds in KNOWN_SQL_OUTSIDE_REPOSITORIES.items() for k in kinds
                  if k not in found.get(m, set()))
    assert not gone, f"fixed: remove from KNOWN_SQL_OUTSIDE_REPOSITORIES: {gone}"


def _describe_cycle(graph: dict[str, dict[str, list[str]]], component: frozenset[str]) -> str:
    edges = [f"{a} → {b} ({graph[a][b][0]})" for a in sorted(component) for b in sorted(graph[a]) if b in component]
    return "{" + ", ".join(sorted(component)) + "}: " + "; ".join(edges)


def test_no_new_package_cycles() -> None:
    graph = package_graph()
    new = [c for c in strongly_connected(graph) if c not in KNOWN_CYCLES]
    assert not new, "package cycles: " + " | ".join(_describe_cycle(graph, c) for c in new)


def test_each_known_cycle_is_still_a_cycle() -> None:
    components = set(strongly_connected(package_graph()))
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in components]
    assert not gone, f"changed or broken: update KNOWN_CYCLES (it must equal the current cycles): {gone}"


def _imports_of(package: str) -> dict[str, list[str]]:
    """Top-level imported name → places, for every module of ``src/monk/<package>``."""
    found: dict[str, list[str]] = {}
    for rel, path in modules():
        if rel.startswith(f"monk/{package}/"):
            for dotted, line in imported_modules(rel, path):
                found.setdefault(dotted, []).append(f"{rel}:{line}")
    return found


def test_billing_imports_only_the_standard_library_dateutil_and_itself() -> None:
    bad = {}
    for dotted, where in _imports_of("billing").items():
        top = dotted.split(".")[0]
        if top == "monk":
            if monk_package(dotted) != "billing":
                bad[dotted] = where
        elif not stdlib(dotted) and top not in BILLING_MAY_IMPORT:
            bad[dotted] = where
    assert not bad, f"billing/ is the pure core: {bad}"


def _kit_violations() -> dict[tuple[str, str], list[str]]:
    bad: dict[tuple[str, str], list[str]] = {}
    for dotted, where in _imports_of("kit").items():
        package = monk_package(dotted)
        if package is not None and package not in KIT_MAY_IMPORT:
            bad.setdefault(("kit", package), []).extend(where)
    return {k: sorted(set(v)) for k, v in bad.items()}


def test_kit_imports_no_domain_package() -> None:
    new = {k: v for k, v in _kit_violations().items() if k not in KNOWN_LAYER_VIOLATIONS}
    assert not new, f"kit/ is the bottom toolkit: {new}"


def test_each_known_layer_violation_is_still_real() -> None:
    gone = KNOWN_LAYER_VIOLATIONS - set(_kit_violations())
    assert not gone, f"fixed: remove from KNOWN_LAYER_VIOLATIONS: {gone}"


# The rules themselves can fail: each detector is shown a module that breaks it.

def test_the_sql_rule_sees_each_kind_of_sql(tmp_path: Path) -> None:
    path = tmp_path / "service.py"
    path.write_text('''"""SELECT in a docstring is prose."""
import sqlalchemy as sa
from sqlalchemy import select as pick, func

async def f(session, conn, d):
    """DELETE FROM nothing: a docstring."""
    session.add(object())
    await session.flush()
    d.get("key")
    await session.execute(pick(1))
    await conn.scalars(sa.update("t"))
    await session.get("Model", 1)
    func.count()
    return "SELECT 1 FROM events", "select the plan", "UPDATE invoices SET status = 'Paid'"
''')
    kinds = sorted((u.kind, u.line) for u in sql_uses("monk/x/service.py", path))
    assert kinds == [(".execute", 10), (".get", 12), (".scalars", 11), ("raw SQL", 14), ("raw SQL", 14),
                     ("select", 10), ("update", 11)]


def test_where_sql_is_allowed() -> None:
    assert sql_allowed("monk/events/repository.py") and sql_allowed("monk/kit/db.py")
    assert sql_allowed("monk/migrations/versions/0001_initial_schema.py")
    assert not sql_allowed("monk/events/service.py") and not sql_allowed("monk/kit/auth.py")
    assert not sql_allowed("monk/repository_helpers.py")


def test_cycles_are_found_through_any_path() -> None:
    graph = {"a": {"b": ["x"]}, "b": {"c": ["x"]}, "c": {"a": ["x"], "d": ["x"]}, "d": {}, "e": {"d": ["x"]}}
    assert strongly_connected(graph) == [frozenset({"a", "b", "c"})]
    assert strongly_connected({"a": {"b": ["x"]}, "b": {}}) == []


def test_imports_inside_functions_and_relative_imports_count(tmp_path: Path) -> None:
    package = tmp_path / "monk" / "contracts"
    package.mkdir(parents=True)
    path = package / "service.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from monk.plans import x\n"
                    "def f():\n    from ..invoices.service import g\n    from . import repository\n"
                    "    import monk.kit.db\n")
    found = {d for d, _ in imported_modules("monk/contracts/service.py", path)}
    assert {"monk.plans", "monk.invoices.service", "monk.contracts.repository", "monk.kit.db"} <= found
    assert {monk_package(d) for d in found} >= {"plans", "invoices", "contracts", "kit"}


@pytest.mark.parametrize("name", ["decimal", "datetime", "collections.abc", "__future__"])
def test_the_standard_library_is_recognised(name: str) -> None:
    assert stdlib(name) and not stdlib("sqlalchemy") and not stdlib("monk.kit")
