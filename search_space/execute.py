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

from search_space.ops import OPS
from search_space.program import Program

Tensor = list  # list of leaves
DTYPE = jnp.float32


def _is_tensor(x) -> bool:
    return isinstance(x, list)


def _leafwise(fn, args: Sequence, n_leaves: int):
    """Apply ``fn`` leaf by leaf; scalar args broadcast."""
    if not any(_is_tensor(a) for a in args):
        return fn(*args)
    return [fn(*(a[i] if _is_tensor(a) else a for a in args)) for i in range(n_leaves)]


def apply_op(name: str, args: Sequence, shapes: Sequence[tuple]):
    """Evaluate one function of the table (:data:`search_space.ops.OPS`).

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
    if op.kind == "constant":
        return jnp.asarray(op.fn(), DTYPE)
    if op.kind == "elementwise":
        out = _leafwise(op.fn, args, n)
        if _is_tensor(out):
            out = [jnp.broadcast_to(o, s).astype(DTYPE) for o, s in zip(out, shapes)]
        return out
    # non-elementwise: terms summed over the tree (reduce/tree_scale) or per leaf (leaf_reduce)
    leaf_terms = []
    for i, s in enumerate(shapes):
        leaf_args = [a[i] if _is_tensor(a) else a for a in args]
        leaf_terms.append(tuple(jnp.broadcast_to(t, s) for t in op.terms(*leaf_args)))
    if op.kind == "leaf_reduce":
        out = []
        for i, s in enumerate(shapes):
            leaf_args = [a[i] if _is_tensor(a) else a for a in args]
            sums = tuple(jnp.sum(t) for t in leaf_terms[i])
            out.append(jnp.broadcast_to(op.finish(sums, *leaf_args), s).astype(DTYPE))
        return out
    sums = tuple(sum(jnp.sum(t[k]) for t in leaf_terms) for k in range(len(leaf_terms[0]))) if n else ()
    if op.kind == "reduce":
        return jnp.asarray(op.finish(sums, *args), DTYPE)
    if op.kind == "tree_scale":
        out = []
        for i, s in enumerate(shapes):
            leaf_args = [a[i] if _is_tensor(a) else a for a in args]
            out.append(jnp.broadcast_to(op.finish(sums, *leaf_args), s).astype(DTYPE))
        return out
    raise ValueError(f"unknown op kind {op.kind!r}")


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
    """Zero states shaped like ``w``, one per state of ``program`` (the states of the first step)."""
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
