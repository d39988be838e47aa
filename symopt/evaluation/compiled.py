"""The ``compiled`` strategy: the program's own step compiled into the training scan.

:func:`compiled_trainer` puts ``search_space.execute.step`` inside the training scan, one
compilation per program and the fastest run (worth it on long stages).

:func:`enable_persistent_cache` turns on JAX's persistent compilation cache in a user-owned
directory (``$SYMOPT_CACHE_DIR`` or ``~/.cache/symopt/jax``) unless one is configured already, so
workers and later runs load what was compiled once on the machine (the interpreters too).
"""

from __future__ import annotations

import os

import jax

from filekit.machine_cache import cache_dir
from search_space import execute
from search_space.program import Program
from symopt.evaluation.training import make_run


def enable_persistent_cache() -> None:
    """Use JAX's persistent compilation cache in a user-owned directory (from the first strategy measurement).

    A cache directory configured already (``jax_compilation_cache_dir``) is kept.
    """
    if jax.config.jax_compilation_cache_dir:
        return
    path = cache_dir()
    os.makedirs(path, mode=0o700, exist_ok=True)   # private: compiled code is loaded from here
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def compiled_trainer(task, program: Program, curve_every: int = 0, grid: bool = False):
    """The jitted training of ``task`` with ``program`` as the optimizer, vectorised over seeds.

    Args:
      task: the proxy task.
      program: the optimizer program.
      curve_every: when positive, also return the training loss every ``curve_every`` steps.
      grid: vectorise over lr scales as well (every (scale, seed) pair a lane of one call).

    Returns:
      ``(seeds int32[S], lr_scale) -> valid losses float32[S]``; with ``grid``,
      ``(seeds int32[S], lr_scales float32[K]) -> float32[K, S]`` (with ``curve_every``: a pair
      ``(losses, curves)``).
    """
    def opt(w, g, states, lr):
        return execute.step(program, w, g, states, lr)

    run = make_run(task, opt, len(program.states), flat=False, curve_every=curve_every)
    over_seeds = jax.vmap(run, in_axes=(0, None))
    return jax.jit(jax.vmap(over_seeds, in_axes=(None, 0)) if grid else over_seeds)
