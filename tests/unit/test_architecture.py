"""The house has floors: every import of the project's own modules runs downward.

Read from the source (``ast``), not by importing, so a lazy import inside a function counts
too. The floor map below is the one docs/ARCHITECTURE.md draws; a new package must be given a
floor here before it can import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "ingest", "eval", "ui")
MAX_LINES = 350

# (module prefix, floor, group). Lower floors never import higher ones; modules of the same
# floor but a different group never import each other (retrieval, answering and ingest share
# types through core, not each other; the API and the UI meet only in the server module).
FLOORS: list[tuple[str, int, str]] = [
    ("assistant.core", 0, "core"),
    ("assistant.index", 1, "index"),
    ("ingest", 2, "ingest"),
    ("assistant.retrieval", 2, "retrieval"),
    ("assistant.answering", 2, "answering"),
    ("assistant.application", 3, "application"),
    ("assistant.api", 4, "api"),
    ("ui", 4, "ui"),
    ("eval", 4, "eval"),
    ("assistant.server", 5, "server"),
    ("assistant.cli", 6, "cli"),
    ("assistant.__main__", 7, "main"),
    ("assistant", 0, "core"),  # the package's own __init__ holds nothing
]
# The edges reach the product through the application layer (and its typed core objects).
EDGE_MAY_IMPORT = {"application", "core"}
EDGES = {"api", "ui", "cli", "server"}


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def place(module: str) -> tuple[int, str]:
    for prefix, floor, group in FLOORS:
        if module == prefix or module.startswith(prefix + "."):
            return floor, group
    raise AssertionError(f"{module} has no floor: add it to FLOORS (and docs/ARCHITECTURE.md)")


def project_imports(path: Path) -> set[str]:
    """Project modules ``path`` imports, anywhere in the file (lazy imports included)."""
    module = module_name(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                names = [".".join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module or ""]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in PACKAGES)
    found.discard(module)
    return found


GRAPH = {module_name(p): project_imports(p) for p in source_files()}


def test_every_module_has_a_floor():
    for module in GRAPH:
        place(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_downward(module):
    floor, group = place(module)
    for target in sorted(GRAPH[module]):
        target_floor, target_group = place(target)
        if target_group == group:
            continue
        assert target_floor < floor, f"{module} (floor {floor}) imports {target} upward or sideways"
        if group in EDGES:
            assert target_group in EDGE_MAY_IMPORT or target_group in EDGES, (
                f"{module} is an edge: it may use the application layer and core, not {target}"
            )


def test_the_product_never_imports_eval():
    for module, targets in GRAPH.items():
        if place(module)[1] != "eval":
            assert not any(t == "eval" or t.startswith("eval.") for t in targets), module


def test_no_import_cycles():
    """Depth-first search over the module graph (imports resolved to known modules)."""
    known = set(GRAPH)

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    edges = {m: {r for t in ts if (r := resolve(t)) and r != m} for m, ts in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_no_source_file_is_over_the_size_limit():
    long = {
        str(p.relative_to(ROOT)): n
        for p in source_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by job (limit {MAX_LINES} lines): {long}"
