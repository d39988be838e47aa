"""The ``Task`` record: one small, deterministic JAX training problem.

A task is a bundle of pure functions; it owns its data as device arrays closed over by ``batch``
and ``valid_loss`` so a whole training run can live inside one ``jax.lax.scan``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """A proxy training task.

    Attributes:
      name: registry name, e.g. ``"lm_tiny"``.
      family: ``"lm"``, ``"vision"`` or ``"synthetic"``.
      steps: number of optimizer steps in one training run.
      batch_size: examples (sequences for ``lm``) per step.
      init: ``key -> params``, a pytree (nested dicts) of float32 arrays.
      loss: ``(params, batch) -> scalar`` mean training loss, differentiable in params.
      batch: ``(data_key, step) -> batch``; pure, jittable, deterministic in its arguments.
      valid_loss: ``params -> scalar`` loss on a fixed held-out set (jittable).
      lr: ``step -> float32`` schedule multiplier (around 1.0) given to an optimizer program as
        its ``lr`` input at that step. Programs scale it themselves (AdamW: ``lr * 0.001``).
      info: JSON-able description (param count, data sizes, corpus sha256, resolved config).

    Tasks compare by identity (``eq=False``), so they can key jit caches.
    """

    name: str
    family: str
    steps: int
    batch_size: int
    init: Callable[[jax.Array], Any]
    loss: Callable[[Any, Any], jax.Array]
    batch: Callable[[jax.Array, jax.Array], Any]
    valid_loss: Callable[[Any], jax.Array]
    lr: Callable[[jax.Array], jax.Array]
    info: Mapping[str, Any]

    def __repr__(self) -> str:  # the default repr would print closures
        return (f"Task(name={self.name!r}, family={self.family!r}, steps={self.steps}, "
                f"batch_size={self.batch_size}, params={self.info.get('param_count')})")


def finite_or_inf(x: jax.Array) -> jax.Array:
    """``x`` where finite, ``+inf`` elsewhere (NaN and -inf included). Jittable.

    Args:
      x: losses.

    Returns:
      float32 losses, non-finite ones ``inf``.

    >>> finite_or_inf(jnp.array([1.0, jnp.nan, -jnp.inf])).tolist()
    [1.0, inf, inf]
    """
    x = jnp.asarray(x, jnp.float32)
    return jnp.where(jnp.isfinite(x), x, jnp.float32(jnp.inf))


def param_count(params: Any) -> int:
    """The number of parameters of a pytree.

    Args:
      params: a pytree of arrays (or of shapes, as ``jax.eval_shape`` gives).

    Returns:
      The total size of its leaves.

    >>> param_count({"w": jnp.zeros((3, 2)), "b": jnp.zeros(2)})
    8
    """
    return int(sum(int(p.size) for p in jax.tree_util.tree_leaves(params)))
