"""The first-party import graph: no cycles, imports at module level.

Every module of the packages is parsed with ``ast`` (nothing is imported) and every ``import`` /
``from ... import`` naming a first-party module becomes an edge, whether it runs when the module is
loaded or inside a function: a cycle hidden by an import inside a function is a cycle.  An import
inside a function is *lazy*; it is allowed only with a one-line ``# lazy: reason`` comment on the
import or the line above it, only for what start-up time needs to leave out (JAX, Ray, torch and
the few libraries that cost seconds to import), and the first-party ones are counted.

``UNFINISHED`` lists, import by import, the lazy imports still to be moved out of the function
bodies of the modules listed in ``UNFINISHED_FILES``; the test fails when an entry is no longer
there, so the list only shrinks.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("filekit", "search_space", "proxies", "discovered", "symopt")
MAX_LAZY_FIRST_PARTY = 10
# third-party modules a function may import lazily (with its reason): they cost seconds at start-up
LAZY_THIRD_PARTY = {"jax", "jaxlib", "optax", "ray", "torch", "lion_pytorch", "sklearn",
                    "psutil"}     # psutil: Ray's own copy, importable once ray is
LAZY = re.compile(r"#\s*lazy:\s*\S")

# Modules whose function bodies may still import lazily without a reason, and those imports as
# (file, imported module): none left.
UNFINISHED_FILES: tuple[str, ...] = ()
UNFINISHED: set[tuple[str, str]] = set()


@dataclasses.dataclass(frozen=True)
class Import:
    file: str           # path relative to the repository root
    line: int
    source: str         # the importing module
    target: str         # the first-party module imported ("" for a third-party one)
    name: str           # the module as written (absolute)
    lazy: bool          # inside a function
    reason: bool        # a "# lazy: ..." comment on the line or the line above

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.source} -> {self.target or self.name}"


def module_files() -> dict[str, Path]:
    """Every first-party module by dotted name."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _absolute(node: ast.ImportFrom, source: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports of one module (``if TYPE_CHECKING:`` blocks, never run, are left out)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rel = path.relative_to(ROOT).as_posix()
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    def record(node, name: str, target: str, lazy: bool) -> None:
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2] if node.lineno > 1 else ""
        reason = bool(LAZY.search(here) or (above.strip().startswith("#") and LAZY.search(above)))
        found.append(Import(rel, node.lineno, source, target, name, lazy, reason))

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    record(child, alias.name, resolve(alias.name), lazy)
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(child, source, is_package)
                targets = {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else resolve(base) for a in child.names}
                for target in sorted(targets):
                    record(child, base, target, lazy)
            else:
                inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, inner)

    visit(ast.parse(text, filename=rel), False)
    return found


def all_imports() -> list[Import]:
    modules = module_files()
    return [imp for source, path in modules.items() for imp in imports_of(source, path, modules)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:       # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return out


def _unfinished(imp: Import) -> bool:
    return (imp.file, imp.target or imp.name) in UNFINISHED


def _graph(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target and imp.target != imp.source:
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_no_first_party_import_cycle_counting_imports_inside_functions():
    imports = all_imports()
    assert len({i.source for i in imports}) > 100, "the packages' modules were not found"
    found = cycles(_graph(imports))
    detail = []
    for component in found:
        members = set(component)
        detail += [f"  {i}" for i in imports if i.source in members and i.target in members]
    assert not found, "first-party import cycles:\n" + "\n".join(detail)


# what each package may import (besides itself): filekit is the bottom; proxies and the exported
# optimizers stand alone; the language sits on filekit; symopt on everything
LAYERS = {"filekit": set(), "proxies": {"filekit"}, "discovered": set(), "search_space": {"filekit"},
          "symopt": {"filekit", "search_space", "proxies", "discovered"}}


def test_packages_import_only_the_layers_below_them():
    wrong = [str(i) for i in all_imports() if i.target
             and i.target.split(".")[0] not in LAYERS[i.source.split(".")[0]] | {i.source.split(".")[0]}]
    assert not wrong, "imports across the layers:\n" + "\n".join(wrong)


def test_imports_inside_functions_are_few_and_give_their_reason():
    imports = [i for i in all_imports() if i.lazy and not _unfinished(i)]
    unexplained = [str(i) for i in imports if not i.reason]
    assert not unexplained, "an import inside a function needs a '# lazy: reason' comment:\n" + "\n".join(unexplained)
    third_party = [str(i) for i in imports if not i.target and i.name.split(".")[0] not in LAZY_THIRD_PARTY]
    assert not third_party, "import these at module level (only slow libraries may wait):\n" + "\n".join(third_party)
    first_party = [str(i) for i in imports if i.target]
    assert len(first_party) <= MAX_LAZY_FIRST_PARTY, "\n".join(first_party)


def test_the_unfinished_list_only_shrinks():
    """Every entry of UNFINISHED is still a lazy import of a listed file (remove it once it is moved)."""
    present = {(i.file, i.target or i.name) for i in all_imports() if i.lazy}
    stale = sorted(UNFINISHED - present)
    assert not stale, "no longer imported inside a function, remove from UNFINISHED:\n" + "\n".join(map(str, stale))
    outside = sorted(f for f, _ in UNFINISHED if not f.startswith(UNFINISHED_FILES))
    assert not outside, outside


def test_the_scan_sees_lazy_imports_cycles_and_reasons(tmp_path):
    """The checks are not vacuous: a planted package with a cycle through a function-level import."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import f\n")
    (pkg / "b.py").write_text("import os\n\n\ndef f():\n    # lazy: planted\n    from . import a\n"
                              "    import jax  # lazy: planted\n    import json\n")
    modules = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py", "pkg.b": pkg / "b.py"}
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = [imp for m, p in modules.items() for imp in imports_of(m, p, modules)]
    finally:
        ROOT = saved
    lazy = {(i.target or i.name, i.reason) for i in found if i.lazy}
    assert lazy == {("pkg.a", True), ("jax", True), ("json", False)}
    assert cycles(_graph(found)) == [["pkg.a", "pkg.b"]]
