"""Tuned-optimizer table on the proxy tasks: does tuned Lion beat tuned AdamW and Signum?

For each task, each optimizer (AdamW, Lion, Signum, SGD-momentum, signSGD, all written with optax)
gets its learning rate tuned on a grid of factor-3 steps (the grid is extended while the best lr
sits on an edge), scored by the mean final validation loss over the seeds. The table shows
mean +- std (over seeds) at the tuned lr, and says whether tuned Lion beats tuned AdamW / Signum by
more than 2 sigma (sigma = standard error of the difference of the two means, unpaired).

    python benchmarks/proxy_table.py --quick             # a few minutes
    python benchmarks/proxy_table.py                     # default funnel A/B + vision + synthetic
    python benchmarks/proxy_table.py --tasks lm_tiny --set steps=1000 --set batch_size=32
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import proxies  # noqa: E402

WD = 0.01  # decoupled weight decay of the DESIGN.md programs (update += 0.01 * w, then * lr)


def sign_tx() -> optax.GradientTransformation:
    return optax.stateless(lambda updates, params=None: jax.tree_util.tree_map(jnp.sign, updates))


def signum(lr: float, beta: float = 0.9, weight_decay: float = WD) -> optax.GradientTransformation:
    """Signum: sign of an EMA of the gradient (= Lion with b1 = b2)."""
    return optax.chain(optax.ema(beta, debias=False), sign_tx(), optax.add_decayed_weights(weight_decay),
                       optax.scale(-lr))


def signsgd(lr: float) -> optax.GradientTransformation:
    return optax.chain(sign_tx(), optax.scale(-lr))


# name -> (constructor at base lr 1.0 * base, base lr). The grid multiplies the base lr.
OPTIMIZERS = {
    "adamw": (lambda lr: optax.adamw(lr, b1=0.9, b2=0.999, weight_decay=WD), 1e-2),
    "lion": (lambda lr: optax.lion(lr, b1=0.9, b2=0.99, weight_decay=WD), 3e-3),
    "signum": (lambda lr: signum(lr, 0.9), 3e-3),
    "sgdm": (lambda lr: optax.sgd(lr, momentum=0.9), 1e-1),
    "signsgd": (lambda lr: signsgd(lr), 3e-3),
}


def tune(trainer, seeds, grid0, max_extend=3):
    """Evaluate lr multipliers on ``grid0`` (factor-3 apart), extend while the best is at an edge.
    Returns (best multiplier, {multiplier: per-seed losses})."""
    res: dict[float, np.ndarray] = {}

    def ev(m):
        if m not in res:
            res[m] = np.array([float(trainer(s, m)) for s in seeds])
        return float(np.mean(res[m]))

    grid = list(grid0)
    for m in grid:
        ev(m)
    for _ in range(max_extend):
        ms = sorted(res)
        best = min(ms, key=lambda m: float(np.mean(res[m])))
        if best == ms[0]:
            ev(ms[0] / 3)
        elif best == ms[-1]:
            ev(ms[-1] * 3)
        else:
            break
    best = min(res, key=lambda m: float(np.mean(res[m])))
    return best, res


def beats(a: np.ndarray, b: np.ndarray) -> tuple[bool, float]:
    """Does ``a`` have lower mean than ``b`` by > 2 sigma? Returns (verdict, z)."""
    n_a, n_b = len(a), len(b)
    se = math.sqrt(a.var(ddof=1) / n_a + b.var(ddof=1) / n_b) if min(n_a, n_b) > 1 else float("nan")
    d = float(b.mean() - a.mean())
    z = d / se if se > 0 else (float("inf") if d > 0 else float("-inf"))
    return bool(z > 2.0), z


def run_task(name, overrides, opts, seeds, grid0, log):
    task = proxies.get_task(name, **overrides)
    out = {"task": name, "overrides": overrides, "param_count": task.info["param_count"], "steps": task.steps,
           "batch_size": task.batch_size, "opts": {}}
    for o in opts:
        make, base = OPTIMIZERS[o]
        trainer = proxies.make_optax_trainer(task, make(base))
        t0 = time.perf_counter()
        trainer(seeds[0], 1.0).block_until_ready()
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        best, res = tune(trainer, seeds, grid0)
        n_runs = len(res) * len(seeds)
        secs = (time.perf_counter() - t0) / n_runs
        v = res[best]
        out["opts"][o] = {"lr": base * best, "mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                          "losses": v.tolist(), "sec_per_run": secs, "compile_s": t_compile,
                          "grid": {f"{base * m:.3g}": float(np.mean(r)) for m, r in sorted(res.items())}}
        log(f"  {name:18s} {o:8s} lr={base * best:.3g} {v.mean():.4f} +- {out['opts'][o]['std']:.4f} "
            f"({secs:.2f}s/run, {n_runs} runs, grid {out['opts'][o]['grid']})")
    if "lion" in out["opts"]:
        lion = np.array(out["opts"]["lion"]["losses"])
        for other in ("adamw", "signum"):
            if other in out["opts"]:
                ok, z = beats(lion, np.array(out["opts"][other]["losses"]))
                out[f"lion_beats_{other}"] = {"verdict": ok, "z": z}
    return out


def fmt_table(results, opts) -> str:
    head = "| task | params | steps x batch | s/run | " + " | ".join(opts) + " | Lion < AdamW (z) | Lion < Signum (z) |"
    sep = "|" + "---|" * (4 + len(opts) + 2)
    rows = [head, sep]
    for r in results:
        o0 = next(iter(r["opts"].values()))
        cells = []
        best = min(v["mean"] for v in r["opts"].values())
        for o in opts:
            v = r["opts"].get(o)
            if v is None:
                cells.append("-")
                continue
            c = f"{v['mean']:.4f} ± {v['std']:.4f} (lr {v['lr']:.2g})"
            cells.append(f"**{c}**" if v["mean"] == best else c)
        verdict = lambda k: (f"{'yes' if r[k]['verdict'] else 'no'} ({r[k]['z']:+.1f})" if k in r else "-")
        ov = "".join(f", {k}={v}" for k, v in r["overrides"].items())
        rows.append(f"| {r['task']}{ov} | {r['param_count']} | {r['steps']} x {r['batch_size']} | "
                    f"{o0['sec_per_run']:.2f} | " + " | ".join(cells) +
                    f" | {verdict('lion_beats_adamw')} | {verdict('lion_beats_signum')} |")
    return "\n".join(rows)


def parse_set(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stage-A task + fast tasks, 3 seeds, small grid")
    ap.add_argument("--tasks", nargs="*", help="task names (default: funnel A and B, vision, synthetic)")
    ap.add_argument("--funnel", default="default")
    ap.add_argument("--opts", nargs="*", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    ap.add_argument("--seeds", type=int, default=3, help="number of seeds (0..n-1)")
    ap.add_argument("--grid", default="0.1,0.3,1,3", help="lr multipliers of the base lr (factor 3 apart)")
    ap.add_argument("--set", action="append", help="task override KEY=VALUE (JSON value), for every task")
    ap.add_argument("--json", help="write all results to this JSON file")
    args = ap.parse_args(argv)

    f = proxies.load_funnel(args.funnel)
    if args.tasks:
        tasks = args.tasks
    elif args.quick:
        tasks = [f.stages[0].task, "digits_mlp", "synth_linear", "synth_teacher"]
    else:
        tasks = [f.stages[0].task, f.stages[1].task, "digits_mlp", "digits_vit", "synth_linear",
                 "synth_linear_rot", "synth_teacher", "lm_mlp"]
    grid = [float(x) for x in args.grid.split(",")]
    seeds = list(range(args.seeds))
    overrides = parse_set(args.set)
    log = lambda s: print(s, file=sys.stderr, flush=True)
    log(f"jax {jax.__version__} on {jax.devices()[0].platform}; seeds {seeds}; grid x{grid} of base lrs "
        f"{ {o: OPTIMIZERS[o][1] for o in args.opts} }")
    t0 = time.perf_counter()
    results = [run_task(t, overrides, args.opts, seeds, grid, log) for t in tasks]
    print(fmt_table(results, args.opts))
    print(f"\n{len(seeds)} seeds, lr tuned per optimizer on factor-3 grids; total {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
