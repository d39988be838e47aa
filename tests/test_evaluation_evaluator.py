"""make_evaluator(...).evaluate(...) on the real "test" funnel: fitness, failures, compilations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from search_space.mutation import Mutator
from search_space.parser import parse
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


def test_lr_grid_re_tuning_cannot_beat_the_tuned_reference():
    """Every program trains at the lr grid's scales as lanes of one call; the reference (AdamW) is tuned
    on a finer, wider grid, so AdamW with its lr constant rescaled anywhere on that grid never beats it."""
    from search_space.parser import parse

    grid = make_evaluator("test", strategy="interpreted", lr_grid=True)
    assert grid.scales == (1 / 3, 1.0, 3.0) and set(grid.scales) < set(grid.ref_scales)
    adamw = str(load_seed("adamw"))
    for factor in (3 ** -0.5, 1.0, 3 ** 0.5, 3.0):
        rescaled = parse(adamw.replace("lr = lr * 0.001", f"lr = lr * {0.001 * factor!r}"))
        assert grid.evaluate([rescaled], "A")[0] >= 1.0 - 1e-3, factor
    raw = grid.evaluate_losses([load_seed("adamw"), load_seed("sgd_momentum")], "A")
    assert all(math.isfinite(x) for row in raw for x in row)


def test_lane_path_gives_the_losses_of_one_program_calls():
    """Programs x lr scales x seeds as lanes of one vmapped call == each (scale) run alone."""
    from symopt.evaluation.encoding import encode
    from symopt.evaluation.interpreter import Interpreted

    ev = make_evaluator("test", strategy="interpreted")
    task = ev.task(ev.stage("A").task)
    interp = Interpreted(task)
    e = [encode(load_seed("lion"))]
    lanes = interp.grid_losses(e, [0, 1], (0.5, 1.0, 2.0))
    for k, scale in enumerate((0.5, 1.0, 2.0)):
        np.testing.assert_allclose(lanes[0, k], interp.losses(e, [0, 1], scale)[0], rtol=1e-5)


def test_bad_lr_grids_are_one_line_errors():
    for bad in ([], [1.0, -3.0], [0.0]):
        with pytest.raises(UserError, match="lr_grid must be a non-empty list of positive numbers"):
            make_evaluator("test", lr_grid=bad)


def test_train_curve(ev):
    steps, losses = ev.train_curve(load_seed("adamw"), "A", seed=0, every=10)
    assert len(steps) == len(losses) == ev.task(ev.stage("A").task).steps // 10
    assert steps[0] == 0 and losses[-1] < losses[0]


def test_unknown_stage_or_funnel_is_a_user_error(ev):
    with pytest.raises(UserError, match="unknown stage"):
        ev.evaluate([load_seed("adamw")], "Z")
    with pytest.raises(UserError, match="nosuch"):
        make_evaluator("nosuch")
