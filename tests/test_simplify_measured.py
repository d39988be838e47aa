"""Measured simplification on the default funnel (scored as the search scores, at the best lr scale):
Program 2 becomes Lion with no manual step.

(The "test" funnel is too easy to judge structure: there, dropping a moving average changes no loss.)"""

from __future__ import annotations

import pytest

from search_space.seeds import load_seed
from symopt.recognise import recognise
from symopt.simplify import simplify
from symopt.simplify.measured import _roundings, paired


@pytest.fixture(scope="module")
def derivation():
    from symopt.evaluation import make_evaluator

    return simplify(load_seed("program2"), measure=True, evaluator=make_evaluator("default", lr_grid=True))


def test_program2_becomes_lion(derivation):
    r = recognise(derivation.program)
    assert r.family == "lion"
    assert r.constants["b1"] == pytest.approx(0.9, abs=0.002)
    assert r.constants["b2"] == pytest.approx(0.997, abs=0.0005)
    assert r.constants["weight_decay"] > 0 and r.constants["lr_scale"] == pytest.approx(0.0002)
    ops = [s.op for s in derivation.program.statements]
    assert "clip" not in ops and "arcsin" not in ops


def test_measured_steps_are_labelled(derivation):
    kinds = {s.rule: s.kind for s in derivation.steps}
    assert kinds["measured_unwrap"] == "measured" and kinds["measured_round"] == "measured"
    assert kinds["interp_composition"] == "exact"
    for s in derivation.steps:
        assert s.kind == ("measured" if s.rule.startswith("measured_") else "exact")
        if s.kind == "measured":
            assert "paired" in s.why and "seeds" in s.why


def test_rounding_keeps_structure():
    assert _roundings(0.899) == [0.9]
    assert _roundings(0.996991)[0] == 0.997        # never 1.0: interp(x, y, 1) would drop the momentum
    assert _roundings(0.0002) == []


def test_paired_rule():
    assert paired([1.0, 1.0, 1.0], [1.001, 0.999, 1.0])[0]
    assert not paired([1.0, 1.0, 1.0], [1.2, 1.1, 1.15])[0]
    assert not paired([1.0, 1.0], [float("inf"), 1.0])[0]
    # one seed blowing up makes the noise estimate huge: a large change is still a change
    assert not paired([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1e5])[0]
    # two-sided: a clear improvement is not "no change"
    assert paired([1.0, 1.0, 1.0], [0.8, 0.81, 0.79])[0]
    assert not paired([1.0, 1.0, 1.0], [0.8, 0.81, 0.79], two_sided=True)[0]


class _Blind:
    """A stand-in evaluator that scores every program alike: the worst case for the judge (one stage at one
    lr scale could barely tell an update clipped by ``lr * k`` from the same update without ``lr``)."""

    description = "a judge that cannot tell programs apart"

    def evaluate_losses(self, programs, stage, seeds=None):
        return [[1.0] * len(seeds) for _ in programs]


def test_a_measured_step_never_gives_up_an_update_linear_in_lr():
    from search_space.parser import parse
    from search_space.validity import is_valid

    program = parse("def train(w, g, m, v, lr):\n    m = interp(g, m, 0.9)\n    t = sqrt(m)\n    update = m / t\n"
                    "    k = lr * 0.001\n    update = clip(update, k)\n    return update, m, v\n")
    d = simplify(program, measure=True, evaluator=_Blind(), seeds=(0, 1, 2))
    assert is_valid(d.program, lr_linear=True)
    assert "lr" in {a for s in d.program.statements for a in s.args}
    assert not any(s.rule == "measured_unwrap" and "clip" in s.why for s in d.steps)
