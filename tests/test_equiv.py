"""Numerical equivalence over multi-step trajectories, and the equiv command."""

from __future__ import annotations

import json

from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.cli import main
from symopt.equiv import equivalent
from symopt.simplify import simplify

SWAPPED_LION = """def train(w, g, m, v, lr):
    c = interp(g, v, 0.9)
    v = interp(g, v, 0.99)
    s = sign(c)
    wd = 0.01 * w
    update = wd + s
    lr = 0.0003 * lr
    update = lr * update
    return update, m, v
"""


def test_renamed_reordered_lion_is_equivalent():
    r = equivalent(load_seed("lion"), parse(SWAPPED_LION))
    assert r.equivalent and r.structural and r.max_rel_err <= 1e-6


def test_program2_and_its_exact_simplification():
    p = load_seed("program2")
    r = equivalent(p, simplify(p).program, steps=5, trials=2)
    assert r.equivalent and r.max_rel_err < 1e-4


def test_different_betas_are_not_equivalent():
    a = load_seed("lion")
    b = parse(str(a).replace("0.99", "0.98"))
    r = equivalent(a, b)
    assert not r.equivalent and not r.structural and r.max_rel_err > 1e-4


def test_cli_exit_codes_and_json(tmp_path, capsys):
    f = tmp_path / "swapped.program"
    f.write_text(SWAPPED_LION)
    assert main(["equiv", "lion", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"equivalent", "max_rel_err"} and out["equivalent"] is True
    assert main(["equiv", "lion", "signum", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["equivalent"] is False
