"""studio/ui/ imports in no circle, and only the entry points import the main window.

Panels get a ``PanelContext`` instead of the window (see ``studio/ui/panel_context.py``),
so a new panel never needs ``window.py``. Every import counts here: at module level,
inside functions and under ``TYPE_CHECKING``, since a circle of any kind means a
newcomer must read all of it to change one file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import studio.ui

UI = Path(studio.ui.__file__).parent
PACKAGE = "studio.ui"
# The package's create_main_window and the app's entry point
# build the window; nothing else may know its class.
MAY_IMPORT_WINDOW = {"studio.ui", "studio.ui.window", "studio.ui.main"}


def module_name(path: Path) -> str:
    """``studio.ui.x`` for ``x.py``, ``studio.ui`` for ``__init__.py``."""
    return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"


def ui_imports(source: str, modules: set[str]) -> set[str]:
    """The ``studio.ui`` modules that ``source`` imports, anywhere in it.

    ``from studio.ui import x`` imports the submodule x when there is one, else the
    package itself (the package's ``__init__`` runs before any submodule, so it is not
    counted as imported by every ``studio.ui.x`` import)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level <= 1:
            # ``from . import x`` is ``from studio.ui import x`` (modules sit at the top).
            base = node.module or ""
            module = f"{PACKAGE}.{base}".rstrip(".") if node.level else base
            names = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module
                for a in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith(PACKAGE):
                found.add(name)
    return found


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Each module of the package in ``folder`` → the package's modules it imports."""
    paths = sorted(folder.glob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = {}
    for path in paths:
        name = module_name(path)
        graph[name] = ui_imports(path.read_text(encoding="utf-8"), modules) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path ``[a, b, …, a]``, or None when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_the_graph_sees_every_kind_of_import() -> None:
    """Module-level, function-level and TYPE_CHECKING imports all make edges."""
    modules = {PACKAGE, f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.c", f"{PACKAGE}.d"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "import studio.ui.a\n"
        "from studio.ui import b\n"
        "if TYPE_CHECKING:\n    from studio.ui.c import Thing\n"
        "def f():\n    from studio.ui.d import other\n"
        "from studio.ui import create_main_window\n"
        "from . import b\n"
        "import studio.app.bridge, PySide6.QtCore\n"
    )
    assert ui_imports(source, modules) == modules
    assert ui_imports("from .a import x\n", modules) == {f"{PACKAGE}.a"}


def test_find_cycle_finds_a_circle_and_only_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_studio_ui_has_no_import_circle() -> None:
    graph = import_graph(UI)
    assert f"{PACKAGE}.window" in graph and f"{PACKAGE}.panel_context" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def test_only_the_entry_points_import_the_window() -> None:
    graph = import_graph(UI)
    offenders = sorted(
        name
        for name, deps in graph.items()
        if f"{PACKAGE}.window" in deps and name not in MAY_IMPORT_WINDOW
    )
    assert not offenders, f"{offenders} import studio.ui.window; give them a PanelContext"


def test_the_panel_context_needs_no_window() -> None:
    """The context a newcomer reads imports only leaf widgets of the package."""
    deps = import_graph(UI)[f"{PACKAGE}.panel_context"]
    assert deps <= {f"{PACKAGE}.canvas", f"{PACKAGE}.notice", f"{PACKAGE}.status"}
