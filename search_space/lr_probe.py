"""Numeric probe: does a program's update scale linearly with its ``lr`` input?

The program is run for a few steps on fixed random ``w``/``g`` (one small
parameter tensor), states carried, with the learning rate ``lr``, ``0.5 lr``
and ``3 lr`` side by side as three rows of one batch.  The update of each
scaled run must equal the scaled update of the base run at every step
(relative tolerance ``RTOL``).  Values are evaluated in NumPy with the
functions of :data:`search_space.ops.OPS` themselves (their ``np_fn`` /
``np_terms`` / ``np_finish``: the same definitions as the JAX reference
:mod:`search_space.execute`, which the tests check the probe against on a
fuzz corpus): a scalar is a ``(K, 1)`` column (one value per run), a tensor
``(K, N)``.  A probe costs tens of microseconds, so the search loop can
afford it for every child.
"""

from __future__ import annotations

import numpy as np

from search_space.ops import OPS
from search_space.program import Program

SCALES = (1.0, 0.5, 3.0)
BASE_LR = 0.8
STEPS = 3
SIZE = 6
RTOL = 1e-4
ATOL = 1e-12


def _inputs():
    rng = np.random.default_rng(20230213)
    ws = rng.standard_normal((STEPS, SIZE)).astype(np.float32)
    gs = rng.standard_normal((STEPS, SIZE)).astype(np.float32)
    return ws, gs


_WS, _GS = _inputs()


def _apply(name: str, args):
    op = OPS[name]
    if op.kind == "constant":
        return np.full((len(SCALES), 1), np.float32(op.np_fn()), np.float32)
    if op.kind == "elementwise":
        return np.asarray(op.np_fn(*args), np.float32)
    terms = [np.broadcast_to(np.asarray(t), (len(SCALES), SIZE)) for t in op.np_terms(*args)]
    # one leaf: tree sums and leaf sums coincide
    sums = tuple(np.sum(t, axis=1, keepdims=True, dtype=np.float32) for t in terms)
    out = np.asarray(op.np_finish(sums, *args), np.float32)
    if op.kind in ("leaf_reduce", "tree_scale"):
        out = np.broadcast_to(out, (len(SCALES), SIZE))
    return out


def probe_updates(program: Program) -> np.ndarray:
    """Updates of ``program`` for each scale and step: shape ``(STEPS, len(SCALES), SIZE)``."""
    k = len(SCALES)
    lr = (BASE_LR * np.asarray(SCALES, np.float32)).reshape(k, 1).astype(np.float32)
    states = {s: np.zeros((k, SIZE), np.float32) for s in program.states}
    out = np.zeros((STEPS, k, SIZE), np.float32)
    with np.errstate(all="ignore"):
        for t in range(STEPS):
            env = dict(states)
            env["w"] = np.broadcast_to(_WS[t], (k, SIZE))
            env["g"] = np.broadcast_to(_GS[t], (k, SIZE))
            env["lr"] = lr
            for st in program.statements:
                args = [env[a] if isinstance(a, str) else np.float32(a) for a in st.args]
                env[st.target] = _apply(st.op, args)
            out[t] = np.broadcast_to(env[program.returns[0]], (k, SIZE))
            states = {s: np.broadcast_to(env[r], (k, SIZE)) for s, r in zip(program.states, program.returns[1:])}
    return out


def lr_nonlinearity(program: Program) -> str | None:
    """``None`` if update(s * lr) == s * update(lr) for every probed scale, else the reason."""
    with np.errstate(all="ignore"):
        return _compare(probe_updates(program).astype(np.float64))


def _compare(u: np.ndarray) -> str | None:
    base = u[:, 0]
    for i, scale in enumerate(SCALES[1:], start=1):
        want = scale * base
        got = u[:, i]
        fin_w, fin_g = np.isfinite(want), np.isfinite(got)
        if not np.array_equal(fin_w, fin_g):
            return f"the update is not linear in lr (non-finite at {scale} x lr only)"
        err = np.abs(got - want)[fin_w]
        ref = np.abs(want)[fin_w]
        if err.size and np.max(err) > RTOL * np.max(ref) + ATOL:
            rel = float(np.max(err) / (np.max(ref) + ATOL))
            return f"the update is not linear in lr (update({scale} x lr) differs from {scale} x update(lr) by {rel:.2g})"
    return None
