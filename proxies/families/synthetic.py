"""Synthetic regression: ill-conditioned linear least squares and a teacher-student MLP.

The data sets are drawn once with numpy from ``data_seed`` (fixed per task); a training seed
changes only the initialisation and the order of minibatches. Loss: 0.5 * mean squared error.

linear: features x = z * sqrt(eig) (optionally rotated by a fixed random orthogonal matrix),
  ``eig`` log-spaced from 1 down to 1/condition, so the loss Hessian has that condition number
  (axis-aligned unless ``rotate``: diagonal preconditioners such as Adam can fix it then).
  Targets y = x @ w_star + noise. Irreducible loss = noise**2 / 2.
teacher: x ~ N(0, I); y = teacher(x) + noise with a random one-hidden-layer tanh teacher;
  the student is an MLP with ``hidden`` tanh layers. With ``condition`` > 1 the inputs get the
  linear task's spectrum (rotated if ``rotate``) and the teacher compensates, so the student's
  problem is ill-conditioned.
"""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from . import nn
from .common import make_task, sample_rows


def _linear_data(cfg, rng):
    d, k, n = cfg["dim"], cfg["n_out"], cfg["n_train"] + cfg["n_valid"]
    eig = np.logspace(0.0, -np.log10(cfg["condition"]), d)
    x = rng.standard_normal((n, d)) * np.sqrt(eig)
    if cfg["rotate"]:
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        x = x @ q
    w_star = rng.standard_normal((d, k))
    y = x @ w_star + cfg["noise"] * rng.standard_normal((n, k))
    return x, y, {"eig_max": float(eig[0]), "eig_min": float(eig[-1])}


def _teacher_data(cfg, rng):
    d, h, n = cfg["dim"], cfg["teacher_hidden"], cfg["n_train"] + cfg["n_valid"]
    z = rng.standard_normal((n, d))
    w1 = rng.standard_normal((d, h)) / np.sqrt(d)
    if cfg["condition"] > 1.0 or cfg["rotate"]:
        # Inputs with covariance spectrum 1 .. 1/condition (rotated if asked); the teacher undoes the
        # scaling, so its pre-activations stay isotropic and the student needs large weights along the
        # low-variance directions: an ill-conditioned nonlinear regression.
        eig = np.logspace(0.0, -np.log10(cfg["condition"]), d)
        q = np.linalg.qr(rng.standard_normal((d, d)))[0] if cfg["rotate"] else np.eye(d)
        x = (z * np.sqrt(eig)) @ q
        w1 = q.T @ (w1 / np.sqrt(eig)[:, None])
    else:
        x = z
    b1 = 0.1 * rng.standard_normal(h)
    w2 = rng.standard_normal((h, 1)) / np.sqrt(h)
    y = np.tanh(x @ w1 + b1) @ w2 + cfg["noise"] * rng.standard_normal((n, 1))
    return x, y, {}


def build(cfg: dict[str, Any], corpora=None):
    """Build the synthetic regression task of ``cfg``.

    Args:
      cfg: a resolved task configuration (:func:`proxies.config.resolve`).
      corpora: the tasks file's corpora (unused).

    Returns:
      The :class:`~proxies.task.Task`.
    """
    rng = np.random.default_rng(cfg["data_seed"])
    x, y, extra = (_linear_data if cfg["model"] == "linear" else _teacher_data)(cfg, rng)
    nt = cfg["n_train"]
    Xt, Yt = jnp.asarray(x[:nt], jnp.float32), jnp.asarray(y[:nt], jnp.float32)
    Xv, Yv = jnp.asarray(x[nt:], jnp.float32), jnp.asarray(y[nt:], jnp.float32)
    idx = sample_rows(nt, cfg["batch_size"])

    if cfg["model"] == "linear":
        sizes = [cfg["dim"], cfg["n_out"]]
    else:
        sizes = [cfg["dim"], *cfg["hidden"], 1]

    def init(key):
        return nn.mlp_init(key, sizes)

    def apply(params, xb):
        return nn.mlp(params, xb, act=jnp.tanh)

    def loss(params, b):
        xb, yb = b
        return 0.5 * jnp.mean(jnp.square(apply(params, xb) - yb))

    def batch(data_key, step):
        i = idx(data_key, step)
        return Xt[i], Yt[i]

    def valid_loss(params):
        return loss(params, (Xv, Yv))

    info = {"n_train": int(nt), "n_valid": int(cfg["n_valid"]), "loss_unit": "0.5*MSE",
            "irreducible_loss": float(cfg["noise"] ** 2 / 2), **extra}
    return make_task(cfg, init=init, loss=loss, batch=batch, valid_loss=valid_loss, info=info)
