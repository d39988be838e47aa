"""Linear-dataflow and sign rules of the exact simplifier, and recognition after them.

Every rewrite is checked numerically against the program it came from (the reference
JAX semantics, many steps on random gradients), and the messy programs evolution
produces are named.
"""

from __future__ import annotations

import numpy as np
import pytest

from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.equiv import numeric_deviation
from symopt.recognise import recognise
from symopt.simplify import simplify, simplify_exact

HEAD = "def train(w, g, m, v, lr):\n"


def prog(*lines: str):
    return parse(HEAD + "".join(f"    {line}\n" for line in lines) + "    return update, m, v\n")


CASES = [
    # (program lines, family, constants that must match)
    (("t1 = interp(m, g, 0.2)", "t2 = sign(t1)", "m = interp(m, g, 0.01)", "update = t2 + t2", "update = update * lr"),
     "lion", {"b1": 0.8, "b2": 0.99, "lr_scale": 2.0}),
    (("t0 = interp(g, m, 0.9)", "a = abs(t0)", "update = t0 / a", "t1 = interp(g, m, 0.8)",
      "m = interp(t1, m, 0.95)", "update = update * lr"),
     "lion", {"b1": 0.9, "b2": 0.99}),
    (("g2 = square(g)", "v = interp(g2, v, 0.999)", "m = interp(g, m, 0.99)", "u = interp(g, m, 0.9)",
      "s = sqrt(v)", "u = u / s", "u = tanh(u)", "update = sign(u)", "update = update * lr"),
     "lion", {"b1": 0.891, "b2": 0.99}),
    (("m = m * 0.99", "t = g * 0.02", "m = m + t", "u = m * 3.0", "u = u + g", "update = sign(u)",
      "update = update * lr"),
     "lion", {"b2": 0.99}),
    (("t2 = interp(v, m, 0.75)", "m = interp(g, t2, 0.99)", "update = m / v", "update = sign(update)",
      "update = update * lr"),
     "signum", {"b": 0.7425}),
    (("m = interp(g, m, 0.9)", "e = exp(m)", "update = m * e", "update = sign(update)", "update = update * lr"),
     "signum", {"b": 0.9}),
]


@pytest.mark.parametrize("lines, family, constants", CASES)
def test_messy_programs_are_named(lines, family, constants):
    p = prog(*lines)
    r = recognise(p)
    assert r.family == family, simplify_exact(p).text()
    for k, v in constants.items():
        assert r.constants[k] == pytest.approx(v, rel=1e-6), (k, r.constants)


@pytest.mark.parametrize("lines", [case[0] for case in CASES])
def test_every_exact_step_preserves_the_updates(lines):
    p = prog(*lines)
    d = simplify_exact(p)
    for step in d.steps:
        err = numeric_deviation(step.before, step.after, steps=30, trials=2)
        # a sign of a value that crosses 0 differs in float32 only where |value| ~ 1e-7
        assert err < 1e-3, (step.rule, step.why, err)


def test_never_written_state_is_zero_and_division_by_it_is_a_scale():
    d = simplify_exact(prog("m = interp(g, m, 0.9)", "update = m / v", "update = update * lr"))
    rules = [s.rule for s in d.steps]
    assert "zero_state" in rules and "divide_by_constant" in rules
    assert "v" not in str(d.program).split("return")[0].replace("def train(w, g, m, v, lr):", "")


def test_sign_ignores_a_nonnegative_divisor_but_not_a_signed_one():
    named = recognise(prog("m = interp(g, m, 0.9)", "v = interp(g, v, 0.5)", "t = m / v", "update = sign(t)",
                           "update = update * lr"))
    assert named.family is None          # v is an EMA of g: it changes sign, so sign(m / v) != sign(m)
    squared = recognise(prog("m = interp(g, m, 0.9)", "g2 = square(g)", "v = interp(g2, v, 0.5)", "t = m / v",
                             "update = sign(t)", "update = update * lr"))
    assert squared.family == "signum"    # an EMA of g^2 is never negative


def test_rescaled_state_keeps_its_readers_exact():
    p = prog("m = m * 0.5", "t = g * 2.0", "m = m + t", "update = m * lr")
    d = simplify_exact(p)
    assert "rescaled_state" in [s.rule for s in d.steps]
    assert numeric_deviation(p, d.program, steps=40, trials=1) < 1e-4
    r = recognise(p)
    assert r.family == "sgd_momentum" and r.constants["b"] == pytest.approx(0.5)
    assert r.constants["lr_scale"] == pytest.approx(4.0)


class _Planted:
    """Losses for the measured simplifier from the planted fitness (per stream)."""

    def __init__(self):
        from symopt.bench.planted_fitness import PlantedFitness

        self.f = PlantedFitness("lion")
        self.description = "planted lion"

    def evaluate_losses(self, programs, stage=None, seeds=None):
        return self.f.evaluate_losses(programs, stage, seeds)


def test_measured_clip_to_sign_is_kept_only_when_fitness_does_not_change():
    # a clip whose bound is far below the values it clips acts as a sign: kept, and the program is named Lion
    tiny = prog("t = interp(g, m, 0.9)", "m = interp(g, m, 0.99)", "b = lr * 1e-06", "update = clip(t, b)")
    d = simplify(tiny, measure=True, evaluator=_Planted(), stage="planted", seeds=range(4),
                 kinds=("clip_sign",))
    assert "measured_clip_sign" in [s.rule for s in d.steps]
    assert recognise(d.program).family == "lion"
    # a clip that rarely bites is not a sign: the measured rule refuses it
    loose = prog("t = interp(g, m, 0.9)", "m = interp(g, m, 0.99)", "b = lr * 1000.0", "update = clip(t, b)")
    d = simplify(loose, measure=True, evaluator=_Planted(), stage="planted", seeds=range(4), kinds=("clip_sign",))
    assert "measured_clip_sign" not in [s.rule for s in d.steps]


def test_random_programs_simplify_to_equivalent_programs():
    from search_space.sampling import random_program
    from search_space.spaces import load_space

    space, rng = load_space("compact"), np.random.default_rng(17)
    worst = []
    for _ in range(60):
        p = random_program(space, rng, int(rng.integers(2, 9)))
        q = simplify_exact(p).program
        err = numeric_deviation(p, q, steps=12, trials=1)
        worst.append(err)
    # sign flips at exact zeros and float32 rounding of folded coefficients: rare, small
    assert np.mean(np.asarray(worst) < 1e-3) > 0.9


def test_measured_drop_of_a_negligible_coupling_names_lion():
    """A Lion found by the main job with its two moving averages coupled by a 0.6 % sliver of the other
    state: dropping the sliver changes no loss, and the exact rules then fold it into Lion."""
    found = prog("t1 = interp(g, m, 0.006)", "m = interp(g, v, 0.912)", "t2 = lr * 0.001", "update = sign(m)",
                 "update = update * t2", "t3 = interp(t1, m, -0.5)", "v = interp(t3, v, 0.992)")
    assert recognise(found).family is None
    d = simplify(found, measure=True, evaluator=_Planted(), stage="planted", seeds=range(4), kinds=("drop_term",))
    assert [s.rule for s in d.steps if s.kind == "measured"] == ["measured_drop_term"]
    r = recognise(d.program)
    assert r.family == "lion"
    assert r.constants["b1"] == pytest.approx(0.912) and r.constants["b2"] == pytest.approx(0.988352, rel=1e-6)


def test_measured_pass_reaches_lion_from_a_program_of_the_main_job():
    """The best program of ``symopt rediscover --seed 3``: a clip of a normalised update (a sign only after the
    clip-to-sign step), and a momentum fed by a correction of g that only matters for large gradients. The
    structural kinds run to a fixpoint (dropping the correction's terms only pays once the clip is a sign)."""
    found = prog("t1 = tanh(g)", "t2 = interp(g, t1, 1.512)", "m1 = interp(g, v, 0.9123)", "sq = square(t2)",
                 "t0 = interp(t2, t1, 2.393)", "update = m1 / sq", "lr = lr * 0.0003451", "update = clip(update, lr)",
                 "t3 = interp(t0, m1, sq)", "t4 = interp(t3, t0, 1.334)", "v = interp(t4, v, 0.9923)")
    assert recognise(found).family is None
    d = simplify(found, measure=True, evaluator=_Planted(), stage="planted", seeds=range(4))
    measured = [s.rule for s in d.steps if s.kind == "measured"]
    assert measured[0] == "measured_clip_sign" and "measured_drop_term" in measured
    r = recognise(d.program)
    assert r.family == "lion"
    assert r.constants["b1"] == pytest.approx(0.91) and r.constants["b2"] == pytest.approx(0.99)


def test_measured_pass_keeps_lion_as_it_is():
    """Every structural candidate of Lion (drop either operand of a moving average, remove the sign) changes
    its update stream, so the measured pass keeps none of them."""
    d = simplify(load_seed("lion"), measure=True, evaluator=_Planted(), stage="planted", seeds=range(4),
                 kinds=("unwrap", "clip_sign", "drop_term"))
    assert [s for s in d.steps if s.kind == "measured"] == []
    assert recognise(d.program).family == "lion"


def test_measured_steps_are_judged_on_the_funnels_held_out_seeds():
    from types import SimpleNamespace

    from proxies import load_funnel
    from symopt.simplify.measured import SEEDS, default_seeds

    funnel = load_funnel("default")
    # an evaluator exposes its funnel; measured steps use the seeds no search trained on
    assert default_seeds(SimpleNamespace(funnel=funnel)) == tuple(funnel.heldout_seeds)
    assert not set(default_seeds(SimpleNamespace(funnel=funnel))) & {s for st in funnel.stages for s in st.seeds}
    assert default_seeds(_Planted()) == SEEDS


def test_unknown_measured_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown measured kinds"):
        simplify(load_seed("lion"), measure=True, evaluator=_Planted(), kinds=("drop_small",))
