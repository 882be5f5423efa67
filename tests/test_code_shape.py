"""The shape of the package's code: no function longer than a screen or two, no import circle,
rooms that import one way only (``LAYERS``), no room over 3,000 lines.

Both are read from the source with ``ast`` (nothing is imported), so the check is fast and sees
imports inside functions too: a deferred import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "crimeoutcomes"
MAX_LINES = 80
MAX_ROOM_LINES = 3000

#: The rooms of the package, lowest first: a module may import its own room and the rooms before
#: it, never one after (the flow in src/crimeoutcomes/__init__.py and docs/layout.md).
LAYERS = (
    {"config", "errors", "atomic", "locks", "templates"},
    {"funnels"},
    {"data"},
    {"synthetic"},
    {"sources"},
    {"stats"},
    {"reconciliation"},
    {"prose"},
    {"notebook"},
    {"pages"},
    {"build"},
    {"cli", "__main__"},
)


def _modules(src: Path = SRC) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def long_functions(files: dict[str, Path], limit: int = MAX_LINES, src: Path = SRC) -> list[str]:
    """'file:function (N lines)' for every function (methods and nested ones too) over ``limit`` lines."""
    found = []
    for path in files.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # From the def line (decorators are not the body) to the last line of the body.
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(src).as_posix()}:{node.name} ({lines} lines)")
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement names, relative imports resolved against ``module``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    # 'from pkg import name' may import the module pkg.name: both are candidates.
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its file: at the top, inside a
    function, or for type checking only (a module that names another's class in its annotations
    depends on it as much as one that calls it)."""
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = set()
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                if name in files and name != module:
                    edges.add(name)
        graph[module] = edges
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each circle of imports once, as the modules in order with the first repeated at the end
    (the strongly connected components of the graph, Tarjan's algorithm)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_one_circle(graph, component) for component in components]


def _one_circle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A path from the component's first module back to itself, through the component only."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    return component  # unreachable for a strongly connected component


def test_no_function_is_over_80_lines():
    long = long_functions(_modules())
    assert not long, "functions over 80 lines (split them along their steps): " + ", ".join(long)


def test_no_import_circle():
    cycles = import_cycles(import_graph(_modules()))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def room_of(module: str) -> str:
    """crimeoutcomes.notebook.analysis -> notebook; crimeoutcomes.config -> config."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def wrong_way_imports(graph: dict[str, set[str]], layers=LAYERS) -> list[str]:
    """'a -> b' for every import of a later room by an earlier one (the package's own __init__,
    the lazy public surface, stands outside the rooms)."""
    level = {room: at for at, rooms in enumerate(layers) for room in rooms}
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            here, there = room_of(module), room_of(target)
            if here and there and level[there] > level[here]:
                found.append(f"{module} -> {target}")
    return found


def test_every_room_is_placed():
    rooms = {room_of(module) for module in _modules()} - {""}
    assert rooms == set().union(*LAYERS), "rooms missing from LAYERS (or gone from the package)"


def test_imports_flow_one_way():
    wrong = wrong_way_imports(import_graph(_modules()))
    assert not wrong, "imports of a later room (move the code, or the import): " + "; ".join(wrong)


def test_no_room_is_over_3000_lines():
    lines: dict[str, int] = {}
    for module, path in _modules().items():
        lines[room_of(module)] = lines.get(room_of(module), 0) + len(path.read_text(encoding="utf-8").splitlines())
    big = {room: n for room, n in lines.items() if n > MAX_ROOM_LINES}
    assert not big, f"rooms over {MAX_ROOM_LINES} lines (split them by job): {big}"


def test_a_wrong_way_import_is_found(tmp_path):
    files = {
        "__init__.py": "",
        "data/__init__.py": "",
        "data/read.py": "from crimeoutcomes.build import pipeline\n",
        "build/__init__.py": "",
        "build/pipeline.py": "from crimeoutcomes.data import read\n",
    }
    graph = import_graph(_write_package(tmp_path, files))
    # 'from crimeoutcomes.build import pipeline' names the package and its module: both are wrong
    assert wrong_way_imports(graph) == [
        "crimeoutcomes.data.read -> crimeoutcomes.build",
        "crimeoutcomes.data.read -> crimeoutcomes.build.pipeline",
    ]


# The checks themselves, on small made-up packages, so that a check that finds nothing is not
# mistaken for a clean package.


def _write_package(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return _modules(root)


@pytest.mark.parametrize(
    "files, cycle",
    [
        (
            {"__init__.py": "", "a.py": "from crimeoutcomes import b\n", "b.py": "import crimeoutcomes.a\n"},
            ["crimeoutcomes.a", "crimeoutcomes.b", "crimeoutcomes.a"],
        ),
        (  # an import inside a function counts
            {
                "__init__.py": "",
                "r/__init__.py": "",
                "r/a.py": "def f():\n    from crimeoutcomes.r.b import g\n",
                "r/b.py": "from .a import f\n",
            },
            ["crimeoutcomes.r.a", "crimeoutcomes.r.b", "crimeoutcomes.r.a"],
        ),
    ],
)
def test_a_circle_is_found(tmp_path, files, cycle):
    assert import_cycles(import_graph(_write_package(tmp_path, files))) == [cycle]


def test_no_circle_in_a_chain(tmp_path):
    files = {"__init__.py": "", "a.py": "from crimeoutcomes import b\n", "b.py": "from . import c\n", "c.py": ""}
    assert import_cycles(import_graph(_write_package(tmp_path, files))) == []


def test_a_long_function_is_named(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))  # 80 lines of body and the def: 81
    modules = _write_package(
        tmp_path, {"__init__.py": "", "long.py": f"def short():\n    pass\n\n\ndef long():\n{body}"}
    )
    assert long_functions(modules, src=tmp_path) == [f"crimeoutcomes/long.py:long ({MAX_LINES + 1} lines)"]
