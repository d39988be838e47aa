"""Where each tuned optimizer leaves its error on a ``lanes_linear`` task (``proxy_table.py --spectrum``).

The excess validation loss 0.5 * sum_i eig_i * ((Q (w - w*))_i)^2 is split by quarters of the input
spectrum (stiffest to flattest), from the final weights of the seed programs written in optax
(proxies.gate), each at its best lr scale of x(1/3, 1, 3):

    python benchmarks/proxy_table.py --spectrum lion_lanes_a --seeds 5
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import proxies


def final_params(task, tx):
    """``(seeds, lr_scale) -> (final params, validation loss)`` per seed of ``tx`` on ``task``, jitted."""
    grad_fn = jax.value_and_grad(task.loss)

    def run(seed, lr_scale):
        init_key, data_key = jax.random.split(jax.random.PRNGKey(seed))
        params = task.init(init_key)

        def step(carry, i):
            params, state = carry
            _, g = grad_fn(params, task.batch(data_key, i))
            u, state = tx.update(g, state, params)
            u = jax.tree_util.tree_map(lambda x: x * task.lr(i) * lr_scale, u)
            return (optax.apply_updates(params, u), state), None

        (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), jnp.arange(task.steps, dtype=jnp.int32))
        return params, task.valid_loss(params)
    return jax.jit(jax.vmap(run, in_axes=(0, None)))


def _problem(name: str, overrides: dict):
    """The task and its lanes' rotations ``q`` (lanes, d, d), spectrum ``eig`` (d) and teachers ``w*``
    (lanes, d, k)."""
    from proxies.families.lanes import lane_problems

    cfg = proxies.task_config(name, **overrides)
    if cfg["model"] != "lanes_linear":
        raise ValueError(f"--spectrum needs a lanes_linear task, {name!r} is {cfg['model']}")
    task = proxies.get_task(name, **overrides)
    probs = lane_problems(cfg)
    q = np.stack([p["rotation"] for p in probs])
    w_star = np.stack([p["w_teacher"] for p in probs])
    return task, q, probs[0]["eig"], w_star


def _row(name: str, fn, seeds: list[int], q, eig, w_star, quarters) -> tuple:
    """``(optimizer, lr scale, valid loss, excess loss per quarter, bias)`` at the tuned lr scale."""
    from proxies.gate import LR_GRID
    from proxies.gate import tune as gate_tune

    outs = [fn(jnp.asarray(seeds, jnp.int32), jnp.float32(c)) for c in LR_GRID]
    k, _ = gate_tune(np.array([np.asarray(v, np.float64) for _, v in outs]))
    params, valid = outs[k]
    w = np.asarray(params[0]["w"], np.float64)           # (seeds, lanes, d, k)
    b = np.asarray(params[0]["b"], np.float64)           # (seeds, lanes, k)
    delta = np.einsum("lij,slja->slia", q, w - w_star[None])       # error in the eigenbasis
    per_dir = 0.5 * eig[None, None, :] * np.sum(delta ** 2, axis=-1)  # (seeds, lanes, d)
    parts = [float(per_dir[:, :, qi].sum(-1).mean()) for qi in quarters]
    bias = float((0.5 * np.sum(b ** 2, axis=-1)).mean())
    return name, LR_GRID[k], float(np.mean(np.asarray(valid))), parts, bias


def _print_table(rows: list[tuple], eig, quarters) -> None:
    lo = lambda qi: f"{eig[quarters[qi][0]]:.0e}-{eig[quarters[qi][-1]]:.0e}"  # noqa: E731
    print("| optimizer | lr scale | valid loss | " + " | ".join(f"eig {lo(i)}" for i in range(4)) + " | bias |")
    print("|---|---|---|" + "---|" * 5)
    for o, c, v, parts, bias in rows:
        print(f"| {o} | x{c:.3g} | {v:.5f} | " + " | ".join(f"{x:.5f}" for x in parts) + f" | {bias:.5f} |")


def run_spectrum(name: str, overrides: dict, opts: list[str], n_seeds: int, log) -> int:
    """The spectrum table of the ``lanes_linear`` task ``name`` (with ``overrides``) for the seed programs
    ``opts`` (of :func:`proxies.gate.seed_transforms`) over seeds 0..n_seeds-1."""
    from proxies.gate import seed_transforms

    task, q, eig, w_star = _problem(name, overrides)
    seeds = list(range(n_seeds))
    txs = seed_transforms()
    bad = [o for o in opts if o not in txs]
    if bad:
        raise ValueError(f"--spectrum trains {', '.join(txs)}; not {bad[0]!r}")
    quarters = np.array_split(np.arange(len(eig)), 4)
    rows = []
    for o in opts:
        rows.append(_row(o, final_params(task, txs[o]), seeds, q, eig, w_star, quarters))
        log(f"  {o}: x{rows[-1][1]:.3g} valid {rows[-1][2]:.5f} quarters {rows[-1][3]} bias {rows[-1][4]:.2g}")
    _print_table(rows, eig, quarters)
    print(f"\n{name}{''.join(f', {k}={v}' for k, v in overrides.items())}: excess validation loss by "
          f"quarter of the input spectrum (stiffest first), mean over {len(seeds)} seeds and {len(q)} lanes; "
          "lr scale tuned on x(1/3, 1, 3)")
    return 0
