"""The compiled-once register machine: a program's step interpreted from its encoding.

All registers are flat float32 vectors over the raveled parameters (a scalar
is broadcast), so every function of :mod:`search_space.ops` is one branch of a
``lax.switch``: elementwise functions apply directly, ``reduce`` sums over the
vector, ``leaf_reduce`` sums per leaf (``segment_sum`` by leaf id) and
broadcasts back, ``tree_scale`` scales by a tree-wide sum.  Only the ``n``
live statements are dispatched (a ``fori_loop`` with a traced bound).

The switch index is never batched: ``vmap`` runs over seeds (and over the
constants of programs that share an opcode sequence), so each statement runs
one branch, not all of them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from search_space.ops import OPCODES, OPS
from symopt.evaluation.encoding import FIRST_STMT, MAX_STATES, REG_G, REG_LR, REG_S0, REG_W


def _branches(segments: jnp.ndarray, n_leaves: int):
    """One function ``(a0, a1, a2) -> vector`` per opcode, in ``OPCODES`` order (plus a final NOP)."""

    def make(op):
        k = op.arity
        if op.kind == "constant":
            return lambda a0, a1, a2: jnp.broadcast_to(op.fn(), a0.shape).astype(jnp.float32)
        if op.kind == "elementwise":
            return lambda a0, a1, a2: op.fn(*(a0, a1, a2)[:k]).astype(jnp.float32)
        if op.kind == "reduce":
            def f(a0, a1, a2):
                args = (a0, a1, a2)[:k]
                sums = tuple(jnp.sum(t) for t in op.terms(*args))
                return jnp.broadcast_to(op.finish(sums, *args), a0.shape).astype(jnp.float32)
            return f
        if op.kind == "leaf_reduce":
            def f(a0, a1, a2):
                args = (a0, a1, a2)[:k]
                sums = tuple(jax.ops.segment_sum(t, segments, num_segments=n_leaves)[segments]
                             for t in op.terms(*args))
                return op.finish(sums, *args).astype(jnp.float32)
            return f
        if op.kind == "tree_scale":
            def f(a0, a1, a2):
                args = (a0, a1, a2)[:k]
                sums = tuple(jnp.sum(t) for t in op.terms(*args))
                return op.finish(sums, *args).astype(jnp.float32)
            return f
        raise ValueError(op.kind)

    ops_in_order = sorted(OPCODES, key=OPCODES.get)
    return [make(OPS[name]) for name in ops_in_order] + [lambda a0, a1, a2: a0]


def leaf_segments(params) -> tuple[jnp.ndarray, int]:
    """Leaf id of every element of the raveled ``params``."""
    leaves = jax.tree_util.tree_leaves(params)
    ids = np.concatenate([np.full(int(np.size(x)), i, np.int32) for i, x in enumerate(leaves)]) \
        if leaves else np.zeros(0, np.int32)
    return jnp.asarray(ids), len(leaves)


def make_step(segments: jnp.ndarray, n_leaves: int):
    """``step(w, g, states, lr, enc_fields) -> (update, states)`` on flat vectors."""
    branches = _branches(segments, n_leaves)

    def step(w, g, states, lr, opcode, arg_reg, arg_const, is_const, out, n):
        length = opcode.shape[0]
        lr_vec = jnp.broadcast_to(jnp.asarray(lr, jnp.float32), w.shape)
        regs = jnp.concatenate([jnp.stack([w, g, *states, lr_vec]),
                                jnp.zeros((length,) + w.shape, jnp.float32)])

        def body(i, regs):
            def arg(k):
                return jnp.where(is_const[i, k], arg_const[i, k], regs[arg_reg[i, k]])
            value = jax.lax.switch(opcode[i], branches, arg(0), arg(1), arg(2))
            return regs.at[FIRST_STMT + i].set(value)

        regs = jax.lax.fori_loop(0, n, body, regs)
        return regs[out[0]], tuple(regs[out[1 + j]] for j in range(MAX_STATES))

    return step


assert (REG_W, REG_G, REG_S0, REG_LR) == (0, 1, 2, 2 + MAX_STATES)  # the layout make_step stacks
