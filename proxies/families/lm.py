"""Character-level language modelling on the shipped corpus (causal transformer or context MLP).

Data: the corpus is cut into 2048-character chunks; every 10th chunk is held out. Training windows
of ``context + 1`` characters start at uniformly random offsets of the training part (drawn with
``jax.random`` inside the jitted loop); validation uses ``n_valid`` fixed, evenly spaced windows of
the held-out part. Loss: mean cross-entropy in nats per character.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..corpus import VOCAB_SIZE, load_corpus
from . import nn
from .common import make_task

CHUNK = 2048
HOLDOUT_EVERY = 10


def split(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training and held-out parts of a corpus: every tenth chunk of ``CHUNK`` ids is held out.

    Args:
      ids: the corpus as ids.

    Returns:
      ``(train, valid)`` ids.
    """
    n_chunks = -(-len(ids) // CHUNK)
    chunks = [ids[i * CHUNK:(i + 1) * CHUNK] for i in range(n_chunks)]
    valid = [c for i, c in enumerate(chunks) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    train = [c for i, c in enumerate(chunks) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    return np.concatenate(train), np.concatenate(valid)


def _windows(n_total: int, width: int, count: int) -> np.ndarray:
    starts = np.linspace(0, n_total - width, count).astype(np.int64)
    return starts[:, None] + np.arange(width)[None, :]


def build(cfg: dict[str, Any], corpora: dict[str, dict[str, Any]]):
    """Build the character-level language model task of ``cfg``.

    Args:
      cfg: a resolved task configuration (:func:`proxies.config.resolve`).
      corpora: the tasks file's corpora (the corpus is read from them).

    Returns:
      The :class:`~proxies.task.Task`.
    """
    corpus = corpora[cfg["corpus"]]
    ids = load_corpus(corpus["file"], corpus["sha256"])
    train_np, valid_np = split(ids)
    ctx, bsz = cfg["context"], cfg["batch_size"]
    width = ctx + 1
    train = jnp.asarray(train_np)  # uint8 on the default device
    valid = jnp.asarray(valid_np[_windows(len(valid_np), width, cfg["n_valid"])].astype(np.int32))
    n_start = len(train_np) - width + 1
    offs = jnp.arange(width, dtype=jnp.int32)

    def batch(data_key, step):
        k = jax.random.fold_in(data_key, step)
        starts = jax.random.randint(k, (bsz,), 0, n_start, dtype=jnp.int32)
        return train[starts[:, None] + offs[None, :]].astype(jnp.int32)

    if cfg["model"] == "transformer":
        init, apply = _transformer(cfg)
    else:
        init, apply = _mlp(cfg)

    def loss(params, seqs):
        logits, targets = apply(params, seqs)
        return nn.cross_entropy(logits, targets)

    def valid_loss(params):
        return loss(params, valid)

    info = {
        "corpus": cfg["corpus"], "corpus_file": corpus["file"], "corpus_sha256": corpus["sha256"],
        "vocab_size": VOCAB_SIZE, "train_chars": int(len(train_np)), "valid_chars": int(len(valid_np)),
        "valid_windows": int(cfg["n_valid"]), "loss_unit": "nats/char",
        "init_loss_uniform": float(np.log(VOCAB_SIZE)),
    }
    return make_task(cfg, init=init, loss=loss, batch=batch, valid_loss=valid_loss, info=info)


def _transformer(cfg):
    d, ctx, L, H, r = cfg["d_model"], cfg["context"], cfg["n_layers"], cfg["n_heads"], cfg["mlp_ratio"]

    def init(key):
        k = jax.random.split(key, L + 3)
        return {
            "tok": jax.random.normal(k[0], (VOCAB_SIZE, d), jnp.float32) * 0.1,
            "pos": jax.random.normal(k[1], (ctx, d), jnp.float32) * 0.1,
            "blocks": [nn.block_init(k[3 + i], d, r, L) for i in range(L)],
            "ln_f": nn.layernorm_init(d),
            "head": nn.dense_init(k[2], d, VOCAB_SIZE, scale=0.1),
        }

    def apply(params, seqs):
        x_ids, y = seqs[:, :-1], seqs[:, 1:]
        x = params["tok"][x_ids] + params["pos"][None]
        for p in params["blocks"]:
            x = nn.block(p, x, H, causal=True)
        return nn.dense(params["head"], nn.layernorm(params["ln_f"], x)), y

    return init, apply


def _mlp(cfg):
    ctx, e, hidden = cfg["context"], cfg["d_embed"], cfg["hidden"]
    sizes = [ctx * e, *hidden, VOCAB_SIZE]

    def init(key):
        k1, k2 = jax.random.split(key)
        return {"tok": jax.random.normal(k1, (VOCAB_SIZE, e), jnp.float32) * 0.1, "mlp": nn.mlp_init(k2, sizes)}

    def apply(params, seqs):
        x = params["tok"][seqs[:, :-1]].reshape(seqs.shape[0], ctx * e)
        return nn.mlp(params["mlp"], x, act=jax.nn.gelu), seqs[:, -1]

    return init, apply
