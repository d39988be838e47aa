"""The ``auto`` evaluation strategy: per task, interpreted or compiled, whichever costs less here.

:func:`choose` recalls the answer this machine stored for the task (:mod:`symopt.evaluation.strategy_cache`)
or measures it (:func:`measure`) and stores it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from search_space.program import Program
from symopt.evaluation import strategy_cache
from symopt.evaluation.encoding import encode

AUTO_MEASURE_ABOVE_S = 1.0   # stages whose run is cheaper than this stay interpreted
AUTO_COMPILE_FRACTION = 0.25  # compile under this fraction of a run: compiled, interpreter not even built


def choose(task, seeds: tuple, scales: tuple, reference: Program, interpreter: Callable) -> dict:
    """The costs and ``"strategy"`` for ``task`` with ``seeds`` x ``scales`` lanes per call: this machine's
    stored measurement (marked ``"recalled": True``), or a fresh one (:func:`measure`), then stored."""
    n_lanes = len(seeds) * len(scales)
    known = strategy_cache.recall(task, n_lanes)
    if known is not None:
        return {**known, "recalled": True}
    cost = measure(task, seeds, scales, reference, interpreter)
    strategy_cache.remember(task, n_lanes, cost)
    return cost


def measure(task, seeds: tuple, scales: tuple, reference: Program, interpreter: Callable) -> dict:
    """Interpreted or compiled for this task, from costs measured here: ``{"strategy", costs...}``.

    1. compiled: compile and run a program never compiled before (``reference`` with one
       constant nudged at random, so neither JAX's memory nor its disk cache answers);
    2. a run under ``AUTO_MEASURE_ABOVE_S`` stays interpreted (a compile per program would cost
       as much as the run); a compile under ``AUTO_COMPILE_FRACTION`` of a run goes compiled
       without building the interpreter (tens of seconds for the transformers): with one program
       per call (the default group) the interpreter can save at most that compile per program;
    3. otherwise the interpreter (``interpreter(task)``) is built and times ``reference``, and the
       cheaper per program wins: compile + run, or interpreted run.  (The reference's losses always
       come from :meth:`Evaluator.reference_losses`, so every process divides by the same numbers.)
    """
    import jax.numpy as jnp

    from symopt.evaluation.compiled import compiled_trainer, enable_persistent_cache

    enable_persistent_cache()
    args = (jnp.asarray(seeds, jnp.int32), jnp.asarray(scales, jnp.float32))
    t0 = time.perf_counter()
    probe = compiled_trainer(task, _unseen_variant(reference), grid=True).lower(*args).compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.asarray(probe(*args))
    t_run = time.perf_counter() - t0
    cost = {"compile_s": t_compile, "compiled_run_s": t_run}
    if t_run < AUTO_MEASURE_ABOVE_S:
        choice = "interpreted"
    elif t_compile < AUTO_COMPILE_FRACTION * t_run:
        choice = "compiled"
    else:
        _, cost["interpreted_run_s"] = interpreter(task).timed_losses([encode(reference)], seeds, scales)
        choice = "compiled" if t_compile + t_run < cost["interpreted_run_s"] else "interpreted"
    cost["strategy"] = choice
    return cost


def _unseen_variant(program: Program) -> Program:
    """``program`` with its first constant nudged by a random factor (1 + <1e-3): code never compiled."""
    import dataclasses
    import os

    nudge = 1.0 + 1e-3 * int.from_bytes(os.urandom(4), "little") / 2 ** 32
    stmts = list(program.statements)
    for i, st in enumerate(stmts):
        for k, a in enumerate(st.args):
            if not isinstance(a, str):
                stmts[i] = st.replace(args=st.args[:k] + (a * nudge,) + st.args[k + 1:])
                return dataclasses.replace(program, statements=tuple(stmts))
    return program
