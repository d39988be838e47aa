"""The ``auto`` evaluation strategy: per task, the strategy that costs least per program on this device.

:func:`choose` recalls the answer this machine stored for the task (:mod:`symopt.evaluation.strategy_cache`)
or measures it (:func:`measure`), stores it and logs it.  On a CPU the per-program paths compete
(``interpreted``, ``compiled``); on an accelerator ``population`` competes too (many programs per
call is what fills an accelerator; on CPU cores it is no faster than one program per call at the
batch sizes CPU workers get, see ``symopt bench evaluator --population``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from search_space.program import Program
from symopt.evaluation import strategy_cache
from symopt.evaluation.compiled import compiled_trainer, enable_persistent_cache
from symopt.evaluation.encoding import encode

log = logging.getLogger(__name__)

AUTO_MEASURE_ABOVE_S = 1.0   # stages whose run is cheaper than this stay interpreted (on a CPU)
AUTO_COMPILE_FRACTION = 0.25  # compile under this fraction of a run: compiled, interpreter not even built
POPULATION_PROBE = 64        # programs per call when the population path is measured


def choose(task, seeds: tuple, scales: tuple, reference: Program, implementation: Callable) -> dict:
    """The costs and ``"strategy"`` for ``task`` with ``seeds`` x ``scales`` lanes per program.

    Args:
      task: the proxy task.
      seeds: the stage's seeds.
      scales: the lr scales.
      reference: the reference program (timed as a typical program).
      implementation: ``implementation(task, name)``, the evaluator's strategy of that name.

    Returns:
      This machine's stored measurement (marked ``"recalled": True``), or a fresh one, then stored.
    """
    n_lanes = len(seeds) * len(scales)
    known = strategy_cache.recall(task, n_lanes)
    if known is not None:
        return {**known, "recalled": True}
    cost = measure(task, seeds, scales, reference, implementation)
    strategy_cache.remember(task, n_lanes, cost)
    log.info("evaluation strategy for %s on %s: %s (%s)", task.name, cost["device"], cost["strategy"],
             ", ".join(f"{k} {v:.3g}" for k, v in cost.items() if k.endswith("_s")))
    return cost


def measure(task, seeds: tuple, scales: tuple, reference: Program, implementation: Callable) -> dict:
    """The cheapest strategy for ``task`` on this device, from costs measured here.

    1. compiled: compile and run a program never compiled before (``reference`` with one
       constant nudged at random, so neither JAX's memory nor its disk cache answers);
    2. on a CPU, a run under ``AUTO_MEASURE_ABOVE_S`` stays interpreted (a compile per program would
       cost as much as the run), and a compile under ``AUTO_COMPILE_FRACTION`` of a run goes
       compiled without building the interpreter (tens of seconds for the transformers);
    3. otherwise the interpreter times ``reference``, and on an accelerator the population path
       times ``POPULATION_PROBE`` programs in one call; the least time per program wins.

    Args:
      task: the proxy task.
      seeds: the stage's seeds.
      scales: the lr scales.
      reference: the reference program (timed as a typical program).
      implementation: ``implementation(task, name)``, the evaluator's strategy of that name.

    Returns:
      ``{"strategy", "device", "compile_s", "compiled_run_s", ...}``: the chosen strategy's name, the
      device (``platform:kind``) and the seconds measured (``*_s``).
    """
    enable_persistent_cache()
    device = jax.devices()[0]
    accelerator = device.platform != "cpu"
    args = (jnp.asarray(seeds, jnp.int32), jnp.asarray(scales, jnp.float32))
    t0 = time.perf_counter()
    probe = compiled_trainer(task, _unseen_variant(reference), grid=True).lower(*args).compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.asarray(probe(*args))
    t_run = time.perf_counter() - t0
    cost = {"compile_s": t_compile, "compiled_run_s": t_run, "device": f"{device.platform}:{device.device_kind}"}
    if not accelerator and t_run < AUTO_MEASURE_ABOVE_S:
        cost["strategy"] = "interpreted"
        return cost
    if not accelerator and t_compile < AUTO_COMPILE_FRACTION * t_run:
        cost["strategy"] = "compiled"
        return cost
    _, cost["interpreted_run_s"] = implementation(task, "interpreted").interpreter.timed_losses(
        [encode(reference)], seeds, scales)
    per_program = {"compiled": t_compile + t_run, "interpreted": cost["interpreted_run_s"]}
    if accelerator:
        cost["population_run_s"] = _population_seconds(implementation(task, "population"), reference, seeds, scales)
        per_program["population"] = cost["population_run_s"] / POPULATION_PROBE
    cost["strategy"] = min(per_program, key=per_program.get)
    return cost


def _population_seconds(population, reference: Program, seeds, scales) -> float:
    """Seconds of one population call of ``POPULATION_PROBE`` programs (compiled first, not timed)."""
    programs = [_unseen_variant(reference) for _ in range(POPULATION_PROBE)]
    population.train(programs, seeds, scales)
    t0 = time.perf_counter()
    population.train(programs, seeds, scales)
    return time.perf_counter() - t0


def _unseen_variant(program: Program) -> Program:
    """``program`` with its first constant nudged by a random factor (1 + <1e-3): code never compiled."""
    nudge = 1.0 + 1e-3 * int.from_bytes(os.urandom(4), "little") / 2 ** 32
    stmts = list(program.statements)
    for i, st in enumerate(stmts):
        for k, a in enumerate(st.args):
            if not isinstance(a, str):
                stmts[i] = st.replace(args=st.args[:k] + (a * nudge,) + st.args[k + 1:])
                return dataclasses.replace(program, statements=tuple(stmts))
    return program
