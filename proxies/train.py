"""Reference training loops with optax (the "hand-written jitted optax loop").

One run: ``init_key, data_key = jax.random.split(jax.random.PRNGKey(seed))``;
``params = task.init(init_key)``; then ``task.steps`` steps inside one ``jax.lax.scan``:

    batch = task.batch(data_key, step)
    loss, grads = value_and_grad(task.loss)(params, batch)
    updates, state = tx.update(grads, state, params)
    updates = updates * task.lr(step) * lr_scale      # the task's schedule multiplier
    params = optax.apply_updates(params, updates)

``tx`` already contains its own learning rate (e.g. ``optax.adamw(1e-3)``); the task's ``lr(step)``
schedule (a multiplier around 1.0) and ``lr_scale`` multiply its updates, so lr tuning is a
sweep over ``lr_scale`` with one compiled function. The result is the validation loss of the
final parameters; a non-finite result (divergence, NaN optimizer) is returned as ``+inf``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .task import Task, finite_or_inf


def _run_fn(task: Task, tx: optax.GradientTransformation):
    grad_fn = jax.value_and_grad(task.loss)

    def run(seed, lr_scale):
        init_key, data_key = jax.random.split(jax.random.PRNGKey(seed))
        params = task.init(init_key)
        state = tx.init(params)
        lr_scale = jnp.asarray(lr_scale, jnp.float32)

        def step(carry, i):
            params, state = carry
            loss, grads = grad_fn(params, task.batch(data_key, i))
            updates, state = tx.update(grads, state, params)
            scale = task.lr(i) * lr_scale
            updates = jax.tree_util.tree_map(lambda u: (u * scale).astype(u.dtype), updates)
            return (optax.apply_updates(params, updates), state), loss

        (params, _), losses = jax.lax.scan(step, (params, state), jnp.arange(task.steps, dtype=jnp.int32))
        return finite_or_inf(task.valid_loss(params)), finite_or_inf(losses)

    return run


def make_optax_trainer(task: Task, tx: optax.GradientTransformation) -> Callable[[Any, Any], jax.Array]:
    """A jitted ``(seed, lr_scale) -> final validation loss`` for ``task`` trained with ``tx``.

    Compiled once on first call; ``seed`` (int32 scalar) and ``lr_scale`` (float32 scalar) are
    traced, so new seeds and learning rates reuse the compiled code.

    Args:
      task: the task.
      tx: the optimizer; its updates are multiplied by the task's schedule and ``lr_scale``.

    Returns:
      ``trainer(seed, lr_scale=1.0)``; ``trainer.jitted`` is the underlying ``jax.jit`` function.

    >>> from proxies import get_task
    >>> f = make_optax_trainer(get_task("synth_linear_tiny"), optax.adam(1e-2))
    >>> bool(f(jnp.int32(0), 1.0) < 1.0)
    True
    """
    run = _run_fn(task, tx)
    jitted = jax.jit(lambda seed, lr_scale: run(seed, lr_scale)[0])

    def trainer(seed, lr_scale=1.0):
        # Fix dtypes so Python ints/floats never trigger a recompilation.
        return jitted(jnp.asarray(seed, jnp.int32), jnp.asarray(lr_scale, jnp.float32))

    trainer.jitted = jitted  # the underlying jax.jit function (e.g. for ``.lower`` / ``_cache_size``)
    return trainer


_CACHE: dict[tuple[int, int], tuple[Task, Any, Callable]] = {}
_CACHE_MAX = 32


def _curve_fn(task: Task, tx: optax.GradientTransformation):
    key = (id(task), id(tx))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is task and hit[1] is tx:
        return hit[2]
    fn = jax.jit(_run_fn(task, tx))
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (task, tx, fn)  # holding task/tx keeps the ids valid
    return fn


def train_optax(task: Task, tx: optax.GradientTransformation, seed: int, lr_scale: float = 1.0) -> float:
    """Train ``task`` with ``tx`` from ``seed``.

    Repeated calls with the same ``(task, tx)`` objects reuse one compiled function.

    Args:
      task: the task.
      tx: the optimizer.
      seed: the training seed (initialisation and batches).
      lr_scale: multiplies the updates.

    Returns:
      The final validation loss (``inf`` if non-finite).

    >>> from proxies import get_task
    >>> train_optax(get_task("synth_linear_tiny"), optax.adam(1e-2), seed=0) < 1.0
    True
    """
    v, _ = _curve_fn(task, tx)(jnp.int32(seed), jnp.float32(lr_scale))
    return float(v)


def train_optax_curve(task: Task, tx: optax.GradientTransformation, seed: int, lr_scale: float = 1.0,
                      every: int = 10) -> tuple[np.ndarray, np.ndarray, float]:
    """Like :func:`train_optax`, with the training-loss curve.

    Args:
      task: the task.
      tx: the optimizer.
      seed: the training seed.
      lr_scale: multiplies the updates.
      every: the curve's step spacing (>= 1).

    Returns:
      ``(steps, train_loss, valid_loss)``: ``steps`` = 0, every, 2*every, ... (< task.steps);
      ``train_loss[i]`` is the minibatch loss at ``steps[i]`` (before that step's update), non-finite
      values as ``inf``; the final validation loss.
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    v, losses = _curve_fn(task, tx)(jnp.int32(seed), jnp.float32(lr_scale))
    steps = np.arange(0, task.steps, every)
    return steps, np.asarray(losses)[steps], float(v)
