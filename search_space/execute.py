"""Direct (un-interpreted) execution of a program on JAX pytrees.

This is the reference semantics of the language: the compiled interpreter,
the exporters and the simplifier's checks are all compared against it.
It traces one Python call per statement, so under ``jax.jit`` each distinct
program compiles to its own XLA computation (fine for verification and for
long stages; the interpreter is the fast path for cheap stages).

Values are either a *scalar* (a 0-d array, the same for the whole parameter
tree) or a *tensor* (a list of leaves shaped like the parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from search_space import dispatch
from search_space.leafwise import LeafwiseModule, Leaves
from search_space.ops import OPS
from search_space.program import Program

Tensor = list  # list of leaves
DTYPE = jnp.float32


def _is_tensor(x) -> bool:
    return isinstance(x, list)


_LEAFWISE_JNP = LeafwiseModule(jnp)


def _per_leaf(value, n_leaves: int) -> list:
    return value.arrays if isinstance(value, Leaves) else [value] * n_leaves


def apply_op(name: str, args: Sequence, shapes: Sequence[tuple]):
    """Evaluate one function of the table (:data:`search_space.ops.OPS`) through :mod:`search_space.dispatch`.

    Tensors go to the function's implementation as :class:`~search_space.leafwise.Leaves` (each
    function applied leaf by leaf); a term is summed leaf by leaf after being broadcast over the
    leaf, and over the tree as the sum of those sums.

    Args:
      name: the function's name.
      args: its arguments, each a scalar (0-d array) or a tensor (a list of leaves).
      shapes: the shapes of the parameter leaves (a tensor result is broadcast to them).

    Returns:
      A scalar or a tensor (list of float32 leaves), as the function's kind says.

    >>> import jax.numpy as jnp
    >>> apply_op("add", [[jnp.ones(2)], jnp.float32(2.0)], [(2,)])[0].tolist()
    [3.0, 3.0]
    """
    op = OPS[name]
    n = len(shapes)

    def leaf_sums(t) -> list:
        return [jnp.sum(jnp.broadcast_to(v, s)) for v, s in zip(_per_leaf(t, n), shapes)]

    value = dispatch.apply(op, [Leaves(a) if _is_tensor(a) else a for a in args], _LEAFWISE_JNP,
                           tree_sum=lambda t: sum(leaf_sums(t)), leaf_sum=lambda t: Leaves(leaf_sums(t)))
    if op.kind in ("constant", "reduce"):
        return jnp.asarray(value, DTYPE)
    if op.kind == "elementwise" and not isinstance(value, Leaves):
        return value
    return [jnp.broadcast_to(v, s).astype(DTYPE) for v, s in zip(_per_leaf(value, n), shapes)]


def _as_tensor(value, shapes) -> Tensor:
    if _is_tensor(value):
        return value
    return [jnp.broadcast_to(value, s).astype(DTYPE) for s in shapes]


def step(program: Program, w: Any, g: Any, states: Sequence[Any], lr) -> tuple[Any, tuple]:
    """One optimizer step of ``program`` (the reference semantics of the language).

    Args:
      program: the optimizer program.
      w: the parameters (a pytree).
      g: the gradients (a pytree shaped like ``w``).
      states: one pytree per program state (zeros at the first step: :func:`init_states`).
      lr: the learning rate input.

    Returns:
      ``(update, new_states)`` as pytrees shaped like ``w``; the caller applies ``w - update``.
      A scalar result returned as the update or a state is broadcast over the tree.

    >>> import jax.numpy as jnp
    >>> from search_space.seeds import load_seed
    >>> sgd = load_seed("sgd")
    >>> w = {"a": jnp.ones(2)}
    >>> update, states = step(sgd, w, {"a": jnp.full(2, 2.0)}, init_states(sgd, w), 0.5)
    >>> [round(x, 6) for x in update["a"].tolist()]            # g * lr * 0.01
    [0.01, 0.01]
    """
    leaves, treedef = jax.tree_util.tree_flatten(w)
    shapes = [jnp.shape(x) for x in leaves]
    env: dict[str, Any] = {
        "w": [jnp.asarray(x, DTYPE) for x in leaves],
        "g": [jnp.asarray(x, DTYPE) for x in jax.tree_util.tree_leaves(g)],
        "lr": jnp.asarray(lr, DTYPE),
    }
    if len(states) != len(program.states):
        raise ValueError(f"program has {len(program.states)} states, got {len(states)}")
    for name, st in zip(program.states, states):
        env[name] = [jnp.asarray(x, DTYPE) for x in jax.tree_util.tree_leaves(st)]
    for s in program.statements:
        args = [env[a] if isinstance(a, str) else jnp.asarray(a, DTYPE) for a in s.args]
        env[s.target] = apply_op(s.op, args, shapes)
    outs = [jax.tree_util.tree_unflatten(treedef, _as_tensor(env[r], shapes)) for r in program.returns]
    return outs[0], tuple(outs[1:])


def init_states(program: Program, w: Any) -> tuple:
    """Zero states shaped like ``w``, one per state of ``program`` (the states of the first step).

    Args:
      program: the optimizer program.
      w: the parameters (a pytree).

    Returns:
      A tuple of ``len(program.states)`` float32 pytrees of zeros shaped like ``w``.
    """
    return tuple(jax.tree_util.tree_map(lambda x: jnp.zeros(jnp.shape(x), DTYPE), w) for _ in program.states)


def run(program: Program, w: Any, grads: Sequence[Any], lrs: Sequence[float]) -> tuple[Any, tuple]:
    """Apply ``program`` for ``len(grads)`` steps from zero states.

    Args:
      program: the optimizer program.
      w: the initial parameters.
      grads: the gradient of each step (pytrees shaped like ``w``).
      lrs: the learning rate of each step.

    Returns:
      The final ``(w, states)``.
    """
    states = init_states(program, w)
    for g, lr in zip(grads, lrs):
        update, states = step(program, w, g, states, lr)
        w = jax.tree_util.tree_map(lambda a, u: a - u, w, update)
    return w, states
