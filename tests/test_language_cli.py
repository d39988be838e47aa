"""``symopt program FILE`` through a real subprocess: output, JSON keys, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from search_space.seeds import seed_text

H = "def train(w, g, m, v, lr):\n"
ERROR = "symopt program: error: "      # every command's error line starts so (docs/cli.md)


def symopt(*args: str):
    return subprocess.run([sys.executable, "-m", "symopt", "program", *args], capture_output=True, text=True,
                          timeout=120)


def write(tmp_path, name, data):
    path = tmp_path / name
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return str(path)


def test_valid_program_text_and_json(tmp_path):
    f = write(tmp_path, "p2.program", seed_text("program2"))
    r = symopt(f)
    assert r.returncode == 0, r.stderr
    assert "hash: " in r.stdout and "m = cosh(update)" in r.stdout and "dead statements (1)" in r.stdout
    r = symopt(f, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and set(out) == {"valid", "hash", "live", "dead", "reason"}
    assert out["valid"] is True and out["reason"] is None and len(out["hash"]) == 16
    assert out["dead"] == ["m = cosh(update)"] and "g = clip(g, lr)" in out["live"]


BAD = {
    "garbage.program": (b"\x89PNG\r\n\x1a\n\x00\x00\xff", 1),
    "nul.program": (H + "    x = g\x00\n    return x, m, v\n", 2),
    "empty.program": ("", 1),
    "loop.program": (H + "    for i in g:\n        pass\n    return g, m, v\n", 2),
    "attr.program": (H + "    x = np.sign(g)\n    return x, m, v\n", 2),
    "arity.program": (H + "    x = sign(g, g)\n    return x, m, v\n", 2),
    # well-formed but ill-typed: the line of the offending statement in the FILE (docstring and blank lines count)
    "scalar_state.program": (H + '    """doc"""\n\n    update = m * g\n    x = dot(g, g)\n    m = x * 1.0\n'
                             "    return update, m, v\n", 6),
    "no_g.program": (H + "    update = w * lr\n    return update, m, v\n", 2),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_invalid_program_exit_1_one_line(tmp_path, name):
    data, line = BAD[name]
    f = write(tmp_path, name, data)
    r = symopt(f)
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{ERROR}{f}:{line}:") and "Traceback" not in r.stderr
    reason = lines[0].removeprefix(ERROR)
    col = reason[len(f) + 1:].split(":")[1]
    assert int(col) >= 1
    r = symopt(f, "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 1 and out == {"valid": False, "hash": None, "live": [], "dead": [], "reason": reason}


def test_space_and_lr_linear_options(tmp_path):
    f = write(tmp_path, "p2.program", seed_text("program2"))
    r = symopt(f, "--space", "compact")
    assert r.returncode == 1 and r.stderr.strip() == f"{ERROR}{f}:3:5: function 'arcsin' is not in space 'compact'"
    assert symopt(f, "--space", "hero").returncode == 0
    r = symopt(f, "--lr-linear")
    assert r.returncode == 1 and "lr flows into state 'v'" in r.stderr
    lion = write(tmp_path, "lion.program", seed_text("lion"))
    assert symopt(lion, "--space", "compact", "--lr-linear").returncode == 0
    r = symopt(lion, "--space", "nope")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "no search space named" in r.stderr


def test_missing_file(tmp_path):
    r = symopt(str(tmp_path / "missing.program"))
    assert r.returncode == 1 and "cannot read file" in r.stderr and "Traceback" not in r.stderr
