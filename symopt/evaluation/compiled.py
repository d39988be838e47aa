"""Strategies that turn (task, program) into a jitted ``(seeds, lr_scale) -> valid losses`` function.

* :class:`Interpreted` compiles ONE training loop per (task, padded length); programs are data.
* :func:`compiled_trainer` compiles the program itself (``search_space.execute.step`` inside the
  scan): one compilation per program, the fastest run; worth it on long stages.  It turns on
  JAX's persistent compilation cache in a user-owned directory (``$SYMOPT_CACHE_DIR`` or
  ``~/.cache/symopt/jax``) unless one is configured already.
"""

from __future__ import annotations

import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from filekit.machine_cache import cache_dir
from search_space import execute
from search_space.program import Program
from symopt.evaluation.encoding import MAX_STATES, Encoded
from symopt.evaluation.interpreter import leaf_segments, make_step
from symopt.evaluation.training import make_run


def enable_persistent_cache() -> None:
    """Use JAX's persistent compilation cache in a user-owned directory (from the first strategy measurement)."""
    if jax.config.jax_compilation_cache_dir:
        return
    path = cache_dir()
    os.makedirs(path, mode=0o700, exist_ok=True)   # private: compiled code is loaded from here
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def compiled_trainer(task, program: Program, curve_every: int = 0, grid: bool = False):
    """jitted ``(seeds int32[S], lr_scale) -> valid losses float32[S]`` for this program; with ``grid``,
    ``(seeds int32[S], lr_scales float32[K]) -> float32[K, S]``: every (scale, seed) a lane of one call."""
    def opt(w, g, states, lr):
        return execute.step(program, w, g, states, lr)

    run = make_run(task, opt, len(program.states), flat=False, curve_every=curve_every)
    over_seeds = jax.vmap(run, in_axes=(0, None))
    return jax.jit(jax.vmap(over_seeds, in_axes=(None, 0)) if grid else over_seeds)


class Interpreted:
    """The compiled-once interpreter for one task: ``losses(encodings, seeds, lr_scales)``.

    ``encodings`` is a list of programs' :class:`Encoded` sharing one opcode stream (same
    opcodes, registers and outputs; constants may differ), padded to ``group`` rows, so
    one call trains ``group x len(lr_scales) x len(seeds)`` runs as lanes of one vmapped
    computation with one branch per statement (the opcode stream is never batched).
    """

    def __init__(self, task, group: int = 1, curve_every: int = 0):
        self.task, self.group = task, group
        shapes = jax.eval_shape(task.init, jax.random.PRNGKey(0))
        segments, n_leaves = leaf_segments(shapes)
        step = make_step(segments, n_leaves)
        run = make_run(task, step, MAX_STATES, flat=True, curve_every=curve_every)

        def batch(opcode, arg_reg, is_const, out, n, arg_const, seeds, lr_scales):
            def one(const, scale, seed):
                return run(seed, scale, opcode, arg_reg, const, is_const, out, n)
            over_seeds = jax.vmap(one, in_axes=(None, None, 0))
            over_scales = jax.vmap(over_seeds, in_axes=(None, 0, None))
            return jax.vmap(over_scales, in_axes=(0, None, None))(arg_const, lr_scales, seeds)

        self.jitted = jax.jit(batch)

    def _args(self, encodings: list[Encoded], seeds, lr_scales) -> tuple:
        if not 0 < len(encodings) <= self.group:
            raise ValueError(f"expected 1..{self.group} encodings, got {len(encodings)}")
        e = encodings[0]
        consts = [x.arg_const for x in encodings]
        consts += [consts[0]] * (self.group - len(consts))
        return (jnp.asarray(e.opcode), jnp.asarray(e.arg_reg), jnp.asarray(e.is_const),
                jnp.asarray(e.out), jnp.asarray(e.n, jnp.int32), jnp.asarray(np.stack(consts)),
                jnp.asarray(np.asarray(seeds, np.int32)), jnp.asarray(np.asarray(lr_scales, np.float32)))

    def grid_losses(self, encodings: list[Encoded], seeds, lr_scales=(1.0,)) -> np.ndarray:
        """float32 [len(encodings), len(lr_scales), len(seeds)] validation losses (inf: diverged)."""
        return np.asarray(self.jitted(*self._args(encodings, seeds, lr_scales)))[:len(encodings)]

    def losses(self, encodings: list[Encoded], seeds, lr_scale: float = 1.0) -> np.ndarray:
        """float32 [len(encodings), len(seeds)] validation losses at one lr scale (inf: diverged)."""
        return self.grid_losses(encodings, seeds, (lr_scale,))[:, 0]

    def timed_losses(self, encodings: list[Encoded], seeds, lr_scales=(1.0,)) -> tuple[np.ndarray, float]:
        """``(grid losses, seconds of the run alone)``, compiled ahead of time (the compile also
        fills JAX's disk cache, which the next :meth:`grid_losses` call loads from)."""
        args = self._args(encodings, seeds, lr_scales)
        exe = self.jitted.lower(*args).compile()
        t0 = time.perf_counter()
        out = np.asarray(exe(*args))
        return out[:len(encodings)], time.perf_counter() - t0

    def compiles(self) -> int:
        return self.jitted._cache_size()
