"""The compiled-once register machine: a program's step interpreted from its encoding.

All registers are flat float32 vectors over the raveled parameters (a scalar is broadcast), and
every function of :mod:`search_space.ops` is computed by :func:`symopt.evaluation.vector_ops.apply`.
Two ways to dispatch a statement, one step function (:func:`make_step`):

* ``switch`` (:class:`Interpreted`, one opcode stream per call): a ``lax.switch`` on the
  statement's opcode, which must not be batched; ``vmap`` runs over seeds, lr scales and the
  constants of programs that share the stream, so each statement runs one branch.
* ``select`` (:mod:`symopt.evaluation.population`, a different program in every lane): every
  function of a fixed set is computed and the lane's own is selected, fused by XLA into one
  elementwise kernel per statement; the set is a space's functions, not the whole table.

Only statements below the loop bound ``n`` run (a ``fori_loop`` whose bound is never batched:
under ``vmap`` a batched bound would copy the whole register file at every statement).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from search_space.ops import OPCODES, OPS
from symopt.evaluation.encoding import FIRST_STMT, MAX_STATES, REG_G, REG_LR, REG_S0, REG_W, Encoded
from symopt.evaluation.training import make_run
from symopt.evaluation.vector_ops import F32, Layout, apply

BY_CODE = sorted(OPCODES, key=OPCODES.get)    # function names in opcode order


def _switch(layout: Layout):
    branches = [lambda a, op=OPS[name]: apply(op, a, layout) for name in BY_CODE] + [lambda a: a[0]]  # + NOP

    def dispatch(code, args, present):
        return jax.lax.switch(code, branches, args)
    return dispatch


CHEAP = frozenset({"add", "sub", "mul", "div", "interp", "abs", "sign", "negative", "invert", "reciprocal",
                   "square", "cube", "max", "min", "clip", "get_pi", "get_e", "get_eps"})
GROUPS = ("cheap", "transcendental", "reduction")   # the functions a select computes, by cost


def function_group(name: str) -> int:
    """The index in :data:`GROUPS` of function ``name`` (a few flops; a transcendental; a reduction).

    Args:
      name: a function of :mod:`search_space.ops`.

    Returns:
      0 (``cheap``), 1 (``transcendental``: any other elementwise or constant function) or 2
      (``reduction``: any other kind).

    >>> [GROUPS[function_group(f)] for f in ("interp", "tanh", "global_norm")]
    ['cheap', 'transcendental', 'reduction']
    """
    if OPS[name].kind not in ("elementwise", "constant"):
        return 2
    return 0 if name in CHEAP else 1


def _select(layout: Layout, functions: tuple[str, ...], gated: bool):
    tables = [[(OPCODES[f], OPS[f]) for f in functions if function_group(f) == g] for g in range(len(GROUPS))]

    def select(table, code, args, value):
        for c, op in table:
            value = jnp.where(code == c, apply(op, args, layout), value)
        return value

    def dispatch(code, args, present):
        value = select(tables[0], code, args, args[0])   # NOP and functions outside the set: never selected
        for g in range(1, len(GROUPS)):
            if not tables[g]:
                continue
            if gated:     # computed only when some lane of the call needs the group at this statement
                value = jax.lax.cond(present[g], lambda v, t=tables[g]: select(t, code, args, v), lambda v: v, value)
            else:
                value = select(tables[g], code, args, value)
        return value
    return dispatch


def make_step(layout: Layout, functions: tuple[str, ...] | None = None, gated: bool = False):
    """The optimizer step of an encoded program on flat vectors.

    Args:
      layout: the parameter layout.
      functions: ``None`` to dispatch with a ``lax.switch`` over the whole table (the opcode
        stream must not be batched), or the function names a ``select`` computes (the opcode
        stream may differ per lane; a program calling any other function must not be given).
      gated: with ``functions``, compute the transcendental and the reduction groups of a
        statement only where ``present`` says a lane needs them (a ``lax.cond`` per group).

    Returns:
      ``step(w, g, states, lr, prog, n, present=None) -> (update, states)``: ``prog`` an
      :class:`Encoded`, ``n`` the (unbatched) number of slots to run, ``present`` (unbatched, with
      ``gated``) bool ``[slots, len(GROUPS)]``: which groups some lane calls at each slot.
    """
    dispatch = _switch(layout) if functions is None else _select(layout, tuple(functions), gated)

    def step(w, g, states, lr, prog: Encoded, n, present=None):
        length = prog.opcode.shape[0]
        lr_vec = jnp.broadcast_to(jnp.asarray(lr, F32), w.shape)
        regs = jnp.concatenate([jnp.stack([w, g, *states, lr_vec]), jnp.zeros((length,) + w.shape, F32)])

        def body(i, regs):
            args = tuple(jnp.where(prog.is_const[i, k], prog.arg_const[i, k], regs[prog.arg_reg[i, k]])
                         for k in range(3))
            row = None if present is None else present[i]
            return regs.at[FIRST_STMT + i].set(dispatch(prog.opcode[i], args, row))

        regs = jax.lax.fori_loop(0, n, body, regs)
        return regs[prog.out[0]], tuple(regs[prog.out[1 + j]] for j in range(MAX_STATES))

    return step


def task_layout(task) -> Layout:
    """The layout of ``task``'s parameters (traced abstractly: nothing is initialised).

    Args:
      task: the proxy task.

    Returns:
      Its :class:`~symopt.evaluation.vector_ops.Layout`.
    """
    return Layout.of(jax.eval_shape(task.init, jax.random.PRNGKey(0)))


def make_lanes(task, functions: tuple[str, ...] | None, prog_axes: Encoded, gated: bool = False):
    """Training runs of encoded programs on ``task``, every (program, scale, seed) a lane of one call.

    Args:
      task: the proxy task.
      functions: as :func:`make_step`.
      prog_axes: which fields of ``prog`` carry the leading program axis (``0``) and which are
        shared by the call's programs (``None``).
      gated: as :func:`make_step`.

    Returns:
      ``lanes(prog, n, seeds[S], lr_scales[K], present=None) -> losses[P, K, S]`` (traceable, not jitted).
    """
    run = make_run(task, make_step(task_layout(task), functions, gated), MAX_STATES, flat=True)

    def lanes(prog, n, seeds, lr_scales, present=None):
        def one(prog, scale, seed):
            return run(seed, scale, prog, n, present)
        over_seeds = jax.vmap(one, in_axes=(None, None, 0))
        over_scales = jax.vmap(over_seeds, in_axes=(None, 0, None))
        return jax.vmap(over_scales, in_axes=(prog_axes, None, None))(prog, lr_scales, seeds)

    return lanes


class Interpreted:
    """The per-program interpreter for one task: ``grid_losses(encodings, seeds, lr_scales)``.

    ``encodings`` share one opcode stream (same opcodes, registers and outputs; constants may
    differ), padded to ``group`` rows, so one call trains ``group x len(lr_scales) x len(seeds)``
    runs as lanes of one vmapped computation with one branch per statement.

    Args:
      task: the proxy task.
      group: the programs (rows) of one call.
    """

    name = "interpreted"

    def __init__(self, task, group: int = 1):
        self.task, self.group = task, group
        axes = Encoded(None, None, 0, None, None, None)      # only the constants differ between rows
        lanes = make_lanes(task, None, axes)
        self.jitted = jax.jit(lambda prog, seeds, scales: lanes(prog, prog.n, seeds, scales))

    def _args(self, encodings: list[Encoded], seeds, lr_scales) -> tuple:
        if not 0 < len(encodings) <= self.group:
            raise ValueError(f"expected 1..{self.group} encodings, got {len(encodings)}")
        consts = [x.arg_const for x in encodings]
        consts += [consts[0]] * (self.group - len(consts))
        prog = jax.tree_util.tree_map(jnp.asarray, encodings[0]._replace(arg_const=np.stack(consts)))
        return (prog, jnp.asarray(np.asarray(seeds, np.int32)), jnp.asarray(np.asarray(lr_scales, np.float32)))

    def grid_losses(self, encodings: list[Encoded], seeds, lr_scales=(1.0,)) -> np.ndarray:
        """Validation losses of programs that share one opcode stream, at every lr scale and seed.

        Args:
          encodings: 1 to ``group`` encodings of one opcode stream (equal
            :func:`~symopt.evaluation.encoding.opcode_signature`).
          seeds: the seeds.
          lr_scales: the lr scales.

        Returns:
          float32 ``[len(encodings), len(lr_scales), len(seeds)]`` (``inf``: diverged).

        Raises:
          ValueError: no encodings, or more than ``group``.
        """
        return np.asarray(self.jitted(*self._args(encodings, seeds, lr_scales)))[:len(encodings)]

    def losses(self, encodings: list[Encoded], seeds, lr_scale: float = 1.0) -> np.ndarray:
        """Validation losses at one lr scale (see :meth:`grid_losses`).

        Args:
          encodings: 1 to ``group`` encodings of one opcode stream.
          seeds: the seeds.
          lr_scale: the lr scale.

        Returns:
          float32 ``[len(encodings), len(seeds)]`` (``inf``: diverged).
        """
        return self.grid_losses(encodings, seeds, (lr_scale,))[:, 0]

    def timed_losses(self, encodings: list[Encoded], seeds, lr_scales=(1.0,)) -> tuple[np.ndarray, float]:
        """:meth:`grid_losses` compiled ahead of time, and the seconds of the run alone.

        The compile also fills JAX's disk cache, which the next :meth:`grid_losses` call loads from.

        Args:
          encodings: 1 to ``group`` encodings of one opcode stream.
          seeds: the seeds.
          lr_scales: the lr scales.

        Returns:
          ``(losses as grid_losses returns them, seconds)``.
        """
        args = self._args(encodings, seeds, lr_scales)
        exe = self.jitted.lower(*args).compile()
        t0 = time.perf_counter()
        out = np.asarray(exe(*args))
        return out[:len(encodings)], time.perf_counter() - t0

    def compiles(self) -> int:
        """Compilations held by this interpreter (one per distinct padded length).

        Returns:
          Their number (0 where JAX does not expose it).
        """
        size = getattr(self.jitted, "_cache_size", None)     # a private JAX counter; absent: not counted
        return size() if size else 0


assert (REG_W, REG_G, REG_S0, REG_LR) == (0, 1, 2, 2 + MAX_STATES)  # the layout make_step stacks
