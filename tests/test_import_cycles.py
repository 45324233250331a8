"""No import circle in the package: module-level imports between sagewatch modules form a DAG.

``from package import submodule`` counts as an edge to the package (its ``__init__`` runs), so a package
whose ``__init__`` re-exports a module that imports the package back is a circle too; submodules are
imported by their full name (``import sagewatch.capture.skips as R``). Imports under ``TYPE_CHECKING`` or
inside functions are not module-level and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
#: the roots scanned: the package, and the CDK kit (``stacks/``, imported from the repository root)
ROOTS = ((SRC, SRC / "sagewatch"), (ROOT, ROOT / "stacks"))


def _module_graph() -> dict[str, set[str]]:
    modules = {}
    for base, folder in ROOTS:
        for path in folder.rglob("*.py"):
            name = ".".join(path.relative_to(base).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for stmt in node.body if isinstance(node, (ast.If, ast.Try)) else [node]:
                if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                    targets = [stmt.module] + [f"{stmt.module}.{alias.name}" for alias in stmt.names]
                elif isinstance(stmt, ast.Import):
                    targets = [alias.name for alias in stmt.names]
                else:
                    continue
                graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_has_no_import_circle():
    assert _circles(_module_graph()) == []


def test_the_graph_covers_the_package_and_the_cdk_kit():
    graph = _module_graph()
    assert "sagewatch.job.run" in graph and "stacks.config_readers" in graph
    assert "stacks.config" in graph["stacks.config_readers"]


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
