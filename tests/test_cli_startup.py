"""``symopt --help``, ``symopt program FILE`` and ``symopt show RUN`` start without importing JAX.

Each command runs in a fresh interpreter under ``python -X importtime``, which lists every module
the process imported; none may be ``jax`` or ``jaxlib`` (nor Ray or torch).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("jax", "jaxlib", "ray", "torch", "optax")
SEEDS = Path(__file__).resolve().parents[1] / "search_space" / "seeds"


def imported_modules(*argv: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "symopt", *argv],
                          capture_output=True, text=True, timeout=120)
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "symopt.cli" in names, proc.stderr[-2000:]     # the listing was read
    return proc, names


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, symopt_search):
    """A run directory written by the real ``symopt search`` (test funnel, in-process evaluation)."""
    return symopt_search(tmp_path_factory.mktemp("startup") / "run", budget=8, workers=0)


def test_help_imports_no_jax():
    proc, names = imported_modules("--help")
    assert proc.returncode == 0 and "rediscover" in proc.stdout
    assert heavy(names) == []
    # the language package loads its modules on first use: --help needs none of them
    assert not {"networkx", "search_space.analysis", "search_space.ops"} & names


@pytest.mark.parametrize("program", ["adamw", "lion"])
def test_program_imports_no_jax(program):
    proc, names = imported_modules("program", str(SEEDS / f"{program}.program"))
    assert proc.returncode == 0 and "hash:" in proc.stdout, proc.stderr[-2000:]
    assert heavy(names) == []


def test_program_error_imports_no_jax(tmp_path):
    bad = tmp_path / "bad.program"
    bad.write_text("def train(w, g, m, v, lr):\n    u = frobnicate(g)\n    return u, m, v\n")
    proc, names = imported_modules("program", str(bad))
    assert proc.returncode == 1 and str(bad) in proc.stderr.splitlines()[-1]
    assert heavy(names) == []


def test_show_imports_no_jax(real_run):
    proc, names = imported_modules("show", str(real_run))
    assert proc.returncode == 0 and "A=" in proc.stdout, proc.stderr[-2000:]
    assert heavy(names) == []
    proc, names = imported_modules("show", str(real_run), "--json")
    assert proc.returncode == 0 and proc.stdout.startswith("[")
    assert heavy(names) == []
