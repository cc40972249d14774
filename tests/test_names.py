"""One home for every name, and no import circle: a reader who meets a function's or a
class's name knows where it lives, and every module can be read before the ones that
import it (a lazy import inside a function counts too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import grimp

SOURCE = Path(__file__).resolve().parents[1] / "src" / "co2mix"


def test_no_function_or_class_name_is_defined_twice_in_the_package():
    homes: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                homes[node.name].append(str(path.relative_to(SOURCE)))
    assert {name: where for name, where in homes.items() if len(where) > 1} == {}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = sorted(m for m in graph.modules if m.startswith("co2mix"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if not other.startswith("co2mix"):
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_even_a_lazy_one():
    graph = grimp.build_graph("co2mix")
    # a package's __init__ importing its own modules is not a circle of the code
    cycles = [c for c in _cycles(graph) if not any(m.count(".") == 0 for m in c)]
    assert cycles == []


def test_the_circle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("co2mix.a", "co2mix.b", "co2mix.c"):
        graph.add_module(module)
    graph.add_import(importer="co2mix.a", imported="co2mix.b")
    graph.add_import(importer="co2mix.b", imported="co2mix.a")
    graph.add_import(importer="co2mix.b", imported="co2mix.c")
    assert _cycles(graph) == [["co2mix.a", "co2mix.b"]]
