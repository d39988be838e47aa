"""Helpers shared by the family builders."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ..schedules import make_schedule
from ..task import Task, param_count


def lr_of(cfg: dict[str, Any]):
    """The learning-rate schedule of a task configuration.

    Args:
      cfg: a resolved task configuration.

    Returns:
      ``step -> multiplier`` (:func:`proxies.schedules.make_schedule`).
    """
    return make_schedule(cfg["lr_schedule"], cfg["steps"], warmup=cfg["warmup"], final=cfg["final_lr"],
                         peak=cfg["peak_lr"])


def sample_rows(n: int, batch_size: int):
    """A sampler of training batches: ``(data_key, step) -> int32 indices``.

    Args:
      n: the number of training rows.
      batch_size: rows per batch.

    Returns:
      The sampler: ``batch_size`` rows drawn uniformly from ``range(n)`` for each step.
    """
    def idx(data_key, step):
        return jax.random.randint(jax.random.fold_in(data_key, step), (batch_size,), 0, n, dtype=jnp.int32)
    return idx


def make_task(cfg: dict[str, Any], *, init, loss, batch, valid_loss, info: dict[str, Any]) -> Task:
    """The :class:`~proxies.task.Task` of ``cfg`` from its pieces.

    Args:
      cfg: a resolved task configuration.
      init: ``key -> params``.
      loss: ``(params, batch) -> training loss``.
      batch: ``(data_key, step) -> batch``.
      valid_loss: ``params -> validation loss``.
      info: the family's facts about the task (the description, parameter count and configuration are added).

    Returns:
      The task.
    """
    params = jax.eval_shape(init, jax.random.PRNGKey(0))
    full_info = {
        "description": cfg["description"],
        "param_count": param_count(params),
        **info,
        "config": dict(cfg),
    }
    return Task(name=cfg["name"], family=cfg["family"], steps=cfg["steps"], batch_size=cfg["batch_size"],
                init=init, loss=loss, batch=batch, valid_loss=valid_loss, lr=lr_of(cfg), info=full_info)
