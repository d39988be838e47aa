"""``symopt bench lion``: the exported Lion against optax.lion / optax.adamw and lion-pytorch / torch AdamW.

Step times are medians over interleaved repetitions measured side by side in
one run (jit, ~10M parameters; ``--quick``: ~1M); ratios < 1 are faster.
The exported Lion is ``discovered/`` when it holds one, else a fresh export of
the ``lion`` seed into a temporary folder.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _exported_lion():
    try:
        import discovered

        from discovered.torch import Lion as TorchLion  # noqa: F401

        return discovered.lion, importlib.import_module("discovered.torch").Lion, "discovered"
    except (ImportError, AttributeError):
        from search_space.seeds import load_seed
        from symopt.export import export_program

        tmp = Path(tempfile.mkdtemp(prefix="symopt_bench_"))
        export_program(load_seed("lion"), "lion", tmp / "benchpkg", {"source": "derivation", "command": "bench"})
        sys.path.insert(0, str(tmp))
        pkg = importlib.import_module("benchpkg")
        return pkg.lion, importlib.import_module("benchpkg.torch").Lion, "lion seed"


def _time_interleaved(fns: dict, reps: int) -> dict:
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def _params(n_params: int):
    import jax.numpy as jnp

    side = int((n_params // 4) ** 0.5)
    return {f"layer{i}": jnp.full((side, side), 0.01 * (i + 1), jnp.float32) for i in range(4)}


def run(quick: bool = False, log=print) -> dict:
    import jax
    import jax.numpy as jnp
    import optax

    lion, TorchLion, where = _exported_lion()
    n = 1_000_000 if quick else 10_000_000
    reps = 10 if quick else 30
    params = _params(n)
    grads = jax.tree.map(lambda x: jnp.sin(x * 7.0), params)
    if log:
        log(f"exported Lion from {where}; {sum(x.size for x in jax.tree.leaves(params)):,} parameters")

    def stepper(tx):
        state = tx.init(params)
        upd = jax.jit(lambda g, s, p: tx.update(g, s, p))
        jax.block_until_ready(upd(grads, state, params))
        return (lambda: jax.block_until_ready(upd(grads, state, params))), state

    txs = {"ours": lion(1e-4, b1=0.9, b2=0.99, weight_decay=0.01),
           "optax_lion": optax.lion(1e-4, b1=0.9, b2=0.99, weight_decay=0.01),
           "optax_adamw": optax.adamw(1e-4, weight_decay=0.01)}
    fns, states = {}, {}
    for k, tx in txs.items():
        fns[k], states[k] = stepper(tx)
    t = _time_interleaved(fns, reps)
    nbytes = lambda s: sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(s))
    out = {
        "step_vs_optax_lion": round(t["ours"] / t["optax_lion"], 3),
        "step_vs_optax_adamw": round(t["ours"] / t["optax_adamw"], 3),
        "state_vs_adamw": round(nbytes(states["ours"]) / nbytes(states["optax_adamw"]), 3),
    }
    if log:
        log(f"optax step (median of {reps}): ours {t['ours'] * 1e3:.2f} ms, optax.lion {t['optax_lion'] * 1e3:.2f} ms, "
            f"optax.adamw {t['optax_adamw'] * 1e3:.2f} ms")
    out.update(_torch(TorchLion, n, reps, log))
    return out


def _torch(TorchLion, n: int, reps: int, log) -> dict:
    import torch
    from lion_pytorch import Lion as RefLion

    side = int((n // 4) ** 0.5)
    torch.manual_seed(0)

    def make(cls, **kw):
        ps = [torch.nn.Parameter(torch.randn(side, side) * 0.01) for _ in range(4)]
        for p in ps:
            p.grad = torch.randn_like(p)
        opt = cls(ps, **kw)
        opt.step()
        return opt.step

    fns = {"ours": make(TorchLion, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.01),
           "lion_pytorch": make(RefLion, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.01),
           "adamw": make(torch.optim.AdamW, lr=1e-4, weight_decay=0.01)}
    t = _time_interleaved(fns, reps)
    if log:
        log(f"torch step (median of {reps}): ours {t['ours'] * 1e3:.2f} ms, lion-pytorch {t['lion_pytorch'] * 1e3:.2f} ms, "
            f"AdamW {t['adamw'] * 1e3:.2f} ms")
    return {"torch_step_vs_lion_pytorch": round(t["ours"] / t["lion_pytorch"], 3),
            "torch_step_vs_adamw": round(t["ours"] / t["adamw"], 3)}
