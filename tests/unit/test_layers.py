"""The product's imports run one way, top to bottom, with no circle (not even under TYPE_CHECKING).

Layers, top first (see mcp_servers/sentry_monitor/src/__init__.py): the surface (server, module API, check,
lifecycle, prompts, schemas), operations, then analysis and the shared text helpers (which do not import
each other) over the shared result shapes, then `sentry/`, `base/` and the framework's contracts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "mcp_servers" / "sentry_monitor"
SRC = "mcp_servers.sentry_monitor.src"

MAY_IMPORT = {
    "entry": {"entry", "web", "surface", "operations", "analysis", "text", "results", "sentry", "base", "framework"},
    "web": {"web", "surface", "operations", "analysis", "text", "results", "sentry", "base", "framework"},
    "surface": {"surface", "operations", "analysis", "text", "results", "sentry", "base", "framework"},
    "operations": {"operations", "analysis", "text", "results", "sentry", "base", "framework"},
    "analysis": {"analysis", "results", "sentry", "base", "framework"},
    "text": {"text", "results", "sentry", "base", "framework"},
    "results": {"results", "sentry", "base", "framework"},
    "sentry": {"sentry", "base", "framework"},
    "base": {"base", "framework"},
    "framework": {"framework"},
}


def layer_of(module: str) -> str:
    if module.startswith("mcp_servers.framework"):
        return "framework"
    if module in (f"mcp_servers.sentry_monitor.{name}" for name in ("__main__", "demo", "serve_sandbox")):
        return "entry"
    for prefix, layer in (
        (f"{SRC}.base", "base"),
        (f"{SRC}.sentry", "sentry"),
        (f"{SRC}.shared.text", "text"),
        (f"{SRC}.shared", "results"),
        (f"{SRC}.analysis", "analysis"),
        (f"{SRC}.operations", "operations"),
        (f"{SRC}.web", "web"),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return "surface"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    """Every product or framework module `path` imports, wherever the import statement is."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if _is_module(f"{source}.{alias.name}") else source)
    return {name for name in found if name.startswith(("mcp_servers.sentry_monitor", "mcp_servers.framework"))}


def import_graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted(PRODUCT.rglob("*.py"))}


def wrong_imports(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in graph.items()
        for target in sorted(targets)
        if layer_of(target) not in MAY_IMPORT[layer_of(module)]
    ]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules of each import circle (a strongly connected group of two or more, or one importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in graph:
                continue
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph[module]:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return found


def test_every_import_goes_down_the_layers() -> None:
    wrong = wrong_imports(import_graph())
    assert not wrong, "\n".join(wrong)


def test_no_module_takes_part_in_an_import_circle() -> None:
    found = circles(import_graph())
    assert not found, "\n".join(" <-> ".join(circle) for circle in found)


@pytest.mark.parametrize(
    "package", sorted(p.parent for p in (PRODUCT / "src").rglob("__init__.py")), ids=lambda p: p.name
)
def test_each_package_says_what_belongs_there_and_what_it_may_import(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    assert "import" in docstring.lower(), f"{package.name}/__init__.py needs a docstring naming its imports"


def test_the_checks_catch_an_upward_import_and_a_circle() -> None:
    planted = {
        f"{SRC}.sentry.client": {f"{SRC}.operations.paging"},  # up the layers
        f"{SRC}.analysis.health_verdict": {f"{SRC}.shared.text"},  # across: analysis and text
        f"{SRC}.operations.paging": {f"{SRC}.operations.operation"},
        f"{SRC}.operations.operation": {f"{SRC}.operations.paging"},  # a circle within a layer
    }
    assert len(wrong_imports(planted)) == 2
    assert circles(planted) == [[f"{SRC}.operations.operation", f"{SRC}.operations.paging"]]
    graph = import_graph()  # and the real graph has its edges, relative imports resolved
    assert {f"{SRC}.sentry", f"{SRC}.base.errors"} <= graph[f"{SRC}.operations.operation"]
