"""The API documentation of the packages users import: every public function says what it takes and gives.

Read with ``ast`` (nothing is imported).  In the packages and modules of ``DOCUMENTED`` (a package
directory or one ``.py`` file), every public function and method (a name without a leading
underscore, in a public class or at module level) has a docstring (ruff's pydocstyle rules check
that, and its form, in the same places); here: one that takes arguments has an ``Args:`` section
(ruff checks that it names each of them) and one that returns a value has a ``Returns:`` (or
``Yields:``) section, Google style.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = ("filekit", "search_space", "proxies", "discovered", "symopt/export", "symopt/simplify",
              "symopt/evaluation", "symopt/search", "symopt/recognise.py", "symopt/evolution.py")


def _public(tree: ast.Module):
    """``(qualified name, node)`` of every public function, method and class of a module."""
    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                yield prefix + node.name, node
                yield from visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                yield prefix + node.name, node

    yield from visit(tree.body, "")


def _parameters(fn: ast.FunctionDef) -> list[str]:
    args = fn.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg not in ("self", "cls")]
    return names + [f"*{a.arg}" for a in (args.vararg,) if a] + [f"**{a.arg}" for a in (args.kwarg,) if a]


def _returns_a_value(fn: ast.FunctionDef) -> bool:
    if fn.returns is not None and ast.unparse(fn.returns) == "None":
        return False
    if any(ast.unparse(d).endswith("property") for d in fn.decorator_list):
        return False                  # an attribute: its docstring says what it is
    own = [n for n in ast.walk(fn) if not (isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not fn)]
    return any(isinstance(n, ast.Return) and n.value is not None or isinstance(n, (ast.Yield, ast.YieldFrom))
               for n in own)


def _modules(entry: str) -> list[Path]:
    """The modules of ``entry``: a package directory (searched recursively) or one ``.py`` file."""
    path = ROOT / entry
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def problems() -> tuple[int, list[str]]:
    functions, out = 0, []
    for package in DOCUMENTED:
        for path in _modules(package):
            rel = path.relative_to(ROOT).as_posix()
            if any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(ROOT).parts):
                continue
            for name, node in _public(ast.parse(path.read_text(encoding="utf-8"))):
                doc = ast.get_docstring(node) or ""
                where = f"{rel}:{node.lineno} {name}"
                if isinstance(node, ast.ClassDef):
                    if not doc:
                        out.append(f"{where}: no docstring")
                    continue
                functions += 1
                if not doc:
                    out.append(f"{where}: no docstring")
                    continue
                if _parameters(node) and "Args:" not in doc:
                    out.append(f"{where}: no Args section for {', '.join(_parameters(node))}")
                if _returns_a_value(node) and "Returns:" not in doc and "Yields:" not in doc:
                    out.append(f"{where}: no Returns section")
    return functions, out


def test_public_functions_document_their_arguments_and_results():
    functions, found = problems()
    assert functions > 300, "the packages' functions were not found"
    assert not found, f"{len(found)} of {functions} public functions:\n" + "\n".join(found)


def test_the_check_sees_a_missing_section(tmp_path, monkeypatch):
    """Not vacuous: a module with one undocumented argument and one undocumented result is reported."""
    pkg = tmp_path / "filekit"
    pkg.mkdir()
    (pkg / "m.py").write_text('def f(x):\n    """F.\n\n    Returns:\n      x.\n    """\n    return x\n\n\n'
                              'def g() -> int:\n    """G."""\n    return 1\n\n\ndef _h(y):\n    return y\n')
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.DOCUMENTED", ("filekit",))
    assert problems() == (2, ["filekit/m.py:1 f: no Args section for x", "filekit/m.py:10 g: no Returns section"])


def test_a_single_module_is_checked(tmp_path, monkeypatch):
    """An entry of ``DOCUMENTED`` may name one module: it alone is read."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text('def f(x):\n    """F."""\n')
    (tmp_path / "pkg" / "other.py").write_text('def g(y):\n    """G."""\n')
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.DOCUMENTED", ("pkg/m.py",))
    assert problems() == (1, ["pkg/m.py:1 f: no Args section for x"])
