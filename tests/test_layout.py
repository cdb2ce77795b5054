"""The package's folders draw the pipeline, and its imports keep to it.

Every module's imports are read with :mod:`ast` (imports inside functions and under
``TYPE_CHECKING`` count too). The test fails on

- any import circle between modules;
- any import from a stage to a later stage (or between two stages of the same rank, such as
  ``beds`` and ``services``, which must not know each other);
- a subpackage that is missing from :data:`STAGES` (a new folder must be given its place).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "carefacility"

STAGES: dict[str, int] = {
    # the shared base: located problems, YAML and tables, section base, random streams
    "_version": 0,
    "base": 0,
    # closed-form queueing theory (used by need, targets and the cross-check)
    "queueing": 1,
    # the pipeline, in data-flow order
    "population": 2,
    "need": 3,
    "beds": 4,
    "services": 4,
    "targets": 5,
    # the scenario file as a whole: every stage's section put together
    "scenario": 6,
    "runner": 7,
    "report": 8,
    # the public face and the command line
    "api": 9,
    "cli": 10,
    "__init__": 10,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports (a ``from pkg import sub`` counts ``sub``)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module]
            targets += [f"{module}.{alias.name}" for alias in node.names
                        if f"{module}.{alias.name}" in known]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    # importing a package module runs its __init__: an edge to "carefacility" itself would
    # make every module depend on the public face, so the root package is not a target
    for deps in graph.values():
        deps.discard("carefacility")
    return graph


def _stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def upward_imports(graph: dict[str, set[str]], stages: dict[str, int]) -> list[str]:
    """Imports from a stage to a later stage, or between different stages of one rank."""
    wrong = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            here, there = _stage(module), _stage(dep)
            if here == there:
                continue
            if stages[there] >= stages[here]:
                wrong.append(f"{module} ({here}, rank {stages[here]}) imports {dep} "
                             f"({there}, rank {stages[there]})")
    return wrong


def test_every_subpackage_has_a_stage() -> None:
    stages = {_stage(module) for module in _modules()}
    missing = sorted(stages - set(STAGES))
    assert not missing, f"give these a place in STAGES: {missing}"


def test_no_import_circles() -> None:
    cycles = find_cycles(_graph())
    assert not cycles, "import circles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_stage_imports_a_later_stage() -> None:
    wrong = upward_imports(_graph(), STAGES)
    assert not wrong, "imports against the pipeline:\n" + "\n".join(wrong)


def test_the_checks_can_fail() -> None:
    # a circle and an upward import planted in a made-up graph are found
    graph = {"carefacility.need.model": {"carefacility.beds.engine"},
             "carefacility.beds.engine": {"carefacility.need.model"}}
    assert find_cycles(graph) == [["carefacility.beds.engine", "carefacility.need.model"]]
    assert upward_imports(graph, STAGES) == [
        "carefacility.need.model (need, rank 3) imports carefacility.beds.engine (beds, rank 4)"]
    sideways = {"carefacility.beds.plan": {"carefacility.services.spec"}}
    assert len(upward_imports(sideways, STAGES)) == 1


@pytest.mark.parametrize("module", ["carefacility.api", "carefacility.cli", "carefacility"])
def test_public_face_sits_on_top(module: str) -> None:
    graph = _graph()
    assert module in graph
    assert all(STAGES[_stage(dep)] < STAGES[_stage(module)] for dep in graph[module])
