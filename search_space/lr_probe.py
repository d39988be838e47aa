"""Numeric probe: does a program's update scale linearly with its ``lr`` input?

The program is run for a few steps on fixed random ``w``/``g`` (one small
parameter tensor), states carried, with the learning rate ``lr``, ``0.5 lr``
and ``3 lr`` side by side as three rows of one batch.  The update of each
scaled run must equal the scaled update of the base run at every step
(relative tolerance ``RTOL``).  The runs are the rows of
:func:`search_space.rows.compile_rows` (NumPy, the same function
definitions as the JAX reference :mod:`search_space.execute`, which the
tests check the probe against on a fuzz corpus).  A probe costs tens of
microseconds, so the search loop affords it for every child.
"""

from __future__ import annotations

import numpy as np

from search_space.program import Program
from search_space.rows import compile_rows

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


def probe_updates(program: Program) -> np.ndarray:
    """The updates of ``program`` on the probe's fixed inputs, for each step and lr scale.

    Args:
      program: the program (dead statements are dropped by the row executor).

    Returns:
      float32 array of shape ``(STEPS, len(SCALES), SIZE)``.

    >>> from search_space.seeds import load_seed
    >>> probe_updates(load_seed("sgd")).shape
    (3, 3, 6)
    """
    k = len(SCALES)
    lr = (BASE_LR * np.asarray(SCALES, np.float32)).reshape(k, 1).astype(np.float32)
    step = compile_rows(program)
    states = tuple(np.zeros((k, SIZE), np.float32) for _ in program.states)
    out = np.zeros((STEPS, k, SIZE), np.float32)
    with np.errstate(all="ignore"):
        for t in range(STEPS):
            out[t], states = step(np.broadcast_to(_WS[t], (k, SIZE)), np.broadcast_to(_GS[t], (k, SIZE)), states, lr)
    return out


def lr_nonlinearity(program: Program) -> str | None:
    """Why ``program``'s update is not linear in ``lr``, or ``None`` when it is.

    Linear means update(s * lr) == s * update(lr) at every probed step for every probed scale s
    (relative tolerance ``RTOL``).

    Args:
      program: the program.

    Returns:
      A one-line reason, or None.

    >>> from search_space.seeds import load_seed
    >>> lr_nonlinearity(load_seed("lion")) is None
    True
    """
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
            return (f"the update is not linear in lr (update({scale} x lr) differs from {scale} x update(lr) "
                    f"by {rel:.2g})")
    return None
