"""The package's layout: modules import each other in one direction only, so each can be
read (and tested) with only what it imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "papershelf"


def module_name(path: Path) -> str:
    """`search/shards.py` → `search.shards`; a package is its `__init__.py`."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The papershelf modules a module imports anywhere: at the top, inside functions and
    under TYPE_CHECKING alike (a cycle hidden there is still a cycle to a reader)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and (node.module + ".").startswith("papershelf."):
            package = node.module.removeprefix("papershelf").lstrip(".")
            names = [f"{package}.{alias.name}".lstrip(".") for alias in node.names] + [package]
        elif isinstance(node, ast.Import):
            names = [alias.name.removeprefix("papershelf.") for alias in node.names if alias.name.startswith("papershelf.")]
        found.update(name for name in names if name in modules)
    return found - {module_name(path), ""}


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph, as the modules along it, or [] when there is none."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return []
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_module_of_the_package_imports_one_that_imports_it_back() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = {module_name(path): imports_of(path, modules) for path in paths}
    assert {"cache", "search.documents"} <= graph["builder"] and "search.postings" in graph["search.shards"]  # the walk sees imports
    assert import_cycle(graph) == [], " → ".join(import_cycle(graph))


def test_every_module_is_in_the_code_digest() -> None:
    """A change to any module, in a subpackage too, rebuilds the site and starts the caches over."""
    from papershelf.cache import code_digests

    assert {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")} <= set(code_digests())
