"""Minimal float32 neural-network pieces shared by the task families (pure functions on dicts)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

F32 = jnp.float32


def dense_init(key, fan_in: int, fan_out: int, scale: float = 1.0, bias: bool = True) -> dict:
    """LeCun-normal weights (std = scale / sqrt(fan_in)) and zero bias."""
    w = jax.random.normal(key, (fan_in, fan_out), F32) * (scale / math.sqrt(fan_in))
    return {"w": w, "b": jnp.zeros((fan_out,), F32)} if bias else {"w": w}


def dense(p: dict, x: jax.Array) -> jax.Array:
    y = x @ p["w"]
    return y + p["b"] if "b" in p else y


def layernorm_init(d: int) -> dict:
    return {"g": jnp.ones((d,), F32), "b": jnp.zeros((d,), F32)}


def layernorm(p: dict, x: jax.Array, eps: float = 1e-5) -> jax.Array:
    mu = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean(jnp.square(x - mu), -1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + eps) * p["g"] + p["b"]


def mlp_init(key, sizes: list[int]) -> list[dict]:
    keys = jax.random.split(key, len(sizes) - 1)
    return [dense_init(k, a, b) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def mlp(ps: list[dict], x: jax.Array, act=jnp.tanh) -> jax.Array:
    for p in ps[:-1]:
        x = act(dense(p, x))
    return dense(ps[-1], x)


def block_init(key, d: int, mlp_ratio: int, n_layers: int) -> dict:
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
    """Pre-LayerNorm transformer block on ``x`` of shape (batch, time, d)."""
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
    """Mean softmax cross-entropy in nats; ``labels`` are int class ids."""
    logp = jax.nn.log_softmax(logits.astype(F32), axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))
