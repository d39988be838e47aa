"""Many small, independent regression problems trained at once as the lanes of one task.

``lanes`` problems, each with its own data (drawn once with numpy from ``data_seed``): inputs with
covariance spectrum log-spaced from 1 down to ``1 / condition``, rotated by the lane's own random
orthogonal matrix when ``rotate`` (so no per-coordinate preconditioner can undo the
ill-conditioning); targets from a teacher plus label noise, Gaussian or Student-t with ``noise_df``
degrees of freedom (heavy-tailed when small; ``noise`` is the scale either way).

model ``lanes_linear``: teacher and student are linear maps ``dim -> n_out``.
model ``lanes_mlp``: the teacher is a one-hidden-layer tanh net (``teacher_hidden`` units, first
  layer compensating the input scaling, as in ``synthetic.teacher``); the student is a tanh MLP with
  ``hidden`` layers.

Every lane's parameters are a slice of one stacked pytree (leading axis ``lanes``); a training
batch is ``batch_size`` rows drawn independently for every lane. The training loss is the SUM over
lanes of each lane's 0.5 * MSE, so each lane's gradient is exactly its own problem's; the
validation loss is the MEAN over lanes of 0.5 * MSE against the noise-free teacher on ``n_valid``
fresh inputs (the excess risk, no irreducible term). Averaging many independent problems makes one
seed's loss far less noisy than any single problem's.
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .common import make_task

F32 = jnp.float32


def _label_noise(rng, shape, scale: float, df: float) -> np.ndarray:
    if df <= 0.0:
        return scale * rng.standard_normal(shape)
    return scale * rng.standard_t(df, shape)


def _lane_data(cfg: dict[str, Any], rng) -> dict[str, np.ndarray]:
    d, k, nt, nv = cfg["dim"], cfg["n_out"], cfg["n_train"], cfg["n_valid"]
    eig = np.logspace(0.0, -np.log10(cfg["condition"]), d)
    q = np.linalg.qr(rng.standard_normal((d, d)))[0] if cfg["rotate"] else np.eye(d)
    x = (rng.standard_normal((nt + nv, d)) * np.sqrt(eig)) @ q
    if cfg["model"] == "lanes_linear":
        # unit-variance targets whatever the spectrum: w* = Q^T diag(1/sqrt(eig)) u / sqrt(d)
        w = q.T @ (rng.standard_normal((d, k)) / np.sqrt(eig)[:, None]) / math.sqrt(d)
        f = x @ w
    else:
        h = cfg["teacher_hidden"]
        w1 = q.T @ ((rng.standard_normal((d, h)) / math.sqrt(d)) / np.sqrt(eig)[:, None])
        b1 = 0.1 * rng.standard_normal(h)
        w2 = rng.standard_normal((h, k)) / math.sqrt(h)
        f = np.tanh(x @ w1 + b1) @ w2
    y = f[:nt] + _label_noise(rng, (nt, k), cfg["noise"], cfg["noise_df"])
    out = {"x_train": x[:nt], "y_train": y, "x_valid": x[nt:], "f_valid": f[nt:], "rotation": q, "eig": eig}
    if cfg["model"] == "lanes_linear":
        out["w_teacher"] = w
    return out


def lane_problems(cfg: dict[str, Any]) -> list[dict[str, np.ndarray]]:
    """The lanes' data and generating parameters (numpy, float64), as :func:`build` draws them.

    Args:
      cfg: a resolved ``lanes_*`` task configuration.

    Returns:
      Per lane: ``x_train, y_train, x_valid, f_valid`` (noise-free validation targets), ``rotation`` (Q: inputs
      are ``(z * sqrt(eig)) @ Q``), ``eig`` and, for ``lanes_linear``, ``w_teacher``.
    """
    rng = np.random.default_rng(cfg["data_seed"])
    return [_lane_data(cfg, rng) for _ in range(cfg["lanes"])]


def build(cfg: dict[str, Any], corpora=None):
    """Build the lanes task of ``cfg``.

    Args:
      cfg: a resolved task configuration (:func:`proxies.config.resolve`).
      corpora: the tasks file's corpora (unused).

    Returns:
      The :class:`~proxies.task.Task`.
    """
    n_lanes, nt, bsz = cfg["lanes"], cfg["n_train"], cfg["batch_size"]
    parts = lane_problems(cfg)
    Xt, Yt, Xv, Yv = (jnp.asarray(np.stack([p[k] for p in parts]), F32)
                      for k in ("x_train", "y_train", "x_valid", "f_valid"))
    if cfg["model"] == "lanes_linear":
        sizes = [cfg["dim"], cfg["n_out"]]
    else:
        sizes = [cfg["dim"], *cfg["hidden"], cfg["n_out"]]

    def init(key):
        keys = jax.random.split(key, len(sizes) - 1)
        return [{"w": jax.random.normal(k, (n_lanes, a, b), F32) / math.sqrt(a), "b": jnp.zeros((n_lanes, b), F32)}
                for k, a, b in zip(keys, sizes[:-1], sizes[1:])]

    def apply(params, x):                       # x: (lanes, rows, dim)
        for p in params[:-1]:
            x = jnp.tanh(jnp.einsum("lni,lio->lno", x, p["w"]) + p["b"][:, None, :])
        p = params[-1]
        return jnp.einsum("lni,lio->lno", x, p["w"]) + p["b"][:, None, :]

    def lane_losses(params, xb, yb):            # (lanes,)
        return 0.5 * jnp.mean(jnp.square(apply(params, xb) - yb), axis=(1, 2))

    def loss(params, b):
        return jnp.sum(lane_losses(params, *b))

    lane_ids = jnp.arange(n_lanes, dtype=jnp.int32)[:, None]

    def batch(data_key, step):
        i = jax.random.randint(jax.random.fold_in(data_key, step), (n_lanes, bsz), 0, nt, dtype=jnp.int32)
        return Xt[lane_ids, i], Yt[lane_ids, i]

    def valid_loss(params):
        return jnp.mean(lane_losses(params, Xv, Yv))

    info = {"lanes": int(n_lanes), "n_train": int(nt), "n_valid": int(cfg["n_valid"]),
            "loss_unit": "train: sum over lanes of 0.5*MSE; valid: mean over lanes of 0.5*MSE vs the noise-free "
                         "teacher",
            "params_per_lane": int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))}
    return make_task(cfg, init=init, loss=loss, batch=batch, valid_loss=valid_loss, info=info)
