"""``symopt bench lion``: the exported Lion against optax.lion / optax.adamw and lion-pytorch / torch AdamW.

Every optimizer steps the same ~10M parameters (``--quick``: ~1M) in one process.  After
warm-up rounds, each round times one step of every optimizer, in an order rotated from round
to round; a ratio is the median over rounds of the per-round ratio (two steps measured side by
side), and ``<key>_iqr`` is the interquartile range of those per-round ratios.  Ratios < 1 are
faster.  torch: the export at its default (multi-tensor kernels) and per tensor
(``foreach=False``), against lion-pytorch and ``torch.optim.AdamW(foreach=True)``.
The exported Lion is ``discovered/`` when it holds one, else a fresh export of the ``lion`` seed
into a temporary folder.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

import discovered
from search_space.seeds import load_seed
from symopt.export import export_program


def _exported_lion():
    try:
        # lazy: importing the class builds it with torch, which the optax half of the benchmark does not need
        from discovered.torch import Lion as TorchLion

        return discovered.lion, TorchLion, "discovered"
    except (ImportError, AttributeError):
        tmp = Path(tempfile.mkdtemp(prefix="symopt_bench_"))
        export_program(load_seed("lion"), "lion", tmp / "benchpkg", {"source": "derivation", "command": "bench"})
        sys.path.insert(0, str(tmp))
        pkg = importlib.import_module("benchpkg")
        return pkg.lion, importlib.import_module("benchpkg.torch").Lion, "lion seed"


def interleaved(fns: dict, reps: int, warmup: int) -> dict[str, list[float]]:
    """Seconds per call of each function over ``reps`` rounds after ``warmup`` rounds; a round calls
    every function once, starting one further along the list than the round before."""
    names = list(fns)
    times: dict[str, list[float]] = {k: [] for k in names}
    gc.collect()
    gc.disable()
    try:
        for r in range(warmup + reps):
            for k in names[r % len(names):] + names[: r % len(names)]:
                t = time.perf_counter()
                fns[k]()
                if r >= warmup:
                    times[k].append(time.perf_counter() - t)
    finally:
        gc.enable()
    return times


def ratio(times: dict, a: str, b: str) -> tuple[float, float]:
    """Median and interquartile range of the per-round ratios ``a / b``."""
    per_round = [x / y for x, y in zip(times[a], times[b])]
    q1, median, q3 = statistics.quantiles(per_round, n=4, method="inclusive")
    return round(median, 3), round(q3 - q1, 3)


def _figures(times: dict, pairs: dict) -> dict:
    out = {}
    for key, (a, b) in pairs.items():
        out[key], out[f"{key}_iqr"] = ratio(times, a, b)
    return out


def _nbytes(tree) -> int:
    return sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(tree))


def _ms(times: dict) -> str:
    return ", ".join(f"{k} {statistics.median(v) * 1e3:.2f} ms" for k, v in times.items())


def run(quick: bool = False, log=print) -> dict:
    lion, TorchLion, where = _exported_lion()
    n = 1_000_000 if quick else 10_000_000
    reps, warmup = (100, 10) if quick else (30, 5)
    side = int((n // 4) ** 0.5)
    params = {f"layer{i}": jnp.full((side, side), 0.01 * (i + 1), jnp.float32) for i in range(4)}
    grads = jax.tree.map(lambda x: jnp.sin(x * 7.0), params)
    if log:
        log(f"exported Lion from {where}; {4 * side * side:,} parameters in 4 tensors; "
            f"{warmup} warm-up + {reps} timed rounds")

    def stepper(tx):
        state = tx.init(params)
        upd = jax.jit(lambda g, s, p: tx.update(g, s, p))
        return (lambda: jax.block_until_ready(upd(grads, state, params))), state

    txs = {"ours": lion(1e-4, b1=0.9, b2=0.99, weight_decay=0.01),
           "optax_lion": optax.lion(1e-4, b1=0.9, b2=0.99, weight_decay=0.01),
           "optax_adamw": optax.adamw(1e-4, weight_decay=0.01)}
    fns, states = {}, {}
    for k, tx in txs.items():
        fns[k], states[k] = stepper(tx)
    times = interleaved(fns, reps, warmup)
    out = _figures(times, {"step_vs_optax_lion": ("ours", "optax_lion"),
                           "step_vs_optax_adamw": ("ours", "optax_adamw")})
    out["state_vs_adamw"] = round(_nbytes(states["ours"]) / _nbytes(states["optax_adamw"]), 3)
    if log:
        log(f"optax step (median of {reps}): {_ms(times)}")
    out.update(_torch(TorchLion, side, reps, warmup, log))
    return out


def _torch(TorchLion, side: int, reps: int, warmup: int, log) -> dict:
    import torch  # lazy: torch is optional (the test extra); the optax half runs without it
    from lion_pytorch import Lion as RefLion  # lazy: imports torch

    torch.manual_seed(0)

    def make(cls, **kw):
        ps = [torch.nn.Parameter(torch.randn(side, side) * 0.01) for _ in range(4)]
        for p in ps:
            p.grad = torch.randn_like(p)
        return cls(ps, **kw).step

    lion_kw = dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.01)
    fns = {"ours": make(TorchLion, **lion_kw), "ours_per_tensor": make(TorchLion, **lion_kw, foreach=False),
           "lion_pytorch": make(RefLion, **lion_kw),
           "adamw_foreach": make(torch.optim.AdamW, lr=1e-4, weight_decay=0.01, foreach=True)}
    times = interleaved(fns, reps, warmup)
    if log:
        log(f"torch step (median of {reps}, {torch.get_num_threads()} threads): {_ms(times)}")
    return _figures(times, {"torch_step_vs_lion_pytorch": ("ours", "lion_pytorch"),
                            "torch_step_vs_adamw": ("ours", "adamw_foreach"),
                            "torch_per_tensor_step_vs_lion_pytorch": ("ours_per_tensor", "lion_pytorch")})
