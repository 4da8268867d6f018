"""Static views of ``src/monk`` for the architecture tests: the SQL each module writes and the
imports between Monk's top-level packages, read from the AST (nothing is imported or run).

Rules encoded here (the docstring of ``tests/test_architecture.py`` states them for readers):

SQL is written, for the purpose of the rule, wherever a module
- calls a SQLAlchemy statement constructor (``select``, ``insert``, ``update``, ``delete``,
  ``text``, ``union``, ``union_all``, ``exists``, ``values``, ``literal_column``) imported from
  ``sqlalchemy`` or one of its submodules, by name or as an attribute of the imported module;
- calls a method that sends a statement to the database: ``execute``, ``scalar``, ``scalars``,
  ``stream``, ``stream_scalars``, ``exec_driver_sql``, ``run_sync`` on any receiver, and the reads
  ``get``, ``get_one``, ``refresh``, ``merge`` on a receiver that names a session or connection
  (``session``, ``conn``, ``connection``, ``held``, or a name ending in ``session``/``conn``; a
  ``dict.get`` is not a query). The unit of work (``add``, ``delete``, ``flush``) is not counted:
  services create and change entities, repositories query them; the commit belongs to the
  transaction model, not to this rule;
- holds a string literal (not a docstring) that starts like a SQL statement (an upper-case
  ``SELECT``, ``INSERT INTO``, ``UPDATE … SET``, ``DELETE FROM``, ``WITH … AS``, ``CREATE``,
  ``DROP``, ``ALTER``, ``TRUNCATE``, ``LISTEN``, ``NOTIFY``, ``PRAGMA``, ``BEGIN``, ``LOCK TABLE``,
  ``SET LOCAL``, ``VACUUM``, ``ANALYZE``).

Modules allowed to write SQL: every ``*/repository.py``, ``kit/db.py`` (the dialect seam), the
schema's history (``migrations/`` and its runner ``kit/migrate.py``), and ``bench/`` (a tool that
measures the database floor with its own statements, not part of the application). ``models/``
define tables: there ``text()`` is DDL (partial-index predicates, expression indexes) and allowed.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MONK = SRC / "monk"

SQL_CONSTRUCTORS = frozenset({"select", "insert", "update", "delete", "text", "union", "union_all", "exists",
                              "values", "literal_column"})
STATEMENT_METHODS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars", "exec_driver_sql",
                               "run_sync"})
SESSION_METHODS = frozenset({"get", "get_one", "refresh", "merge"})
SESSION_NAMES = frozenset({"session", "conn", "connection", "held"})
RAW_SQL = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+.*\sAS\s|CREATE\s|DROP\s|ALTER\s"
    r"|TRUNCATE\s|LISTEN\s|NOTIFY\s|PRAGMA\s|BEGIN(\s|$)|LOCK\s+TABLE\s|SET\s+LOCAL\s|VACUUM|ANALYZE)", re.DOTALL)


def modules() -> Iterator[tuple[str, Path]]:
    """Every Python module of ``src/monk`` as (path relative to ``src``, e.g. ``monk/kit/db.py``; file)."""
    for path in sorted(MONK.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), path


def sql_allowed(rel: str) -> bool:
    """Whether the module at ``rel`` may write SQL: a ``repository.py``, ``kit/db.py`` or a migration."""
    return (rel.endswith("/repository.py") or rel in ("monk/kit/db.py", "monk/kit/migrate.py")
            or rel.startswith(("monk/migrations/", "monk/bench/")))


@dataclass(frozen=True)
class SqlUse:
    """One place a module writes SQL: ``kind`` is the construct (``select``, ``.execute``,
    ``raw SQL``), ``line`` its line number."""

    module: str
    kind: str
    line: int


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _receiver_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_session_name(name: str | None) -> bool:
    if name is None:
        return False
    name = name.lstrip("_").lower()
    return name in SESSION_NAMES or name.endswith("session") or name.endswith("conn")


def sql_uses(rel: str, path: Path) -> list[SqlUse]:
    """The places where the module writes SQL, by the rules in this module's docstring."""
    tree = ast.parse(path.read_text(), filename=str(path))
    constructors: dict[str, str] = {}  # local name → the SQLAlchemy statement constructor it is
    sa_modules: set[str] = set()  # local names bound to sqlalchemy (or a submodule)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in SQL_CONSTRUCTORS:
                    constructors[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    sa_modules.add(alias.asname or alias.name.split(".")[0])
    if rel.startswith("monk/models/"):
        constructors = {k: v for k, v in constructors.items() if v != "text"}  # DDL: index predicates and expressions
    docstrings = _docstring_nodes(tree)
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in constructors:
                uses.append(SqlUse(rel, constructors[f.id], node.lineno))
            elif isinstance(f, ast.Attribute):
                if f.attr in SQL_CONSTRUCTORS and isinstance(f.value, ast.Name) and f.value.id in sa_modules:
                    uses.append(SqlUse(rel, f.attr, node.lineno))
                elif f.attr in STATEMENT_METHODS or (f.attr in SESSION_METHODS
                                                     and _is_session_name(_receiver_name(f.value))):
                    uses.append(SqlUse(rel, "." + f.attr, node.lineno))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and RAW_SQL.match(node.value)):
            uses.append(SqlUse(rel, "raw SQL", node.lineno))
    return uses


def sql_outside_repositories() -> dict[str, set[str]]:
    """Module → the kinds of SQL it writes, for every module not allowed to write any."""
    found: dict[str, set[str]] = {}
    for rel, path in modules():
        if not sql_allowed(rel):
            for use in sql_uses(rel, path):
                found.setdefault(rel, set()).add(use.kind)
    return found


def package_of(rel: str) -> str:
    """The top-level package (or top-level module) of ``src/monk`` a module belongs to:
    ``monk/kit/db.py`` → ``kit``, ``monk/app.py`` → ``app``, ``monk/__init__.py`` → ``monk``."""
    parts = rel.split("/")[1:]
    if len(parts) == 1:
        return "monk" if parts[0] == "__init__.py" else parts[0].removesuffix(".py")
    return parts[0]


def imported_modules(rel: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module the file imports, anywhere in it (top level, inside functions, under
    ``TYPE_CHECKING``), as an absolute dotted name with its line; relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = rel.removesuffix(".py").split("/")
    package = own[:-1]  # the package a relative import starts from (for __init__ too)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # ``from monk import kit`` imports the package kit
                yield f"{target}.{alias.name}", node.lineno


def monk_package(dotted: str) -> str | None:
    """The top-level Monk package a dotted module name falls in (``monk.kit.db`` → ``kit``), or
    ``None`` when it is not Monk's or names something that is not a package or module of it."""
    parts = dotted.split(".")
    if parts[0] != "monk" or len(parts) < 2:
        return None
    head = parts[1]
    if (MONK / head).is_dir() or (MONK / f"{head}.py").is_file():
        return head
    return None


def package_graph() -> dict[str, dict[str, list[str]]]:
    """Package → imported package → the ``module:line`` places that import it (self-edges left out)."""
    graph: dict[str, dict[str, list[str]]] = {}
    for rel, path in modules():
        src = package_of(rel)
        graph.setdefault(src, {})
        for dotted, line in imported_modules(rel, path):
            dst = monk_package(dotted)
            if dst and dst != src and src != "monk":
                graph[src].setdefault(dst, []).append(f"{rel}:{line}")
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[frozenset[str]]:
    """The strongly-connected components of more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
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
                components.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def stdlib(name: str) -> bool:
    """Whether the top-level name of the dotted module ``name`` is in Python's standard library."""
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"
