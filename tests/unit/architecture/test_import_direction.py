"""Dependencies point one way: domain <- adapters <- web, tasks; web and tasks never meet
except in the composition root; the simulator is a client of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Room -> the first-party rooms it must never import.
FORBIDDEN = {
    "domain": {"adapters", "web", "tasks", "sim", "bootstrap", "celeryconfig", "wsgi"},
    "adapters": {"web", "tasks", "sim", "bootstrap", "wsgi"},
    "web": {"tasks", "sim", "bootstrap", "celeryconfig", "wsgi"},
    "tasks": {"web", "sim", "bootstrap", "wsgi"},
    "sim": {"domain", "adapters", "web", "tasks", "bootstrap", "celeryconfig", "wsgi"},
}
# Frameworks a room must not load at all.
FORBIDDEN_LIBRARIES = {
    "domain": {"flask", "flask_smorest", "flask_sock", "celery", "redis", "simple_websocket"},
    "adapters": {"flask", "flask_smorest", "flask_sock", "celery"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every module `path` imports, wherever the import stands."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def modules_of(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_only_what_lies_below_it(room):
    crossings = {
        str(path.relative_to(ROOT)): sorted(
            imported_roots(path) & (FORBIDDEN[room] | FORBIDDEN_LIBRARIES.get(room, set()))
        )
        for path in modules_of(room)
    }
    assert {module: rooms for module, rooms in crossings.items() if rooms} == {}


def test_the_walk_sees_every_room_and_its_imports():
    # Guards the test above against passing on an empty tree or a parser that sees nothing.
    assert all(modules_of(room) for room in FORBIDDEN)
    assert {"web", "tasks"} <= imported_roots(ROOT / "bootstrap.py")
    assert "domain" in imported_roots(ROOT / "web" / "app.py")


def test_the_simulator_has_no_import_circle():
    """sim/ modules, typing-only imports included, import each other without a cycle."""
    graph = {
        f"sim.{path.stem}": {
            node.module
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim.")
        }
        for path in modules_of("sim")
    }
    assert {"sim.charger", "sim.session", "sim.link"} <= set(graph)

    def cycle_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return (*path[path.index(module) :], module)
        for imported in sorted(graph.get(module, ())):
            if found := cycle_from(imported, (*path, module)):
                return found
        return None

    assert [cycle for module in graph if (cycle := cycle_from(module, ()))] == []
