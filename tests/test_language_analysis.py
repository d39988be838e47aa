"""Abstract execution: types, liveness across steps, validity, lr linearity, pruning."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from search_space import analysis, execute, parse, validity
from search_space.errors import ProgramError
from search_space.lr_probe import _GS, _WS, BASE_LR, SCALES, STEPS, probe_updates
from search_space.program import format_statement
from search_space.seeds import load_seed, seed_names


def prog(*lines: str) -> str:
    return parse("def train(w, g, m, v, lr):\n" + "".join(f"    {line}\n" for line in lines))


def test_program2_cosh_is_dead_across_steps():
    a = analysis.analyze(load_seed("program2"))
    assert a.valid
    assert [format_statement(s) for s in a.dead_statements] == ["m = cosh(update)"]
    assert a.live_states == (False, True)  # m is overwritten before any read; v is read next step


def test_state_read_next_step_is_live():
    # m's output is read by the next step's update: live only across the step boundary
    a = analysis.analyze(prog("update = m * lr", "m = interp(g, m, 0.9)", "return update, m, v"))
    assert a.valid and all(a.live)
    # chain through two states: update <- v <- m <- g (two steps deep)
    a = analysis.analyze(prog("update = v * lr", "v = m * 1.0", "m = g * 1.0", "return update, m, v"))
    assert a.valid and all(a.live) and a.live_states == (True, True)


def test_unread_state_output_is_dead():
    a = analysis.analyze(prog("m = interp(g, m, 0.9)", "x = exp(m)", "update = g * lr", "return update, m, v"))
    assert a.valid
    assert a.live == (False, False, True)
    assert a.live_states == (False, False)


def test_types_follow_op_kinds():
    p = prog(
        "a = global_norm(g)", "b = a * 2.0", "c = norm(g)", "d = clip_by_global_norm(g, 1.0)",
        "e = get_pi()", "f = lr * e", "update = c * d", "update = update * f", "update = update * b",
        "return update, m, v",
    )
    a = analysis.analyze(p)
    assert a.types == ("scalar", "scalar", "tensor", "tensor", "scalar", "scalar", "tensor", "tensor", "tensor")
    assert a.valid


@pytest.mark.parametrize(
    "lines, reason, line",
    [
        (("update = global_norm(g)",), "is a scalar, not a tensor", 2),
        (("update = m * g", "x = dot(g, g)", "m = x * 1.0"), "state 'm' is returned as a scalar", 4),
        # a scalar assigned to a state whose output no later step reads is harmless (dead)
        (("update = g * lr", "m = dot(g, g)", "update = update + m"), None, None),
        (("update = w * lr",), "does not depend on the gradient g", 2),
        (("x = dot(lr, 2.0)", "update = g * x"), "all its arguments are scalars", 2),
    ],
)
def test_ill_typed_programs_rejected(lines, reason, line):
    p = prog(*lines, "return update, m, v")
    if reason is None:
        validity.check(p)  # the scalar m is only used within the step; its output is never read
        return
    with pytest.raises(ProgramError, match=reason) as exc:
        validity.check(p)
    assert exc.value.line == line


def test_scalar_state_read_next_step_rejected():
    p = prog("update = m * g", "m = lr * 1.0", "return update, m, v")
    with pytest.raises(ProgramError, match="state 'm' is returned as a scalar") as exc:
        validity.check(p)
    assert exc.value.line == 3


def test_dependency_on_g_through_states():
    assert analysis.analyze(prog("update = v * lr", "v = m * 1.0", "m = g * 1.0", "return update, m, v")).valid
    bad = prog("update = v * lr", "v = m * 1.0", "m = w * 1.0", "return update, m, v")
    assert analysis.analyze(bad).reason == "the update 'update' does not depend on the gradient g"


def test_type_errors_in_dead_code_are_ignored():
    a = analysis.analyze(prog("x = dot(lr, 1.0)", "update = g * lr", "return update, m, v"))
    assert a.valid and a.live == (False, True)


@pytest.mark.parametrize("name", ["adamw", "lion", "adam", "signum", "sgd", "sgd_momentum", "rmsprop"])
def test_known_optimizers_are_lr_linear(name):
    validity.check(load_seed(name), lr_linear=True)


@pytest.mark.parametrize(
    "lines, reason",
    [
        (("m = interp(g, m, 0.9)", "u = m / lr", "update = u * lr"), "not linear in lr"),  # cancels lr
        (("update = clip(g, 0.1)",), "does not depend on the learning rate"),  # ignores lr
        (("m = interp(g, m, 0.9)", "m = m * lr", "update = sign(m)", "update = update * lr"),
         "lr flows into state 'm'"),
        (("update = g * lr", "update = update * lr"), "not linear in lr"),  # lr squared
        (("x = clip(lr, 0.5)", "update = g * x"), "not linear in lr"),
    ],
)
def test_lr_exploits_rejected_only_with_lr_linear(lines, reason):
    p = prog(*lines, "return update, m, v")
    validity.check(p)  # well-typed
    with pytest.raises(ProgramError, match=reason):
        validity.check(p, lr_linear=True)


def test_prune_removes_dead_code_and_keeps_updates():
    p = load_seed("program2")
    q = analysis.prune(p)
    assert len(q) == len(p) - 1 and "cosh" not in str(q)
    assert analysis.analyze(q).live == (True,) * len(q)
    w = {"a": jnp.arange(6.0).reshape(2, 3) / 7, "b": jnp.ones(4)}
    grads = [{"a": jnp.sin(jnp.arange(6.0) + t).reshape(2, 3), "b": jnp.cos(jnp.arange(4.0) * t)} for t in range(4)]
    wp, _ = execute.run(p, w, grads, [1.0] * 4)
    wq, _ = execute.run(q, w, grads, [1.0] * 4)
    for k in w:
        np.testing.assert_allclose(wp[k], wq[k], rtol=1e-6)


def test_prune_of_dead_state_computed_by_dead_statement():
    p = prog("t = exp(g)", "update = g * lr", "return update, t, v")
    q = analysis.prune(p)
    assert len(q) == 1 and q.returns == ("update", "m", "v")


@pytest.mark.parametrize("name", ["adamw", "lion", "program2", "addsign", "powersign"])
def test_lr_probe_agrees_with_execute(name):
    """The numpy probe has the semantics of search_space.execute (one semantics)."""
    p = load_seed(name)
    got = probe_updates(p)
    for i, scale in enumerate(SCALES):
        states = execute.init_states(p, jnp.zeros(_WS.shape[1]))
        for t in range(STEPS):
            update, states = execute.step(p, jnp.asarray(_WS[t]), jnp.asarray(_GS[t]), states, BASE_LR * scale)
            np.testing.assert_allclose(got[t, i], np.asarray(update), rtol=2e-5, atol=1e-7)


def test_lr_probe_covers_reductions():
    p = prog("a = cosine_sim(g, w)", "b = clip_by_global_norm(m, 0.5)", "c = norm(g)", "m = interp(g, m, 0.9)",
             "update = b * a", "update = update + c", "update = update * lr", "return update, m, v")
    got = probe_updates(p)
    states = execute.init_states(p, jnp.zeros(_WS.shape[1]))
    for t in range(STEPS):
        update, states = execute.step(p, jnp.asarray(_WS[t]), jnp.asarray(_GS[t]), states, BASE_LR)
        np.testing.assert_allclose(got[t, 0], np.asarray(update), rtol=2e-5, atol=1e-7)


def test_all_seeds_well_typed():
    for name in seed_names():
        assert analysis.analyze(load_seed(name)).valid, name
