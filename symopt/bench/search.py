"""``symopt bench search``: Ray scaling (2 workers vs 1), cache hit rate from AdamW, worker idle share.

Both worker counts run in this one process on the same configuration, after a warm-up that builds
each worker's evaluator, so the ratio compares steady-state throughput side by side.  Scaling is
measured on the ``lion_synth`` funnel (a Ray task of 16 programs takes over a second, as on real
proxies); the cache hit rate on a longer run of the ``test`` funnel (evaluations of milliseconds).
Keys (stable): ``ray_scaling_2v1``, ``cache_hit_rate``, ``idle_fraction``; also
``cache_hit_rate_generated``: hits over every program the mutator generated, counting the children
whose functional hash equalled their parent's (caught by the hash, never trained).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def _config(run_dir: Path, workers: int, budget: int, seed: int = 0, funnel: str = "test") -> dict:
    from symopt.config import load_config

    return load_config(overrides={
        "search": {"budget": budget, "run_dir": str(run_dir), "seed": seed},
        "funnel": {"name": funnel, "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 100, "tournament": 3},
        "ray": {"workers": workers, "batch_size": 16, "in_flight": 2}, "run": {"checkpoint_every": 10_000}})


def _timed(workers: int, budget: int, root: Path, log, funnel: str) -> dict:
    from symopt.search import run_search
    from symopt.search.workers import RayPool

    pool = RayPool(funnel, workers)
    try:
        run_search(_config(root / f"warm{funnel}{workers}", workers, 2 * workers * 16 + 1, 99, funnel), pool=pool)
        t0 = time.perf_counter()
        result = run_search(_config(root / f"run{funnel}{workers}", workers, budget, 0, funnel), pool=pool)
        wall = time.perf_counter() - t0
    finally:
        pool.close()
    c = result.counters
    figures = {"wall": wall, "evaluated": c["evaluated"], "eval_per_s": c["evaluated"] / wall,
               "cache_hit_rate": c["cache_hit_rate"], "generated": c["cache_hit_rate_generated"], "idle": max(0.0, 1 - c["busy_seconds"] / (workers * wall))}
    if log:
        log(f"{funnel}, {workers} worker(s): {c['candidates']} candidates, {c['evaluated']} evaluated in {wall:.1f} s "
            f"({figures['eval_per_s']:.1f} evals/s), cache hit rate {c['cache_hit_rate']:.3f}, "
            f"idle {figures['idle']:.3f}")
    return figures


def run(quick: bool = False, log=print) -> dict:
    from symopt.search.workers import init_ray

    init_ray("", num_cpus=2)
    root = Path(tempfile.mkdtemp(prefix="symopt-bench-search-"))
    try:
        scaling_budget = 80 if quick else 240
        one = _timed(1, scaling_budget, root, log, "lion_synth")
        two = _timed(2, scaling_budget, root, log, "lion_synth")
        cache = _timed(2, 400 if quick else 3000, root, log, "test")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"ray_scaling_2v1": round(two["eval_per_s"] / one["eval_per_s"], 3),
            "cache_hit_rate": round(cache["cache_hit_rate"], 3),
            "cache_hit_rate_generated": round(cache["generated"], 3),
            "idle_fraction": round(two["idle"], 3)}
