"""The package structure, read from the source (no servers): which parts of the service import which.

Imports run one way: plumbing knows no domain, storage knows no records, the audit chain sits below every
domain, and no two parts import each other, however indirectly.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2] / "src" / "recording_service"


def unit_of(path: Path) -> str:
    """A package (`cases`) or a loose top-level module (`pagination`)."""
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else path.stem


def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        unit, here = unit_of(path), list(path.relative_to(ROOT).parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:  # relative: resolve against the importing package
                base = here[: len(here) - node.level + 1]
                target = base + [part for part in (node.module or "").split(".") if part]
                names = target[:1] or [alias.name for alias in node.names]
            elif (node.module or "").startswith("recording_service."):
                names = [node.module.split(".")[1]]
            else:
                continue
            graph.setdefault(unit, set()).update(name for name in names if name != unit)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in graph.get(unit, ()):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for unit in list(graph):
        if unit not in index:
            visit(unit)
    return found


def test_no_import_cycle_between_parts_of_the_service():
    assert [sorted(cycle) for cycle in cycles(imports())] == []


DOMAINS = {
    "cases",
    "complaints",
    "window_staff",
    "media",
    "ingest",
    "custody",
    "publication",
    "officers",
    "agencies",
    "stats",
    "webhooks",
    "lists",
    "timeline",
    "review",
    "export",
    "web",
    "workdays",
    "inspections",
    "devices",
    "audit",
    "auth",
    "catalog",
    "dock",
    "jobs",
}


def test_the_audit_chain_sits_below_every_domain():
    assert imports().get("audit", set()) & DOMAINS == set()


def test_plumbing_knows_no_domain():
    # core/ (settings, sessions, principals, problems, pagination, time, values, throttles, events) and the
    # stores: every domain stands on them, so they import none.
    graph = imports()
    for unit in ("core", "storage"):
        assert not graph.get(unit, set()) & DOMAINS, (unit, sorted(graph.get(unit, set()) & DOMAINS))


def test_storage_knows_no_records():
    assert imports().get("storage", set()) <= {"core"}


def test_no_loose_modules_beside_the_packages():
    # Only the composition root, the command line and the model registry sit at the top of the package.
    loose = sorted(path.stem for path in ROOT.glob("*.py") if path.stem != "__init__")
    assert loose == ["app", "cli", "models"]


def test_no_package_imports_another_packages_router():
    # Routes are a package's own surface; what another package needs lives in its service or schemas.
    offenders = []
    for path in ROOT.rglob("*.py"):
        unit = unit_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1] == "router":
                target = node.module.split(".")[-2] if node.level >= 2 or node.module.startswith("recording_service.") else unit
                if target != unit and path.stem != "app":
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert offenders == []


def test_no_test_module_imports_another():
    # Shared helpers live in tests/support/; a test module imported by others drags its tests' fixtures along.
    tests = Path(__file__).parents[1]
    offenders = []
    for path in [*tests.glob("test_*.py"), *tests.glob("unit/test_*.py"), *tests.glob("api/test_*.py"), *tests.glob("**/conftest.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and (node.module.split(".")[-1].startswith("test_") or node.module.split(".")[-1] == "conftest")
            ):
                offenders.append(f"{path.name}: from {'.' * node.level}{node.module}")
    assert offenders == []


def test_no_test_dates_by_the_machines_clock():
    # The service counts days in the agency's time zone; this machine keeps UTC, and from 16:00 UTC the two disagree.
    tests = Path(__file__).parents[1]
    offenders = []
    for path in tests.rglob("*.py"):
        if "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "today"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"date", "datetime"}
            ):
                offenders.append(f"{path.relative_to(tests)}:{node.lineno}")
    assert offenders == [], "use tests/support/clock.agency_today()"


def test_no_test_runs_a_loop_on_the_main_thread():
    # Once a browser test has started Playwright's sync API, the worker's main thread keeps an event loop running and
    # asyncio.run refuses to nest: such a test passes alone and fails after a browser test in the same worker.
    tests = Path(__file__).parents[1]
    offenders = []
    for path in tests.rglob("*.py"):
        if "node_modules" in path.parts or path == tests / "support" / "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "asyncio"
            ):
                offenders.append(f"{path.relative_to(tests)}:{node.lineno}")
    assert offenders == [], "use tests/support.run_async()"
