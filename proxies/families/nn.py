"""Minimal float32 neural-network pieces shared by the task families (pure functions on dicts)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

F32 = jnp.float32


def dense_init(key, fan_in: int, fan_out: int, scale: float = 1.0, bias: bool = True) -> dict:
    """LeCun-normal weights (std = scale / sqrt(fan_in)) and zero bias.

    Args:
      key: a JAX random key.
      fan_in: input width.
      fan_out: output width.
      scale: multiplies the weights' standard deviation.
      bias: whether the layer has a bias.

    Returns:
      ``{"w", "b"}`` (``{"w"}`` without bias).
    """
    w = jax.random.normal(key, (fan_in, fan_out), F32) * (scale / math.sqrt(fan_in))
    return {"w": w, "b": jnp.zeros((fan_out,), F32)} if bias else {"w": w}


def dense(p: dict, x: jax.Array) -> jax.Array:
    """A dense layer: ``x @ w + b``.

    Args:
      p: its parameters (:func:`dense_init`).
      x: inputs, last axis ``fan_in``.

    Returns:
      Outputs, last axis ``fan_out``.
    """
    y = x @ p["w"]
    return y + p["b"] if "b" in p else y


def layernorm_init(d: int) -> dict:
    """LayerNorm parameters: unit gain, zero bias.

    Args:
      d: the normalised width.

    Returns:
      ``{"g", "b"}``.
    """
    return {"g": jnp.ones((d,), F32), "b": jnp.zeros((d,), F32)}


def layernorm(p: dict, x: jax.Array, eps: float = 1e-5) -> jax.Array:
    """LayerNorm over the last axis.

    Args:
      p: its parameters (:func:`layernorm_init`).
      x: inputs.
      eps: added to the variance.

    Returns:
      ``(x - mean) / sqrt(var + eps) * g + b``.
    """
    mu = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean(jnp.square(x - mu), -1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + eps) * p["g"] + p["b"]


def mlp_init(key, sizes: list[int]) -> list[dict]:
    """An MLP's dense layers.

    Args:
      key: a JAX random key.
      sizes: the widths, input first, output last.

    Returns:
      One :func:`dense_init` per pair of consecutive widths.
    """
    keys = jax.random.split(key, len(sizes) - 1)
    return [dense_init(k, a, b) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def mlp(ps: list[dict], x: jax.Array, act=jnp.tanh) -> jax.Array:
    """An MLP: ``act`` between the dense layers, none after the last.

    Args:
      ps: its layers (:func:`mlp_init`).
      x: inputs.
      act: the activation.

    Returns:
      Outputs.
    """
    for p in ps[:-1]:
        x = act(dense(p, x))
    return dense(ps[-1], x)


def block_init(key, d: int, mlp_ratio: int, n_layers: int) -> dict:
    """A pre-LayerNorm transformer block's parameters (GPT-2 style scaling of the residual branches).

    Args:
      key: a JAX random key.
      d: the model width.
      mlp_ratio: the MLP's hidden width over ``d``.
      n_layers: the number of blocks (scales the residual branches).

    Returns:
      ``{"ln1", "qkv", "proj", "ln2", "fc1", "fc2"}``.
    """
    k = jax.random.split(key, 4)
    out_scale = 1.0 / math.sqrt(2 * n_layers)  # GPT-2 style residual-branch scaling
    return {
        "ln1": layernorm_init(d),
        "qkv": dense_init(k[0], d, 3 * d, bias=False),
        "proj": dense_init(k[1], d, d, scale=out_scale),
        "ln2": layernorm_init(d),
        "fc1": dense_init(k[2], d, mlp_ratio * d),
        "fc2": dense_init(k[3], mlp_ratio * d, d, scale=out_scale),
    }


def block(p: dict, x: jax.Array, n_heads: int, causal: bool) -> jax.Array:
    """Pre-LayerNorm transformer block on ``x`` of shape (batch, time, d).

    Args:
      p: its parameters (:func:`block_init`).
      x: inputs, shape (batch, time, d).
      n_heads: attention heads (``d`` divisible by it).
      causal: whether a position attends only to earlier ones.

    Returns:
      Outputs shaped like ``x``.
    """
    bsz, t, d = x.shape
    hd = d // n_heads
    h = layernorm(p["ln1"], x)
    qkv = dense(p["qkv"], h).reshape(bsz, t, 3, n_heads, hd)
    q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
    att = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd)
    if causal:
        mask = jnp.tril(jnp.ones((t, t), bool))
        att = jnp.where(mask, att, F32(-1e9))
    att = jax.nn.softmax(att, axis=-1)
    y = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(bsz, t, d)
    x = x + dense(p["proj"], y)
    h = layernorm(p["ln2"], x)
    return x + dense(p["fc2"], jax.nn.gelu(dense(p["fc1"], h)))


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy in nats.

    Args:
      logits: scores, last axis the classes.
      labels: int class ids, shaped like ``logits`` without its last axis.

    Returns:
      The mean loss (a scalar).
    """
    logp = jax.nn.log_softmax(logits.astype(F32), axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))
