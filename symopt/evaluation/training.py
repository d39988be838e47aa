"""One training run of a task with an optimizer step function, inside one ``lax.scan``.

Shared by every strategy (interpreted, compiled): the same seeds, batches,
lr schedule and divergence handling, so strategies differ only in how the
program's step is computed.  Protocol (as ``proxies.train``):

    init_key, data_key = split(PRNGKey(seed)); params = task.init(init_key)
    each step: g = grad(loss)(params, batch(data_key, i)); update, states = opt(w, g, states, lr(i) * lr_scale)
               w = w - update
    result: valid_loss(final params), +inf when not finite
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

DIVERGED = 1e30     # a training loss beyond this (or non-finite) stops updates: the run has diverged


def make_run(task, opt_step: Callable, n_states: int, flat: bool, curve_every: int = 0):
    """One training run of ``task`` with ``opt_step`` as the optimizer, as a traceable function.

    A run stops updating once its training loss is not finite or exceeds ``DIVERGED``; its validation
    loss is then ``inf``.

    Args:
      task: the proxy task (``init``, ``loss``, ``batch``, ``lr``, ``steps``, ``valid_loss``).
      opt_step: ``opt_step(w, g, states, lr, *opt_args) -> (update, states)``.
      n_states: the number of optimizer states (each starts at zeros shaped like ``w``).
      flat: ``w``, ``g`` and the states are one flat float32 vector; else pytrees shaped like the
        parameters.
      curve_every: when positive, also return the training loss every ``curve_every`` steps.

    Returns:
      ``run(seed, lr_scale, *opt_args) -> valid_loss`` (``(valid_loss, curve)`` with ``curve_every``).
    """

    def run(seed, lr_scale, *opt_args):
        init_key, data_key = jax.random.split(jax.random.PRNGKey(seed))
        params = task.init(init_key)
        if flat:
            w0, unravel = ravel_pytree(params)
            w0 = w0.astype(jnp.float32)
        else:
            w0 = jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float32), params)
            unravel = lambda w: w  # noqa: E731
        states0 = tuple(jax.tree_util.tree_map(jnp.zeros_like, w0) for _ in range(n_states))
        grad_fn = jax.value_and_grad(lambda w, b: task.loss(unravel(w), b))

        def step(carry, i):
            w, states, ok = carry
            loss, g = grad_fn(w, task.batch(data_key, i))
            update, new_states = opt_step(w, g, states, task.lr(i) * lr_scale, *opt_args)
            new_w = jax.tree_util.tree_map(lambda a, u: a - u, w, update)
            # once diverged, freeze (cheap on every device, keeps NaNs out of later steps)
            ok = ok & jnp.isfinite(loss) & (loss < DIVERGED)
            keep = lambda new, old: jax.tree_util.tree_map(lambda x, y: jnp.where(ok, x, y), new, old)  # noqa
            return (keep(new_w, w), keep(new_states, states), ok), loss

        (w, _, ok), losses = jax.lax.scan(step, (w0, states0, jnp.bool_(True)),
                                          jnp.arange(task.steps, dtype=jnp.int32))
        v = jnp.asarray(task.valid_loss(unravel(w)), jnp.float32)
        v = jnp.where(ok & jnp.isfinite(v), v, jnp.float32(jnp.inf))
        if curve_every:
            return v, losses[::curve_every]
        return v

    return run
