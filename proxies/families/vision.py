"""scikit-learn's bundled 8x8 digits (1797 images, no download): MLP and tiny ViT classifiers.

Split: a fixed permutation (numpy, ``data_seed``); the first ``n_valid`` images are held out.
Pixels are scaled to [0, 1], centred by the training mean per pixel and divided by the training
std over all pixels. Loss: mean softmax cross-entropy (nats).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import nn
from .common import make_task, sample_rows

N_CLASSES = 10


def load(data_seed: int, n_valid: int):
    """The digits images, split and normalised (see the module docstring).

    Args:
      data_seed: seeds the permutation that splits the images.
      n_valid: how many images are held out.

    Returns:
      ``(x_train, y_train, x_valid, y_valid)``: float32 pixels, int32 labels.
    """
    from sklearn.datasets import load_digits  # lazy: scikit-learn takes seconds to import

    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int32)
    if not 0 < n_valid < len(x) - 1:
        raise ValueError(f"n_valid must be in (0, {len(x) - 1}), got {n_valid}")
    perm = np.random.default_rng(data_seed).permutation(len(x))
    vi, ti = perm[:n_valid], perm[n_valid:]
    mu, sd = x[ti].mean(0), x[ti].std()

    def norm(a):
        return ((a - mu) / sd).astype(np.float32)

    return norm(x[ti]), y[ti], norm(x[vi]), y[vi]


def build(cfg: dict[str, Any], corpora=None):
    """Build the digits classification task of ``cfg``.

    Args:
      cfg: a resolved task configuration (:func:`proxies.config.resolve`).
      corpora: the tasks file's corpora (unused).

    Returns:
      The :class:`~proxies.task.Task`.
    """
    xt, yt, xv, yv = load(cfg["data_seed"], cfg["n_valid"])
    Xt, Yt, Xv, Yv = map(jnp.asarray, (xt, yt, xv, yv))
    idx = sample_rows(len(xt), cfg["batch_size"])

    def batch(data_key, step):
        i = idx(data_key, step)
        return Xt[i], Yt[i]

    init, apply = _mlp(cfg) if cfg["model"] == "mlp" else _vit(cfg)

    def loss(params, b):
        x, y = b
        return nn.cross_entropy(apply(params, x), y)

    def valid_loss(params):
        return loss(params, (Xv, Yv))

    info = {"dataset": "sklearn.datasets.load_digits", "n_train": int(len(xt)), "n_valid": int(len(xv)),
            "loss_unit": "nats", "init_loss_uniform": float(np.log(N_CLASSES))}
    return make_task(cfg, init=init, loss=loss, batch=batch, valid_loss=valid_loss, info=info)


def _mlp(cfg):
    sizes = [64, *cfg["hidden"], N_CLASSES]

    def init(key):
        return nn.mlp_init(key, sizes)

    def apply(params, x):
        return nn.mlp(params, x, act=jax.nn.gelu)

    return init, apply


def _vit(cfg):
    p, d, L, H, r = cfg["patch"], cfg["d_model"], cfg["n_layers"], cfg["n_heads"], cfg["mlp_ratio"]
    g = 8 // p
    n_tok = g * g

    def patches(x):
        b = x.shape[0]
        return x.reshape(b, g, p, g, p).transpose(0, 1, 3, 2, 4).reshape(b, n_tok, p * p)

    def init(key):
        k = jax.random.split(key, L + 3)
        return {
            "embed": nn.dense_init(k[0], p * p, d),
            "pos": jax.random.normal(k[1], (n_tok, d), jnp.float32) * 0.1,
            "blocks": [nn.block_init(k[3 + i], d, r, L) for i in range(L)],
            "ln_f": nn.layernorm_init(d),
            "head": nn.dense_init(k[2], d, N_CLASSES, scale=0.1),
        }

    def apply(params, x):
        h = nn.dense(params["embed"], patches(x)) + params["pos"][None]
        for bp in params["blocks"]:
            h = nn.block(bp, h, H, causal=False)
        h = jnp.mean(nn.layernorm(params["ln_f"], h), axis=1)
        return nn.dense(params["head"], h)

    return init, apply
