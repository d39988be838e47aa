"""make_evaluator(...).evaluate(...) on the real "test" funnel: fitness, failures, compilations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from search_space.mutation import Mutator
from search_space.parse import parse
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.errors import UserError
from symopt.evaluation import make_evaluator

H = "def train(w, g, m, v, lr):\n"
R = "    return update, m, v\n"
BAD = parse(H + "    update = g * 1e30\n" + R)                               # diverges
INVALID = parse(H + "    update = lr * 2.0\n" + R)                           # scalar update, no g


@pytest.fixture(scope="module")
def ev():
    return make_evaluator("test", strategy="interpreted")


def test_adamw_is_one_and_lion_a_finite_other_number(ev):
    adamw, lion = ev.evaluate([load_seed("adamw"), load_seed("lion")], "A")
    assert adamw == pytest.approx(1.0, rel=1e-6)
    assert math.isfinite(lion) and lion > 0 and lion != pytest.approx(1.0)


def test_invalid_and_diverging_programs_score_inf_and_do_not_change_others(ev):
    good = [load_seed("lion"), load_seed("signum")]
    alone = [ev.evaluate([p], "A")[0] for p in good]
    together = ev.evaluate([BAD, good[0], INVALID, good[1]], "A")
    assert together[0] == math.inf and together[2] == math.inf
    assert together[1::2] == alone


def test_raw_losses_and_fitness_agree(ev):
    progs = [load_seed("adamw"), load_seed("lion")]
    (ref, lion), fit = ev.evaluate_losses(progs, "A"), ev.evaluate(progs, "A")
    assert len(ref) == len(ev.stage("A").seeds)
    assert fit[1] == pytest.approx(np.mean(np.array(lion) / np.array(ref)), rel=1e-6)


def test_explicit_seeds_change_the_score(ev):
    lion = load_seed("lion")
    assert ev.evaluate([lion], "A", seeds=[100, 101])[0] != ev.evaluate([lion], "A")[0]


def test_new_programs_cause_no_compilation_after_warm_up(ev):
    ev.evaluate([load_seed("adamw")], "A")
    before = ev.compiles()
    rng = np.random.default_rng(0)
    mutator = Mutator(load_space("hero"))
    programs, p = [], load_seed("adamw")
    while len(programs) < 100:
        p, _ = mutator.mutate(p if rng.random() < 0.7 else load_seed("adamw"), rng)
        programs.append(p)
    values = ev.evaluate(programs, "A")
    assert len(values) == 100 and all(isinstance(v, float) and not math.isnan(v) for v in values)
    assert ev.compiles() == before


def test_lr_grid_never_scores_worse_than_no_grid_for_the_same_reference():
    grid = make_evaluator("test", strategy="interpreted", lr_grid=True)
    sgd = load_seed("sgd_momentum")
    raw = grid.evaluate_losses([load_seed("adamw"), sgd], "A")
    assert grid.evaluate([load_seed("adamw")], "A")[0] <= 1.0 + 1e-9
    assert all(math.isfinite(x) for row in raw for x in row)


def test_train_curve(ev):
    steps, losses = ev.train_curve(load_seed("adamw"), "A", seed=0, every=10)
    assert len(steps) == len(losses) == ev.task(ev.stage("A").task).steps // 10
    assert steps[0] == 0 and losses[-1] < losses[0]


def test_unknown_stage_or_funnel_is_a_user_error(ev):
    with pytest.raises(UserError, match="unknown stage"):
        ev.evaluate([load_seed("adamw")], "Z")
    with pytest.raises(UserError, match="nosuch"):
        make_evaluator("nosuch")
