"""The import graph between apps (docs/architecture.md), read from the source with `ast`.

- `npcadmin` is wiring and shared infrastructure: only its URL/ASGI wiring may import an app.
- No import cycle between the apps (npcs, npcs.runtime, npcs.mind, worlds, analytics).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("npcs.runtime", "npcs.mind", "npcs", "worlds", "analytics")  # nested apps first
WIRING = {"npcadmin/urls.py", "npcadmin/asgi.py", "npcadmin/websocket_urls.py"}


def app_of(module: str) -> str | None:
    return next((app for app in APPS if module == app or module.startswith(f"{app}.")), None)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def source_files(package: str):
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in relative:
            yield relative, path


def app_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for package in ("npcs", "worlds", "analytics"):
        for relative, path in source_files(package):
            source = app_of(relative[:-3].replace("/", "."))
            for module in imports(path):
                target = app_of(module)
                if target and target != source:
                    graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, path = [], []

    def visit(node):
        if node in path:
            found.append([*path[path.index(node):], node])
            return
        path.append(node)
        for target in sorted(graph[node]):
            visit(target)
        path.pop()

    for start in sorted(graph):
        visit(start)
    return found


def test_npcadmin_imports_no_app_outside_its_wiring():
    offenders = [f"{relative} imports {module}"
                 for relative, path in source_files("npcadmin") if relative not in WIRING
                 for module in sorted(imports(path)) if app_of(module)]
    assert offenders == []


def test_no_import_cycle_between_apps():
    assert cycles(app_graph()) == []


def test_the_rules_can_fail():
    """The checks see what they are meant to see (a test that cannot fail is a defect)."""
    assert cycles({"npcs": {"worlds"}, "worlds": {"npcs"}}) == [
        ["npcs", "worlds", "npcs"], ["worlds", "npcs", "worlds"]]
    assert app_of("npcs.runtime.keys") == "npcs.runtime" and app_of("npcs.models") == "npcs"
    assert app_of("npcadmin.health") is None
    assert "npcs.partitions" in imports(ROOT / "npcs/health.py")
