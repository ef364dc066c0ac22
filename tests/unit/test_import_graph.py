"""The house has no import circles, function-level imports included (import-linter's contracts hold the
direction of the arrows; this holds that none of them closes a loop, module by module and room by room)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cloudlink_provider"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["cloudlink_provider", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of the package that `name` imports, anywhere in its body (functions, TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in modules else base)
    resolved = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name and not name.startswith(target + "."):  # a package's own __init__ aside
            resolved.add(target)
    return resolved


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _rooms(graph: dict[str, set[str]], depth: int, within: str) -> dict[str, set[str]]:
    """The graph collapsed to the rooms `depth` dots deep under `within` (arrows inside a room dropped)."""
    def room(module: str) -> str | None:
        if not module.startswith(within + "."):
            return None
        return ".".join(module.split(".")[:depth + 1])

    rooms: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = room(module)
        if source is None:
            continue
        rooms.setdefault(source, set())
        rooms[source] |= {r for t in targets if (r := room(t)) is not None and r != source}
    return rooms


def test_no_module_imports_itself_back_through_others():
    assert _cycles(_graph()) == []


def test_no_room_imports_itself_back_through_others():
    graph = _graph()
    assert _cycles(_rooms(graph, 1, "cloudlink_provider")) == []
    assert _cycles(_rooms(graph, 2, "cloudlink_provider.fleet")) == []


def test_the_walk_sees_function_level_imports():
    """A circle hidden in a function body is a circle: the walk must see such an import."""
    graph = _graph()
    assert "cloudlink_provider.fleet.commands.welcome" in graph["cloudlink_provider.cli"]  # imported in a command
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
