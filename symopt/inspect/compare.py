"""``symopt compare``: train programs on one proxy task and compare their loss curves.

A run follows the training contract of ``proxies`` (states start at zero, the program gets
``lr = task.lr(step) * lr_scale`` and returns the update, ``w = w - update``), executed with
the reference semantics ``search_space.execute.step`` inside one ``lax.scan`` per program
(compiled once per program and task; new seeds reuse it).

>>> from search_space.seeds import load_seed
>>> import proxies
>>> task = proxies.get_task("synth_linear_tiny")
>>> steps, losses, valid = train_curve(load_seed("lion"), task, seed=0)
>>> len(steps) == len(losses) == task.steps, bool(sum(losses[-10:]) < sum(losses[:10]))   # the loss goes down
(True, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from search_space.execute import init_states, step
from search_space.program import Program
from symopt.inspect.report.plots import curves_plot

_JIT: dict = {}


def _runner(program: Program, task):
    key = (program, id(task))
    if key in _JIT and _JIT[key][0] is task:
        return _JIT[key][1]

    grad_fn = jax.value_and_grad(task.loss)

    def run(seed, lr_scale):
        init_key, data_key = jax.random.split(jax.random.PRNGKey(seed))
        params = task.init(init_key)
        states = init_states(program, params)

        def body(carry, i):
            params, states = carry
            loss, grads = grad_fn(params, task.batch(data_key, i))
            update, states = step(program, params, grads, states, task.lr(i) * lr_scale)
            params = jax.tree_util.tree_map(lambda w, u: (w - u).astype(w.dtype), params, update)
            return (params, tuple(states)), loss

        (params, _), losses = jax.lax.scan(body, (params, tuple(states)), jnp.arange(task.steps, dtype=jnp.int32))
        return task.valid_loss(params), losses

    fn = jax.jit(run)
    if len(_JIT) > 16:
        _JIT.clear()
    _JIT[key] = (task, fn)
    return fn


def train_curve(program: Program, task, seed: int, lr_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, float]:
    """``(steps, training loss per step, final validation loss)``; non-finite values are ``inf``."""
    valid, losses = _runner(program, task)(jnp.int32(seed), jnp.float32(lr_scale))
    losses = np.asarray(losses, float)
    losses[~np.isfinite(losses)] = math.inf
    valid = float(valid)
    return np.arange(task.steps), losses, valid if math.isfinite(valid) else math.inf


def compare(programs: dict[str, Program], task, seeds: Sequence[int] = (0, 1, 2)) -> dict[str, dict]:
    """Train every program on ``task`` once per seed.

    Args:
      programs: display name -> program.
      task: a ``proxies.Task``.
      seeds: the training seeds.

    Returns:
      Per name: ``curves`` [(steps, training losses)] per seed, ``valid`` (final validation loss per seed),
      ``mean`` and ``std`` of ``valid`` (``inf`` if a seed diverged) and ``diverged`` (how many seeds did).
    """
    out = {}
    for name, prog in programs.items():
        runs = [train_curve(prog, task, s) for s in seeds]
        valid = [r[2] for r in runs]
        finite = [v for v in valid if math.isfinite(v)]
        out[name] = {"curves": [(r[0], r[1]) for r in runs], "valid": valid,
                     "mean": float(np.mean(finite)) if len(finite) == len(valid) else math.inf,
                     "std": float(np.std(finite)) if len(finite) == len(valid) else math.inf,
                     "diverged": len(valid) - len(finite)}
    return out


def summary(results: dict[str, dict], task_name: str) -> str:
    """Text table: final validation loss mean ± std over seeds, best first."""
    width = max([len("program")] + [len(n) for n in results])
    lines = [f"task {task_name}: final validation loss over {len(next(iter(results.values()))['valid'])} seeds "
             "(lower is better)", f"{'program'.ljust(width)}  valid loss (mean ± std)  diverged"]
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["mean"]):
        val = f"{r['mean']:.4g} ± {r['std']:.3g}" if math.isfinite(r["mean"]) else "inf (diverged)"
        lines.append(f"{name.ljust(width)}  {val.ljust(23)}  {r['diverged']}")
    return "\n".join(lines)


def plot(results: dict[str, dict], task_name: str, path: str | os.PathLike) -> Path:
    """Write the training-loss curves of :func:`compare`'s ``results`` (mean, min-max band) as a PNG."""
    return curves_plot({n: r["curves"] for n, r in results.items()}, f"training loss on {task_name}", Path(path))
