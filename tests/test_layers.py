"""Layers without cycles (COORDINATION.md): a module imports only from its own layer or below,
not even inside a function, and no two modules import each other, directly or round a loop.

Read from the source (every `import` anywhere in a module), not from what happens to be loaded.
A new module must be given its layer here.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

from conftest import REPO

LAYERS = [  # lowest first
    ("errors/io", ["docgen.errors", "docgen.ids", "docgen.fsio", "docgen.runtime", "docgen.yamlio", "docgen.yamledit", "docgen.provenance",
                    "docgen.progress"]),
    ("GB/T 9704 rules and OOXML", ["docgen.gbt9704", "docgen.words", "docgen.ooxml", "docgen.blueprint",
                                    "docgen.importer", "docgen.templatefix"]),
    ("casefiles and types", ["docgen.doctypes", "docgen.workspace", "docgen.casefile"]),
    ("rules and deadlines", ["docgen.workdays", "docgen.rules", "docgen.deadlines"]),
    ("render/PDF", ["docgen.fonts", "docgen.render", "docgen.pdf", "docgen.stamp", "docgen.catalog",
                    "docgen.office", "docgen.unoworker", "docgen.draftmark", "docgen.templatecheck", "docgen.jinjaerrors",
                    "docgen.validate"]),
    ("archive store", ["docgen.archive", "docgen.register"]),
    ("search", ["search", "search.*"]),
    ("issuing, status, bundle", ["docgen.issuing", "docgen.status", "docgen.bundle"]),
    ("CLI and web", ["docgen", "docgen.__main__", "docgen.demo", "docgen.cli", "docgen.cli.*", "docgen.web",
                     "docgen.web.*"]),
]
PACKAGES = ("docgen", "search")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def layer(module: str) -> int | None:
    for n, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch(module, pattern) for pattern in patterns):
            return n
    return None


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every project module `module` imports, wherever the import statement stands."""
    out = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def test_every_module_has_a_layer():
    assert [m for m in modules() if layer(m) is None] == []


def test_no_module_imports_from_a_higher_layer():
    known = modules()
    wrong = []
    for module, path in sorted(known.items()):
        for target in sorted(imports(module, path, known)):
            if layer(target) is not None and layer(module) is not None and layer(target) > layer(module):
                wrong.append(f"{module} ({LAYERS[layer(module)][0]}) imports {target} ({LAYERS[layer(target)][0]})")
    assert wrong == []


def test_no_import_cycles():
    known = modules()
    # A package's __init__ is run by importing any module inside it; it is not an edge.
    graph = {m: {t for t in imports(m, p, known) if t not in PACKAGES} for m, p in known.items()}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path):
    """The test above must be able to fail: an upward import hidden in a function is found."""
    path = tmp_path / "casefile.py"
    path.write_text("def f():\n    from docgen.archive import Archive\n    from . import deadlines\n")
    found = imports("docgen.casefile", path, modules())
    assert {"docgen.archive", "docgen.deadlines"} <= found
    assert layer("docgen.archive") > layer("docgen.casefile") < layer("docgen.deadlines")
