"""``symopt bench search``: Ray scaling (2 workers vs 1), cache hit rate from AdamW, worker idle share.

Both worker counts run in this one process on the same configuration, after a warm-up that builds
each worker's evaluator, so the ratio compares steady-state throughput side by side.
Keys (stable): ``ray_scaling_2v1``, ``cache_hit_rate``, ``idle_fraction``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def _config(run_dir: Path, workers: int, budget: int, seed: int = 0) -> dict:
    from symopt.config import load_config

    return load_config(overrides={
        "search": {"budget": budget, "run_dir": str(run_dir), "seed": seed},
        "funnel": {"name": "test", "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 100, "tournament": 3},
        "ray": {"workers": workers, "batch_size": 16, "in_flight": 2}, "run": {"checkpoint_every": 10_000}})


def _timed(workers: int, budget: int, root: Path, log) -> dict:
    from symopt.search import run_search
    from symopt.search.workers import RayPool

    pool = RayPool("test", workers)
    try:
        run_search(_config(root / f"warm{workers}", workers, 2 * workers * 16 + 1, seed=99), pool=pool)
        t0 = time.perf_counter()
        result = run_search(_config(root / f"run{workers}", workers, budget), pool=pool)
        wall = time.perf_counter() - t0
    finally:
        pool.close()
    c = result.counters
    figures = {"wall": wall, "evaluated": c["evaluated"], "eval_per_s": c["evaluated"] / wall,
               "cache_hit_rate": c["cache_hit_rate"], "idle": max(0.0, 1 - c["busy_seconds"] / (workers * wall))}
    if log:
        log(f"{workers} worker(s): {c['candidates']} candidates, {c['evaluated']} evaluated in {wall:.1f} s "
            f"({figures['eval_per_s']:.1f} evals/s), cache hit rate {c['cache_hit_rate']:.3f}, "
            f"idle {figures['idle']:.3f}")
    return figures


def run(quick: bool = False, log=print) -> dict:
    from symopt.search.workers import init_ray

    init_ray("", num_cpus=2)
    budget = 400 if quick else 3000
    root = Path(tempfile.mkdtemp(prefix="symopt-bench-search-"))
    try:
        one = _timed(1, budget, root, log)
        two = _timed(2, budget, root, log)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"ray_scaling_2v1": round(two["eval_per_s"] / one["eval_per_s"], 3),
            "cache_hit_rate": round(two["cache_hit_rate"], 3),
            "idle_fraction": round(two["idle"], 3)}
