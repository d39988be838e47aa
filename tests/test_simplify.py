"""Exact simplification: every rule checked numerically, Program 2's exact result, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from search_space.analysis import analyze
from search_space.parser import parse
from search_space.seeds import load_seed, seed_names
from symopt.cli import main
from symopt.equiv import numeric_deviation
from symopt.simplify import simplify

TOL = 1e-4


def _rules(d):
    return [s.rule for s in d.steps]


def _check_steps(d):
    for s in d.steps:
        assert s.kind == "exact"
        err = numeric_deviation(s.before, s.after, steps=4, trials=1)
        assert err <= TOL, (s.rule, err, str(s.before), str(s.after))


def test_program2_exact_reaches_lion_shape_with_clip_and_arcsin_left():
    d = simplify(load_seed("program2"))
    rules = _rules(d)
    for r in ("dead_code", "square", "sign_of_normalised", "interp_composition", "canonical_names"):
        assert r in rules
    ops = [s.op for s in d.program.statements]
    assert ops.count("interp") == 2 and "sign" in ops and "clip" in ops and "arcsin" in ops
    assert "cosh" not in ops and "sqrt" not in ops and "div" not in ops
    coeffs = sorted(s.args[2] for s in d.program.statements if s.op == "interp")
    assert coeffs[0] == 0.899
    assert coeffs[1] == pytest.approx(1.109 * 0.899)        # 0.003 g + 0.997 v
    # the live state is first and the dead one returned unchanged
    assert d.program.returns[2] == "v"
    _check_steps(d)


@pytest.mark.parametrize("text, rule, gone", [
    ("t = g * 1.0\nupdate = t * lr", "identity", "mul"),
    ("t = g + 0.0\nupdate = t * lr", "identity", "add"),
    ("m = interp(g, m, 0.0)\nupdate = m * lr", "identity", "interp"),
    ("t = interp(m, g, 1.0)\nm = t * 0.5\nupdate = t * lr", "identity", "interp"),
    ("c = 2.0 * 3.0\nupdate = g * c\nupdate = update * lr", "constant_folding", None),
    ("t = g * 3.0\nu = sign(t)\nupdate = u * lr", "scale_invariance", None),
    ("t = sign(g)\nu = sign(t)\nupdate = u * lr", "idempotence", None),
    ("t = negative(g)\nu = negative(t)\nupdate = u * lr", "double_negation", "negative"),
    ("a = sign(g)\nb = sign(g)\nupdate = a + b\nupdate = update * lr", "common_subexpression", None),
    ("a = abs(g)\nu = g / a\nupdate = u * lr", "sign_of_normalised", "div"),
    ("a = interp(g, m, 0.8)\nm = interp(a, m, 0.5)\nupdate = m * lr", "interp_composition", None),
    ("a = interp(g, m, 0.8)\nm = interp(a, g, 0.5)\nupdate = m * lr", "interp_composition", None),
    ("a = interp(g, m, 0.8)\nm = interp(m, a, 0.5)\nupdate = m * lr", "interp_composition", None),
])
def test_each_rule_fires_and_is_exact(text, rule, gone):
    body = "\n".join("    " + line for line in text.split("\n"))
    p = parse(f"def train(w, g, m, v, lr):\n{body}\n    return update, m, v\n")
    d = simplify(p)
    assert rule in _rules(d)
    if gone:
        assert [st.op for st in d.program.statements].count(gone) < [st.op for st in p.statements].count(gone)
    _check_steps(d)
    assert numeric_deviation(p, d.program, steps=4, trials=1) <= TOL


@pytest.mark.parametrize("name", seed_names())
def test_every_seed_simplifies_exactly(name):
    d = simplify(load_seed(name))
    _check_steps(d)
    assert analyze(d.program).valid
    again = simplify(d.program)
    assert str(again.program) == str(d.program)      # a fixpoint


def test_random_programs_simplify_exactly():
    from search_space.sampling import random_program
    from search_space.spaces import load_space

    space = load_space("compact")
    rng = np.random.default_rng(5)
    fired = set()
    for _ in range(6):
        p = random_program(space, rng, int(rng.integers(3, 9)))
        d = simplify(p)
        fired |= set(_rules(d))
        _check_steps(d)
    assert "dead_code" in fired or "identity" in fired


def test_cli_json_keys(capsys):
    assert main(["simplify", "program2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"program", "family", "constants", "steps"}
    assert out["family"] is None
    assert all(set(s) == {"rule", "kind", "before", "after"} for s in out["steps"])
    assert {s["kind"] for s in out["steps"]} == {"exact"}


def test_cli_bad_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.program"
    bad.write_text("def train(w, g, m, v, lr):\n    update = nosuch(g)\n    return update, m, v\n")
    assert main(["simplify", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert "bad.program" in err and "\n" not in err
