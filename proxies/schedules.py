"""Learning-rate schedule multipliers (the ``lr`` input of an optimizer program).

All schedules map an int32 step to a float32 multiplier. ``peak`` is the value at the end of warmup
(1.0 by default) so the optimizer program's own constant (e.g. AdamW's ``lr * 0.001``) is the peak lr.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

SCHEDULES = ("constant", "cosine", "linear")


def make_schedule(kind: str, steps: int, warmup: float = 0.0, final: float = 0.1,
                  peak: float = 1.0) -> Callable[[jax.Array], jax.Array]:
    """Build ``step -> multiplier``.

    Args:
      kind: ``constant`` (``peak`` after warmup), ``cosine`` (cosine decay from ``peak`` to
        ``peak * final`` at the last step) or ``linear`` (linear decay to ``peak * final``).
      steps: the training run's length.
      warmup: fraction of ``steps`` (0 <= warmup < 1) of linear warmup from ``peak / n_warmup``.
      final: the last step's multiplier over ``peak`` (decaying schedules).
      peak: the multiplier after warmup.

    Returns:
      The schedule, jittable: an int32 step to a float32 multiplier.

    >>> f = make_schedule("cosine", 100, warmup=0.1, final=0.1)
    >>> round(float(f(jnp.int32(10))), 3), round(float(f(jnp.int32(99))), 3)
    (1.0, 0.1)
    """
    if kind not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {kind!r} (expected one of {', '.join(SCHEDULES)})")
    n_warm = int(round(warmup * steps))
    decay_len = max(steps - 1 - n_warm, 1)
    peak_f, final_f = float(peak), float(final)

    def schedule(step: jax.Array) -> jax.Array:
        s = jnp.asarray(step, jnp.float32)
        warm = jnp.minimum((s + 1.0) / max(n_warm, 1), 1.0) if n_warm > 0 else jnp.float32(1.0)
        t = jnp.clip((s - n_warm) / decay_len, 0.0, 1.0)
        if kind == "constant":
            body = jnp.float32(1.0)
        elif kind == "cosine":
            body = final_f + (1.0 - final_f) * 0.5 * (1.0 + jnp.cos(math.pi * t))
        else:
            body = 1.0 - (1.0 - final_f) * t
        return (peak_f * warm * body).astype(jnp.float32)

    return schedule
