"""Numerical equivalence of two programs over multi-step trajectories.

Both programs run :func:`search_space.execute.step` (the reference
semantics) from the same random parameter trees (random shapes), zero
initial states (as every optimizer starts: the simplifier's rules for
never-written and rescaled states rely on it), random gradients and random
positive learning rates, for
``STEPS`` steps and ``TRIALS`` seeds; each keeps its own trajectory
``w <- w - update``.  The deviation of a step is
``max |u_a - u_b| / max |u_b|`` over the whole tree (positions where both are
non-finite agree; non-finite in one only is an infinite deviation).  The
states of ``b`` are matched to those of ``a`` in the best order (state names
are internal).  Programs are equivalent when the largest deviation is at
most ``RTOL`` (float32 rounding over a few steps; the protected division
makes ``x / sqrt(x*x)`` and ``sign(x)`` differ by ``1e-8/|x|``).

``structural`` also reports whether the exact canonical forms (see
:func:`symopt.simplify.simplify`) have the same functional hash.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax
import numpy as np

from search_space.analysis import prune
from search_space.execute import step
from search_space.hashing import functional_hash
from search_space.program import Program
from symopt.simplify import simplify_exact

STEPS = 8
TRIALS = 3
RTOL = 1e-4


@dataclasses.dataclass(frozen=True)
class EquivResult:
    equivalent: bool
    max_rel_err: float
    structural: bool = False

    def to_json(self) -> dict:
        return {"equivalent": self.equivalent, "max_rel_err": self.max_rel_err}


def _trial_inputs(seed: int, n_states: int, steps: int):
    rng = np.random.default_rng(seed)
    shapes = [tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(1, 3))) for _ in range(rng.integers(1, 4))]

    def tree(scale):
        return {f"p{i}": (scale * rng.standard_normal(s)).astype(np.float32) for i, s in enumerate(shapes)}

    w = tree(1.0)
    states = [tree(0.0) for _ in range(n_states)]
    grads = [tree(1.0) for _ in range(steps)]
    lrs = [float(x) for x in rng.uniform(0.3, 1.5, size=steps)]
    return w, states, grads, lrs


def trajectory(program: Program, w, states, grads, lrs) -> list[np.ndarray]:
    """Updates (flattened, float64) of ``program`` at each step."""
    program = prune(program)       # the same updates; dead statements would only cost time
    out = []
    states = tuple(states)
    for g, lr in zip(grads, lrs):
        update, states = step(program, w, g, states, lr)
        leaves = [np.asarray(x, np.float64).ravel() for x in jax.tree_util.tree_leaves(update)]
        flat = np.concatenate(leaves)
        out.append(flat)
        w = jax.tree_util.tree_map(lambda a, u: np.asarray(a - u, np.float32), w, update)
    return out


def deviation(ua: list[np.ndarray], ub: list[np.ndarray]) -> float:
    worst = 0.0
    for a, b in zip(ua, ub):
        fa, fb = np.isfinite(a), np.isfinite(b)
        if not np.array_equal(fa, fb):
            return math.inf
        if not fa.any():
            continue
        err = float(np.max(np.abs(a[fa] - b[fb])))
        ref = float(np.max(np.abs(b[fb])))
        worst = max(worst, err / ref if ref > 0 else (0.0 if err == 0 else math.inf))
    return worst


def numeric_deviation(a: Program, b: Program, *, steps: int = STEPS, trials: int = TRIALS, seed: int = 0) -> float:
    if len(a.states) != len(b.states):
        return math.inf
    worst = 0.0
    for t in range(trials):
        w, states, grads, lrs = _trial_inputs(seed * 1000 + t, len(a.states), steps)
        ua = trajectory(a, w, states, grads, lrs)
        best = math.inf
        for perm in itertools.permutations(range(len(b.states))):
            ub = trajectory(b, w, [states[j] for j in perm], grads, lrs)
            best = min(best, deviation(ua, ub))
            if best == 0.0:
                break
        worst = max(worst, best)
        if math.isinf(worst):
            break
    return worst


def equivalent(a: Program, b: Program, *, rtol: float = RTOL, steps: int = STEPS, trials: int = TRIALS,
               seed: int = 0) -> EquivResult:
    """Are ``a`` and ``b`` the same optimizer? (see the module docstring)

    >>> from search_space.seeds import load_seed
    >>> equivalent(load_seed("lion"), load_seed("lion")).equivalent
    True
    """
    structural = functional_hash(simplify_exact(a).program) == functional_hash(simplify_exact(b).program)
    err = numeric_deviation(a, b, steps=steps, trials=trials, seed=seed)
    return EquivResult(equivalent=err <= rtol, max_rel_err=float(err), structural=structural)
