"""The house: floors of the shipped packages, and imports that only point downwards.

The test reads every module of ``crawler``, ``spiders`` and ``storage`` with :mod:`ast` (no
import runs), collects each ``import``/``from … import`` wherever it stands — module level,
inside functions, and under ``if TYPE_CHECKING:`` (a type-only import is still a dependency
a reader must know about, and it is the usual way a circle hides) — and fails when

* a module belongs to no floor (a new room must say where it lives),
* an import points to a higher floor (an upward arrow), or a forbidden pair is joined
  (storage → Scrapy or the crawler; spiders → storage or alerts),
* the modules import one another in a circle,
* a module under ``crawler`` or ``spiders`` builds SQL: it imports from SQLAlchemy anything
  beyond the handles and types it is given (``Engine``, ``Connection``, ``Session``…) and its
  exceptions — ``select``, ``insert``, ``update``, ``delete``, ``text``, ``func``, ``or_``,
  a dialect's ``insert``, the ``sqlalchemy`` module itself — or runs a raw string with
  ``exec_driver_sql``. Every SQL statement of the product lives in ``storage/``, which
  offers functions taking an engine or session and plain values.

``KNOWN_DEBT`` lists the arrows that still point the wrong way, each with the reason it is
not fixed yet; the test also fails when one of them has gone, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "spiders", "storage")

# The floors, top to bottom. A module may import its own floor and any floor below it.
# Entries are module names or package prefixes ("crawler.cli" covers crawler.cli.*);
# "=name" matches that module alone; the longest matching entry decides.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli", ("crawler.cli", "crawler.__main__", "crawler.demo")),
    ("service", ("crawler.service",)),
    (
        "crawl engine and spiders",
        (
            "crawler.runner",
            "crawler.runs",
            "crawler.detail_pages",
            "crawler.pipelines",
            "crawler.middlewares",
            "crawler.health",
            "crawler.moves",
            "crawler.settings",
            "crawler.safe_resolver",
            "crawler.layout_memory",
            "spiders",
        ),
    ),
    (
        "readers of stored publications: alerts, digest, web",
        (
            "crawler.alerts",
            "crawler.digest",
            "crawler.web",
            "crawler.app_config",
            "crawler.source_status",
        ),
    ),
    ("storage", ("storage",)),
    (
        "plain values",
        (
            "=crawler",  # the package itself (its __init__ holds only the version)
            "crawler.items",
            "crawler.outcomes",
            "crawler.errors",
            "crawler.dates",
            "crawler.urls",
            "crawler.sources",
            "crawler.address_ranges",
            "crawler.fetch_identity",
            "crawler.robots_rules",  # a parser of robots.txt answers (Protego only)
            "crawler.config_loader",
            "crawler.bulletin",
            "crawler.logs",
            "storage.errors",  # the root of the error tree: below storage, reachable from it
            "storage.records",  # what the crawl hands storage to write
        ),
    ),
)
"""``crawler.app_config`` sits with the readers: the app's config names the routing file
(alerts) and the retention policy (storage), and the engine and service read it."""

# Pairs that the floors alone would allow but the house forbids: (importer prefix, imported
# prefix). Third-party names count here too.
FORBIDDEN: tuple[tuple[str, str], ...] = (
    ("storage", "crawler"),
    ("storage", "spiders"),
    ("storage", "scrapy"),
    ("spiders", "storage"),
    ("spiders", "crawler.alerts"),
)

# Arrows that still point the wrong way: (importer, imported) → why they remain.
KNOWN_DEBT: dict[tuple[str, str], str] = {
    ("crawler.alerts.routing_config", "crawler.app_config"): (
        "type-only import (TYPE_CHECKING) closing a circle with app_config, which checks the"
        " routing file it names; crawler/alerts/ belongs to the sinks branch (issue 10 item 3)"
    ),
}

# What a module outside storage/ may import from SQLAlchemy: per module, the names allowed
# (None: every name, for the exception classes). Handles and types only; anything else there
# builds SQL (select, update, text, func, or_, …) and belongs in storage/.
SQL_FREE_PACKAGES = ("crawler", "spiders")
SQLALCHEMY_ALLOWED: dict[str, frozenset[str] | None] = {
    "sqlalchemy": frozenset({"Engine", "Connection", "Row", "URL"}),
    "sqlalchemy.engine": frozenset({"Engine", "Connection", "Row", "URL"}),
    "sqlalchemy.orm": frozenset({"Session"}),
    "sqlalchemy.exc": None,
}

# Modules outside storage/ still allowed to build SQL: module → why. The test fails when an
# entry no longer builds SQL, so the list only shrinks; keep it empty.
SQL_OUTSIDE_STORAGE: dict[str, str] = {}


@dataclass(frozen=True)
class Arrow:
    """One import: who imports, what it names, and where (for the failure message)."""

    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic scripts, run by Alembic only
                continue
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The shipped module a dotted name lives in (``a.b.C`` → ``a.b``), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name: str, path: Path) -> Iterator[Arrow]:
    return _imports_in(name, path.name == "__init__.py", path.read_text(encoding="utf-8"))


def _imports_in(name: str, is_package: bool, text: str) -> Iterator[Arrow]:
    tree = ast.parse(text)
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Arrow(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield Arrow(name, full if full in MODULES else base, node.lineno)


SESSION_STATEMENTS = frozenset(
    {"get", "get_one", "refresh", "execute", "scalars", "scalar", "query", "add", "add_all",
     "delete", "merge", "flush"}
)  # fmt: skip
"""ORM session methods that read or write rows: outside storage/, code holds a session only
to pass it on (a transaction's handle), so these count as SQL too."""


def _sql_built_in(text: str) -> Iterator[tuple[str, int]]:
    """What in this source builds SQL (see the module doc): ``(what, line)`` for each import
    from SQLAlchemy beyond :data:`SQLALCHEMY_ALLOWED`, and each ``exec_driver_sql``."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _matches(alias.name, "sqlalchemy") and alias.name != "sqlalchemy.exc":
                    yield f"import {alias.name}", node.lineno
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if not _matches(node.module, "sqlalchemy"):
                continue
            allowed = SQLALCHEMY_ALLOWED.get(node.module, frozenset())
            for alias in node.names:
                if allowed is not None and alias.name not in allowed:
                    yield f"from {node.module} import {alias.name}", node.lineno
        elif isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql":
            yield "exec_driver_sql", node.lineno
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in SESSION_STATEMENTS
            and isinstance(node.value, ast.Name)
            and node.value.id == "session"
        ):
            yield f"session.{node.attr}", node.lineno


def _sql_builders() -> dict[str, list[str]]:
    """Modules under crawler/ and spiders/ that build SQL → what and where."""
    found: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        if not any(_matches(name, package) for package in SQL_FREE_PACKAGES):
            continue
        for what, line in _sql_built_in(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(f"{what} (line {line})")
    return found


def _arrows() -> list[Arrow]:
    return [arrow for name, path in MODULES.items() for arrow in _imports(name, path)]


ARROWS = _arrows()


def _internal() -> set[tuple[str, str]]:
    """Module-to-module edges inside the shipped packages (self-imports dropped)."""
    edges: set[tuple[str, str]] = set()
    for arrow in ARROWS:
        target = _owner(arrow.target)
        if target is not None and target != arrow.source:
            edges.add((arrow.source, target))
    return edges


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def floor_of(module: str) -> int | None:
    """Height of a module's floor (0 = plain values), by the longest matching entry."""
    best: tuple[int, int] | None = None
    for index, (_, entries) in enumerate(FLOORS):
        height = len(FLOORS) - 1 - index
        for entry in entries:
            exact = entry.startswith("=")
            hit = module == entry[1:] if exact else _matches(module, entry)
            if hit and (best is None or len(entry) > best[0]):
                best = (len(entry), height)
    return None if best is None else best[1]


def _floor_name(height: int) -> str:
    return FLOORS[len(FLOORS) - 1 - height][0]


def _violations() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for source, target in sorted(_internal()):
        low, high = floor_of(source), floor_of(target)
        if low is not None and high is not None and high > low:
            found[(source, target)] = (
                f"upward: {source} ({_floor_name(low)}) imports {target} ({_floor_name(high)})"
            )
    for arrow in ARROWS:
        for importer, imported in FORBIDDEN:
            if _matches(arrow.source, importer) and _matches(arrow.target, imported):
                target = _owner(arrow.target) or arrow.target.split(".")[0]
                found[(arrow.source, target)] = (
                    f"forbidden: {arrow.source} imports {arrow.target} (line {arrow.line})"
                )
    return found


def _cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    graph: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        graph.setdefault(source, []).append(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_every_module_lives_on_a_floor() -> None:
    homeless = sorted(name for name in MODULES if floor_of(name) is None)
    assert not homeless, f"modules on no floor (add them to FLOORS): {homeless}"


def test_imports_point_only_downwards() -> None:
    found = _violations()
    new = {edge: why for edge, why in found.items() if edge not in KNOWN_DEBT}
    assert not new, "arrows against the house:\n" + "\n".join(sorted(new.values()))


def test_known_debt_is_still_owed() -> None:
    """A repaired arrow leaves KNOWN_DEBT, so the list never excuses a new one."""
    found = set(_violations())
    circling = {module for circle in _cycles(_internal()) for module in circle}
    owed = found | {(a, b) for a, b in _internal() if a in circling and b in circling}
    gone = sorted(f"{a} -> {b}" for a, b in KNOWN_DEBT if (a, b) not in owed)
    assert not gone, f"repaired: remove from KNOWN_DEBT: {gone}"


def test_no_import_circles() -> None:
    edges = {edge for edge in _internal() if edge not in KNOWN_DEBT}
    circles = _cycles(edges)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_sql_lives_in_storage() -> None:
    """No module under crawler/ or spiders/ builds SQL; it calls storage's functions."""
    found = _sql_builders()
    new = {name: where for name, where in found.items() if name not in SQL_OUTSIDE_STORAGE}
    assert not new, (
        "SQL outside storage/ (move the statement into a storage module and call it):\n"
        + "\n".join(f"{name}: {', '.join(where)}" for name, where in sorted(new.items()))
    )
    gone = sorted(set(SQL_OUTSIDE_STORAGE) - set(found))
    assert not gone, f"no longer builds SQL: remove from SQL_OUTSIDE_STORAGE: {gone}"


def test_the_sql_check_tells_builders_from_types() -> None:
    """The check itself can fail: builders and raw SQL are seen, handles and errors pass."""
    builders = (
        "from sqlalchemy import Engine, select\n"
        "from sqlalchemy import func as f\n"
        "import sqlalchemy as sa\n"
        "def g():\n    from sqlalchemy.dialects.postgresql import insert\n"
        "    from sqlalchemy.orm import Session, sessionmaker\n"
        "def h(c):\n    c.exec_driver_sql('DELETE FROM t')\n"
        "def k(session):\n    session.add(1)\n    session.refresh(1, with_for_update=True)\n"
    )
    seen = sorted(what for what, _ in _sql_built_in(builders))
    assert seen == sorted(
        [
            "from sqlalchemy import select",
            "from sqlalchemy import func",
            "import sqlalchemy",
            "from sqlalchemy.dialects.postgresql import insert",
            "from sqlalchemy.orm import sessionmaker",
            "exec_driver_sql",
            "session.add",
            "session.refresh",
        ]
    )
    types_only = (
        "from sqlalchemy import Connection, Engine\n"
        "from sqlalchemy.orm import Session\n"
        "from sqlalchemy.exc import OperationalError, SQLAlchemyError\n"
        "import sqlalchemy.exc\n"
        "from storage.outbox import claim_rows\n"
        "def k(request, session):\n    request.session.get('user')\n"
        "    claim_rows(session, 1)\n"
    )
    assert list(_sql_built_in(types_only)) == []


@pytest.mark.parametrize(
    ("module", "floor"),
    [
        ("crawler.cli.crawl", "cli"),
        ("crawler.service.daemon", "service"),
        ("spiders.feed", "crawl engine and spiders"),
        ("crawler.alerts.outbox", "readers of stored publications: alerts, digest, web"),
        ("storage.db", "storage"),
        ("crawler.items", "plain values"),
    ],
)
def test_floor_lookup_reads_the_table(module: str, floor: str) -> None:
    """The lookup itself can fail: a wrong prefix rule would misplace these rooms."""
    height = floor_of(module)
    assert height is not None
    assert _floor_name(height) == floor


def test_the_walker_sees_function_level_and_type_checking_imports() -> None:
    """The walker must see imports inside functions and under TYPE_CHECKING, or it lies."""
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from storage.db import transaction\n"
        "def f():\n    from .items import Publication\n"
    )
    targets = {_owner(arrow.target) for arrow in _imports_in("crawler.probe", False, text)}
    assert {"storage.db", "crawler.items"} <= targets


def test_report_floors(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the house (visible with ``pytest -s``): floors, module counts, owed arrows.
    The counts must add up to every module, or the report hides one."""
    counted = 0
    for index, (label, _) in enumerate(FLOORS):
        height = len(FLOORS) - 1 - index
        count = sum(1 for name in MODULES if floor_of(name) == height)
        counted += count
        print(f"floor {height}: {label}: {count} modules")
    assert counted == len(MODULES), f"the report counts {counted} of {len(MODULES)} modules"
    print(f"{len(_internal())} internal arrows, {len(KNOWN_DEBT)} known debt")
    for (a, b), why in sorted(KNOWN_DEBT.items()):
        print(f"  debt {a} -> {b}: {why}")
