"""Security: no code execution from user text, generated code from the validated IR only, run directories
that cannot be escaped, Ray dashboard off and local, no JAX compilation cache outside the user's directories.

The package scan reads every ``.py`` file of our packages with :mod:`ast` (comments and strings do not
count) and fails on a dangerous call that is not on the justified allow-list below.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symopt.errors import UserError
from symopt.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("filekit", "search_space", "symopt", "proxies", "discovered")

# Calls that execute or deserialise code.  Attribute calls are matched on "<module>.<attr>".
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "input"}
FORBIDDEN_ATTR_CALLS = {
    "pickle.load", "pickle.loads", "pickle.Unpickler", "marshal.load", "marshal.loads", "shelve.open",
    "dill.load", "dill.loads", "cloudpickle.load", "cloudpickle.loads", "yaml.load", "yaml.unsafe_load",
    "os.system", "os.popen", "builtins.eval", "builtins.exec", "runpy.run_path", "runpy.run_module",
}
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
# Dynamic imports of a computed name are allowed only where it comes from a fixed table or the operator's
# environment (a literal name is a plain import).
DYNAMIC_IMPORTS = {"importlib.import_module", "import_module"}
ALLOWED_DYNAMIC_IMPORTS = {
    ("symopt/cli.py", "build_parser"),            # module names from the fixed COMMANDS table
    ("symopt/commands/bench.py", "run"),          # BENCHES table; argparse restricts WHICH to its keys
    ("discovered/torch.py", "__getattr__"),       # generated index: names from its literal _MODULES table
    ("search_space/__init__.py", "__getattr__"),  # lazy package: module names from its literal _WHERE table
}
# Other justified uses: (file, function, call).
ALLOWED_CALLS: set[tuple[str, str, str]] = set()


def package_files() -> list[Path]:
    files = []
    for pkg in PACKAGES:
        root = ROOT / pkg
        if root.is_dir():
            files += sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _findings(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    out = []
    functions = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                functions.setdefault(id(node), fn.name)
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            out += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
            out.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            kw = {k.arg: k.value for k in node.keywords}
            if (rel, functions.get(id(node)), name) in ALLOWED_CALLS:
                continue
            if name in FORBIDDEN_CALLS or name in FORBIDDEN_ATTR_CALLS:
                out.append(f"{where}: {name}(...)")
            elif name in DYNAMIC_IMPORTS and not (node.args and isinstance(node.args[0], ast.Constant)) \
                    and (rel, functions.get(id(node))) not in ALLOWED_DYNAMIC_IMPORTS:
                out.append(f"{where}: {name}(...) outside the allow-list")
            elif name.endswith("subprocess.run") or name.endswith("subprocess.Popen") or name in (
                    "subprocess.call", "subprocess.check_output", "subprocess.check_call"):
                shell = kw.get("shell")
                if shell is not None and not (isinstance(shell, ast.Constant) and shell.value is False):
                    out.append(f"{where}: {name}(shell=...)")
            elif name == "torch.load":
                wo = kw.get("weights_only")
                if not (isinstance(wo, ast.Constant) and wo.value is True):
                    out.append(f"{where}: torch.load without weights_only=True (unpickles)")
            elif name in ("np.load", "numpy.load"):
                ap = kw.get("allow_pickle")
                if ap is not None and not (isinstance(ap, ast.Constant) and ap.value is False):
                    out.append(f"{where}: np.load(allow_pickle=...)")
    return out


def test_no_eval_exec_pickle_or_dynamic_import_of_user_text():
    files = package_files()
    assert len(files) > 20, "package files not found"
    findings = [f for path in files for f in _findings(path)]
    assert not findings, "dangerous calls in our packages:\n" + "\n".join(findings)


def test_the_scanner_catches_what_it_should(tmp_path, monkeypatch):
    """The scan is not vacuous: a file with each forbidden construct is reported."""
    bad = tmp_path / "symopt" / "evil.py"
    bad.parent.mkdir()
    bad.write_text("import pickle\nfrom marshal import loads\nimport importlib\n"
                   "def f(t):\n    eval(t)\n    exec(t)\n    __import__(t)\n    pickle.loads(t)\n"
                   "    importlib.import_module(t)\n    import subprocess\n    subprocess.run(t, shell=True)\n"
                   "    import torch\n    torch.load(t)\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = _findings(bad)
    for needle in ("import pickle", "from marshal", "eval(", "exec(", "__import__(", "pickle.loads(",
                   "import_module(...) outside", "shell=", "torch.load"):
        assert any(needle in f for f in found), (needle, found)


# -- Ray ---------------------------------------------------------------------------------------------

def _ray_init_calls():
    for path in package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _dotted(node.func) == "ray.init":
                yield path.relative_to(ROOT).as_posix(), node


def test_every_local_ray_init_turns_the_dashboard_off_and_binds_nothing_public():
    calls = list(_ray_init_calls())
    assert calls, "the driver's ray.init call was not found"
    for where, node in calls:
        kw = {k.arg: k.value for k in node.keywords}
        assert None not in kw, f"{where}:{node.lineno}: ray.init(**kwargs) hides its arguments"
        host = kw.get("dashboard_host")
        if host is not None:
            assert isinstance(host, ast.Constant) and host.value in ("127.0.0.1", "localhost"), \
                f"{where}:{node.lineno}: dashboard bound beyond localhost"
        if "address" in kw:       # joining a cluster the user named: its dashboard is the cluster's business
            continue
        dash = kw.get("include_dashboard")
        assert isinstance(dash, ast.Constant) and dash.value is False, \
            f"{where}:{node.lineno}: an embedded Ray must pass include_dashboard=False"


@pytest.mark.slow
def test_embedded_ray_of_the_driver_runs_no_dashboard(tmp_path):
    """A real driver process: ``cluster.start`` with no address starts Ray without a dashboard."""
    script = ("import ray\nfrom symopt.search.cluster import start\n"
              "ctx = start('', 1)\n"
              "info = ray._private.worker.global_worker.node.address_info\n"
              "print('WEBUI=' + repr(info.get('webui_url')))\nray.shutdown()\n")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    line = [x for x in r.stdout.splitlines() if x.startswith("WEBUI=")][0]
    assert line in ("WEBUI=None", "WEBUI=''"), line


# -- JAX compilation cache -----------------------------------------------------------------------------

def test_jax_compilation_cache_is_only_set_by_the_evaluator():
    """The persistent JAX cache is configured in one place (``symopt.evaluation.compiled``), never to a
    literal shared path."""
    hits = []
    for path in package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                args = list(node.args) + [k.value for k in node.keywords]
                if name.endswith("set_cache_dir") or (
                        name.endswith("config.update") and args and isinstance(args[0], ast.Constant)
                        and "compilation_cache_dir" in str(args[0].value)):
                    hits.append(path.relative_to(ROOT).as_posix())
                    assert not isinstance(args[-1], ast.Constant), f"{path}:{node.lineno}: literal cache path"
    assert set(hits) <= {"symopt/evaluation/compiled.py"}, hits


def test_jax_compilation_cache_lives_in_a_private_user_directory(tmp_path):
    """A real process, umask 0: the cache directory is under $HOME (or $SYMOPT_CACHE_DIR), owned by the
    user and writable by no one else."""
    home = tmp_path / "home"
    home.mkdir()
    script = ("import os, jax\nos.umask(0)\nfrom symopt.evaluation.compiled import enable_persistent_cache\n"
              "enable_persistent_cache()\nprint('DIR=' + jax.config.jax_compilation_cache_dir)\n")
    for extra in ({}, {"SYMOPT_CACHE_DIR": str(tmp_path / "mine")}):
        env = {k: v for k, v in os.environ.items() if k not in ("SYMOPT_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")}
        env.update(HOME=str(home), **extra)
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        d = Path([x for x in r.stdout.splitlines() if x.startswith("DIR=")][0][4:])
        root = Path(extra.get("SYMOPT_CACHE_DIR", home))
        assert root in d.parents, d
        st = d.stat()
        assert st.st_uid == os.getuid() and not st.st_mode & 0o022, oct(st.st_mode)


# -- run directories -------------------------------------------------------------------------------

@pytest.fixture
def rd(tmp_path):
    return RunDir.create(tmp_path / "run", "[search]\nseed = 1\n")


@pytest.mark.parametrize("name", ["evaluations.jsonl", "checkpoint.json", "hall_of_fame.json"])
def test_symlinked_run_files_cannot_write_outside(rd, tmp_path, name):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    link = rd.path / name
    link.symlink_to(outside)
    with pytest.raises(UserError, match="escapes"):
        if name == "evaluations.jsonl":
            rd.append_evaluations([{"eval_id": 0}])
        elif name == "checkpoint.json":
            rd.write_checkpoint({"x": 1})
        else:
            rd.write_hall_of_fame([])
    assert outside.read_text() == "precious\n"


def test_symlinked_report_directory_cannot_escape(rd, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (rd.path / "report").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UserError, match="escapes"):
        rd.child("report/index.html")
    for name in ("../x", "../../etc/passwd", "/etc/passwd", "report/../../x", "~/.bashrc/../../x"):
        try:
            p = rd.child(name)
        except UserError:
            continue
        assert rd.path.resolve() in p.parents


def test_run_dir_flag_never_writes_into_an_existing_directory(tmp_path):
    """``--run-dir ../..``, ``.`` or a symlink to a used directory: refused, nothing written."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (tmp_path / "a" / "keep.txt").write_text("x")
    used = tmp_path / "used"
    used.mkdir()
    (used / "data.txt").write_text("y")
    (work / "link").symlink_to(used, target_is_directory=True)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    from symopt.cli import main

    for run_dir in ("../..", ".."):
        r = subprocess.run([sys.executable, "-m", "symopt", "search", "--run-dir", run_dir, "--budget", "1",
                            "--workers", "0", "--funnel", "test"], capture_output=True, text=True, timeout=120,
                           cwd=work)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
        assert len(r.stderr.strip().splitlines()) == 1 and "not empty" in r.stderr
        if run_dir == "../..":
            break     # one real process; the rest in this process (same code path)
    err = io.StringIO()
    for run_dir in (str(work / ".."), str(work / "link")):
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["search", "--run-dir", run_dir, "--budget", "1", "--workers", "0", "--funnel",
                         "test"]) == 1
    assert err.getvalue().count("not empty") == 2 and "Traceback" not in err.getvalue()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


# -- generated code -------------------------------------------------------------------------------

# Every identifier an exported optimizer module may use: the module's imports, optax/jax/torch API, the
# states and variables of the program.  Anything else (os, open, eval, getattr, __class__, ...) fails.
ALLOWED_NAMES = {
    "annotations", "jax", "jnp", "optax", "torch", "math", "typing", "NamedTuple", "Any", "Callable",
    "Optional", "Union", "float", "int", "bool", "str", "tuple", "list", "dict", "None", "True", "False",
    "self", "params", "updates", "state", "grads", "grad", "p", "g", "w", "m", "v", "lr", "update", "x",
    "super", "range", "zip", "len", "isinstance", "ValueError", "TypeError", "group", "closure", "loss",
    "abs", "min", "max", "AttributeError", "RuntimeError", "__name__", "enumerate", "iter", "next", "object",
}
MODULE_DUNDERS = {"__init__", "__getattr__", "__name__", "__all__", "__dir__", "__repr__", "__call__"}
ALLOWED_MODULES = {"jax", "optax", "torch", "math", "typing", "__future__", "numpy", "chex", "functools"}
FORBIDDEN_NAMES = {"eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "globals", "locals",
                   "os", "sys", "subprocess", "pickle", "builtins", "input", "breakpoint", "vars"}

ADVERSARIAL_STATES = """\
def train(w, g, open, __builtins__, lr):
    getattr = interp(g, open, 0.9)
    update = sign(getattr)
    open = interp(g, open, 0.99)
    update = update * lr
    return update, open, __builtins__
"""

ADVERSARIAL = """\
def train(w, g, m, v, lr):
    os = interp(g, m, 0.9)
    eval = sign(os)
    system = interp(g, m, 0.99)
    __class__ = w * 1e-30
    update = eval + __class__
    exec = lr * 1e+30
    update = update * exec
    m = interp(system, m, 0.0)
    return update, m, v
"""


@pytest.mark.parametrize("text", [ADVERSARIAL, ADVERSARIAL_STATES], ids=["names", "states"])
def test_adversarial_but_valid_program_exports_only_whitelisted_identifiers(tmp_path, text):
    from search_space.parser import parse
    from symopt.export import export_program

    program = parse(text)           # valid: such names reach the exporter
    paths = export_program(program, "adversarial", tmp_path, {"source": "test"})
    modules = [Path(p) for p in paths if Path(p).name.startswith("adversarial_") and str(p).endswith(".py")]
    assert len(modules) >= 2, paths                       # the optax and the torch module of the program
    for path in modules:
        problems = identifier_problems(ast.parse(path.read_text(encoding="utf-8")))
        assert not problems, f"{path.name}: {problems}"
    # the package index (__init__.py, torch.py) names the exported optimizers only, never program content
    for path in [Path(p) for p in paths if str(p).endswith(".py") and p not in modules]:
        text = path.read_text(encoding="utf-8")
        for word in ("eval", "exec", "__builtins__", "__class__", "system", "getattr ="):
            assert f"{word}" not in text.replace("getattr(importlib", ""), (path.name, word)


def identifier_problems(tree: ast.AST) -> list[str]:
    """Names outside the allow-list (fixed names + names the module binds itself, never a forbidden or dunder
    one), attributes outside the allowed roots, imports of other modules, forbidden calls."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    bad_bound = {n for n in bound if n in FORBIDDEN_NAMES or (n.startswith("__") and n not in MODULE_DUNDERS)}
    out = [f"binds forbidden name {n!r}" for n in sorted(bad_bound)]
    allowed = (ALLOWED_NAMES | bound) - bad_bound
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Name) and node.id not in allowed:
            out.append(f"line {line}: name {node.id!r} is not allowed")
        elif isinstance(node, ast.Attribute) and ((node.attr.startswith("__") and node.attr not in MODULE_DUNDERS)
                                                  or node.attr in FORBIDDEN_NAMES):
            out.append(f"line {line}: attribute {node.attr!r} is not allowed")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            out += [f"line {line}: import {m}" for m in mods if m.split(".")[0] not in ALLOWED_MODULES]
        elif isinstance(node, ast.Call) and _dotted(node.func) in FORBIDDEN_CALLS:
            out.append(f"line {line}: call {_dotted(node.func)}")
    return out


def test_identifier_checker_rejects_injected_code():
    src = "import os\nimport jax.numpy as jnp\ndef f(m):\n    eval = jnp.sign(m)\n    return m.__class__\n"
    problems = identifier_problems(ast.parse(src))
    assert any("import os" in p for p in problems) and any("'eval'" in p for p in problems)
    assert any("__class__" in p for p in problems)
    assert not identifier_problems(ast.parse("import jax.numpy as jnp\ndef f(m):\n    return jnp.sign(m)\n"))
