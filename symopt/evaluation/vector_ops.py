"""The function table on flat parameter vectors: what both interpreters compute per statement.

A register is one float32 vector over the raveled parameters (``[..., D]``; a scalar is broadcast).
:class:`Layout` knows where each parameter tensor (leaf) lies in that vector, so the tree-wide
reductions sum over the last axis and the per-leaf ones over static slices (the same order as
the reference executor, which sums leaf by leaf; no scatter, deterministic on every device).
:func:`apply` evaluates one function of :data:`search_space.ops.OPS` on such vectors through the
language's one dispatcher (:mod:`search_space.dispatch`).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from search_space import dispatch
from search_space.ops import Op

F32 = jnp.float32


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where each parameter leaf lies in the raveled vector: ``bounds[j] = (start, stop)``.

    >>> lay = Layout.of({"a": jnp.zeros((2, 2)), "b": jnp.zeros(3)})
    >>> lay.bounds, lay.size
    (((0, 4), (4, 7)), 7)
    >>> lay.leaf_sum(jnp.arange(7.0)).tolist()
    [6.0, 6.0, 6.0, 6.0, 15.0, 15.0, 15.0]
    """

    bounds: tuple[tuple[int, int], ...]
    size: int

    @classmethod
    def of(cls, params) -> Layout:
        """The layout of ``params`` (a pytree of arrays or of ``jax.ShapeDtypeStruct``).

        Args:
          params: the parameter tree, in ``ravel_pytree`` leaf order.

        Returns:
          Its :class:`Layout`.
        """
        bounds, start = [], 0
        for leaf in jax.tree_util.tree_leaves(params):
            size = 1
            for d in leaf.shape:
                size *= int(d)
            bounds.append((start, start + size))
            start += size
        return cls(tuple(bounds), start)

    def tree_sum(self, t: jnp.ndarray) -> jnp.ndarray:
        """The sum over the whole tree, keeping a last axis of 1 (broadcasts against a register).

        Args:
          t: a register, ``[..., D]``.

        Returns:
          ``[..., 1]``.
        """
        return jnp.sum(t, axis=-1, keepdims=True)

    def leaf_sum(self, t: jnp.ndarray) -> jnp.ndarray:
        """Each leaf's sum, broadcast back over that leaf's elements.

        Args:
          t: a register, ``[..., D]``.

        Returns:
          ``[..., D]``.
        """
        parts = [jnp.broadcast_to(jnp.sum(t[..., a:b], axis=-1, keepdims=True), t.shape[:-1] + (b - a,))
                 for a, b in self.bounds]
        return jnp.concatenate(parts, axis=-1) if parts else t


def apply(op: Op, args: tuple, layout: Layout) -> jnp.ndarray:
    """``op`` on registers: a float32 vector shaped like ``args[0]``.

    Args:
      op: a function of the table.
      args: three registers (the unused ones are ignored), each ``[..., D]``.
      layout: the parameter layout (for the reductions).

    Returns:
      The result, broadcast to ``args[0].shape``.

    >>> from search_space.ops import OPS
    >>> lay = Layout(((0, 2),), 2)
    >>> x = jnp.array([3.0, 4.0])
    >>> apply(OPS["global_norm"], (x, x, x), lay).tolist(), apply(OPS["add"], (x, x, x), lay).tolist()
    ([5.0, 5.0], [6.0, 8.0])
    """
    value = dispatch.apply(op, args[: op.arity], jnp, layout.tree_sum, layout.leaf_sum)
    return jnp.broadcast_to(value, args[0].shape).astype(F32)
