"""The compiled-once interpreter computes what direct execution (search_space.execute) computes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from search_space import execute
from search_space.analysis import analyze
from search_space.sampling import random_program
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.evaluation import make_evaluator
from symopt.evaluation.encoding import encode
from symopt.evaluation.interpreter import BY_CODE, make_step
from symopt.evaluation.vector_ops import Layout


def _random_programs(n, seed=0):
    rng = np.random.default_rng(seed)
    space = load_space("hero")
    return [random_program(space, rng, int(rng.integers(1, space.max_statements + 1))) for _ in range(n)]


@pytest.fixture(scope="module", params=["switch", "select"])
def interp_step(request):
    """The step with each dispatch: a switch on the opcode, and a select over every function."""
    w = {"a": jnp.zeros((3,)), "b": {"c": jnp.zeros((2, 4)), "d": jnp.zeros(())}}
    functions = None if request.param == "switch" else tuple(BY_CODE)
    return w, jax.jit(make_step(Layout.of(w), functions))


def test_interpreter_step_equals_direct_execution_on_100_random_programs(interp_step):
    w0, step = interp_step
    rng = np.random.default_rng(1)
    programs = [load_seed("adamw"), load_seed("lion")] + _random_programs(98)
    for p in programs:
        e = encode(p, 16)
        w = jax.tree_util.tree_map(lambda x: jnp.asarray(rng.normal(size=x.shape), jnp.float32), w0)
        states = execute.init_states(p, w)
        flat_states = tuple(ravel_pytree(s)[0] for s in states) + (jnp.zeros(9),) * (2 - len(states))
        for k in range(2):
            g = jax.tree_util.tree_map(lambda x: jnp.asarray(rng.normal(size=x.shape), jnp.float32), w0)
            lr = jnp.float32(0.7 + 0.1 * k)
            u_ref, states = execute.step(p, w, g, states, lr)
            prog = jax.tree_util.tree_map(jnp.asarray, e)
            u, flat_states = step(ravel_pytree(w)[0], ravel_pytree(g)[0], flat_states, lr, prog, prog.n)
            np.testing.assert_allclose(np.asarray(u), np.asarray(ravel_pytree(u_ref)[0]), rtol=2e-5, atol=1e-6,
                                       equal_nan=True, err_msg=str(p))
            for live, s_ref, s in zip(analyze(p).live_states, states, flat_states):
                if not live:   # dead state outputs are never read: the interpreter does not compute them
                    continue
                np.testing.assert_allclose(np.asarray(s), np.asarray(ravel_pytree(s_ref)[0]), rtol=2e-5, atol=1e-6,
                                           equal_nan=True, err_msg=str(p))
            w = jax.tree_util.tree_map(lambda a, b: a - b, w, u_ref)


def _full_runs_agree(programs):
    interp = make_evaluator("test", strategy="interpreted")
    direct = make_evaluator("test", strategy="compiled")
    a = np.array(interp.evaluate_losses(programs, "A"))
    b = np.array(direct.evaluate_losses(programs, "A"))
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-4)


def test_full_training_run_equals_direct_execution_for_adamw_and_lion():
    _full_runs_agree([load_seed("adamw"), load_seed("lion")])


@pytest.mark.slow
def test_full_training_run_equals_direct_execution_for_100_random_programs():
    _full_runs_agree(_random_programs(100, seed=7))
