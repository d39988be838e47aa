"""Evaluator fuzzing on the real "test" funnel: numerically wild but valid programs (overflow, NaN, division
by zero, huge constants, an lr of 1e30) score the worst fitness (``math.inf``), never raise, and never
poison a batch: every program in a batch scores exactly what it scores alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_space.analysis import analyze
from search_space.parser import parse
from search_space.program import Program, Statement, format_program
from search_space.sampling import random_program
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt import evaluation

H = "def train(w, g, m, v, lr):\n"
R = "    return update, m, v\n"
# Programs that must diverge (the evaluator must call them inf) ...
DIVERGING = {
    "exp_overflow": H + "    t = exp(g)\n    t = exp(t)\n    t = exp(t)\n    t = exp(t)\n    update = t * 1e30\n" + R,
    "nan_constant": H + "    t = arccosh(0.5)\n    update = g * t\n" + R,
    "log_zero": H + "    t = log(0.0)\n    update = g * t\n" + R,
    "huge_constant": H + "    update = g * 1e30\n" + R,
    "lr_1e30": H + "    lr = lr * 1e30\n    update = sign(g)\n    update = update * lr\n" + R,
    "inf_times_zero": H + "    t = exp(1000.0)\n    z = t * 0.0\n    update = g + z\n" + R,
    "nan_state": H + "    t = sqrt(-1.0)\n    m = interp(g, m, 0.9)\n    m = m / 0.0\n    m = m * 1e300\n"
                 "    update = m * 0.001\n" + R,
}
# ... and ones that are only odd (the evaluator may score them anything, but a float or inf, never NaN).
ODD = {
    "divide_by_zero": H + "    update = g / 0.0\n" + R,
    "tiny_constant": H + "    update = g * 1e-300\n" + R,
    "power_big": H + "    update = power(g, 1e30)\n" + R,
    "reciprocal_zero": H + "    t = reciprocal(0.0)\n    update = sign(g)\n    update = update * t\n" + R,
    "global_norm_zero": H + "    z = g * 0.0\n    n = global_norm(z)\n    update = g / n\n" + R,
    "cosine_sim_zero": H + "    z = w * 0.0\n    c = cosine_sim(z, z)\n    update = g * c\n" + R,
    "arctanh_one": H + "    t = arctanh(g)\n    update = t * 0.001\n" + R,
}
GOOD = ["adamw", "lion", "sgd_momentum", "signum"]
STAGE = "A"
FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def ev():
    return evaluation.make_evaluator("test")


def is_fitness(x) -> bool:
    return isinstance(x, float) and not math.isnan(x) and (x == math.inf or (math.isfinite(x) and x >= 0))


def test_diverging_programs_score_inf_and_odd_ones_a_number(ev):
    progs = {**DIVERGING, **ODD}
    names = list(progs)
    programs = [parse(progs[n], file=n) for n in names]
    for p, n in zip(programs, names):
        assert analyze(p).valid, n
    values = ev.evaluate(programs, STAGE)
    assert len(values) == len(programs)
    for n, x in zip(names, values):
        assert is_fitness(x), (n, x)
        if n in DIVERGING:
            assert x == math.inf, (n, x)


def test_wild_programs_do_not_poison_a_batch(ev):
    """Good and wild programs interleaved: each scores exactly what it scores alone."""
    wild = [parse(t) for t in list(DIVERGING.values())[:4]]
    good = [load_seed(n) for n in GOOD]
    batch = [p for pair in zip(good, wild) for p in pair]
    together = ev.evaluate(batch, STAGE)
    alone = [ev.evaluate([p], STAGE)[0] for p in batch]
    assert together == alone
    assert all(math.isfinite(x) for x in together[0::2]) and all(x == math.inf for x in together[1::2])
    assert ev.evaluate([good[0]], STAGE)[0] == pytest.approx(1.0, rel=1e-5)   # AdamW is the reference


def lion_with(beta1: float, beta2: float, wd: float) -> Program:
    """Lion with other constants: the same opcode stream, so the evaluator trains them in one vmapped group."""
    text = format_program(load_seed("lion"))
    text = text.replace("interp(g, m, 0.9)", f"interp(g, m, {beta1!r})")
    text = text.replace("interp(g, m, 0.99)", f"interp(g, m, {beta2!r})").replace("w * 0.01", f"w * {wd!r}")
    return parse(text)


def test_wild_constants_do_not_poison_their_vmapped_group(ev):
    """Same structure, different constants (one vmapped group in the evaluator): a diverging member scores
    inf and its group mates score exactly what they score alone."""
    batch = [lion_with(0.9, 0.99, 0.01), lion_with(0.9, 0.99, -1e30), lion_with(0.8, 0.95, 0.1),
             lion_with(1e30, 0.99, 0.01), lion_with(0.5, 0.9, 0.0), lion_with(0.9, -1e30, 0.01)]
    together = ev.evaluate(batch, STAGE)
    alone = [ev.evaluate([p], STAGE)[0] for p in batch]
    assert together == alone
    assert math.isfinite(together[0]) and math.isfinite(together[2]) and math.isfinite(together[4])
    assert together[1] == math.inf                 # w * -1e30 decays the weights to overflow
    assert all(is_fitness(x) for x in together)    # beta 1e30 / -1e30 blow m up, but sign() bounds the update


WILD_CONSTANTS = [1e30, -1e30, 1e-30, 0.0, 1e10, -1e10, 1e300, 3.0, -0.5]


@st.composite
def wild_programs(draw):
    """A random valid program whose constants are replaced by wild values."""
    space = load_space("compact")
    n = draw(st.integers(1, space.max_statements))
    p = random_program(space, np.random.default_rng(draw(st.integers(0, 2**32 - 1))), n)
    statements = tuple(
        Statement(s.target, s.op, tuple(draw(st.sampled_from(WILD_CONSTANTS)) if isinstance(a, float) else a
                                        for a in s.args))
        for s in p.statements)
    return Program(statements, p.returns, p.states)


def _fuzz_batches(ev, batches):
    for batch in batches:
        values = ev.evaluate(batch, STAGE)
        assert len(values) == len(batch)
        bad = [(str(p), x) for p, x in zip(batch, values) if not is_fitness(x)]
        assert not bad, bad
        i = len(batch) // 2
        assert ev.evaluate([batch[i]], STAGE)[0] == values[i]


@settings(max_examples=6, **FAST)
@given(st.lists(wild_programs(), min_size=8, max_size=8))
def test_random_wild_programs_score_a_number_or_inf(ev, batch):
    _fuzz_batches(ev, [batch])


@pytest.mark.slow
@settings(max_examples=150, **FAST)
@given(st.lists(wild_programs(), min_size=16, max_size=16))
def test_slow_random_wild_programs(ev, batch):
    _fuzz_batches(ev, [batch])


def test_invalid_programs_score_inf_and_a_bad_stage_is_one_line(ev):
    """Programs the analysis rejects (update ignores g, scalar update) are never trained: inf, in any batch."""
    from search_space.errors import InputError

    invalid = [parse(H + "    update = lr * 1.0\n" + R), parse(H + "    t = global_norm(g)\n    update = t * lr\n" + R)]
    assert not any(analyze(p).valid for p in invalid)
    good = load_seed("adamw")
    assert ev.evaluate([invalid[0], good, invalid[1]], STAGE) == [math.inf, ev.evaluate([good], STAGE)[0], math.inf]
    with pytest.raises(InputError) as info:
        ev.evaluate([good], "no_such_stage")
    assert "\n" not in str(info.value)
