"""``symopt bench search``: Ray scaling (2 workers vs 1), cache hit rate from AdamW, worker idle share.

Both worker counts run in this one process with the default ``[ray]`` settings (batch size, batches
in flight), after a warm-up run that builds each worker's evaluator.  Scaling compares steady-state
throughput: evaluations per second between the 25th percentile of the run's evaluations and its
last one, read from the log's time stamps (so the seed's scoring on every stage, which no second
worker can share, is left out of both).  It is measured on the ``lion_synth`` funnel (a batch takes
about half a second, as on real proxies); the cache hit rate on a longer run of the ``test`` funnel
(evaluations of milliseconds).  Keys (stable): ``ray_scaling_2v1``, ``cache_hit_rate``,
``idle_fraction``; also ``cache_hit_rate_generated``: hits over every program the mutator generated,
counting the children whose functional hash equalled their parent's (caught by the hash, never trained);
``busy_workers_2v1``: worker-busy time per second with 2 workers over that with 1 (what the pool and
the driver let the workers do; 2.0 at best); ``evaluation_slowdown_2v1``: worker seconds per evaluation
with 2 workers over that with 1 (above 1 when the workers lack CPU).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from symopt.config import load_config
from symopt.rundir import RunDir
from symopt.search import run_search
from symopt.search.cluster import start
from symopt.search.workers import RayPool

if TYPE_CHECKING:
    from symopt.config import Config


def _config(run_dir: Path, workers: int, budget: int, seed: int = 0, funnel: str = "test") -> Config:
    return load_config(overrides={
        "search": {"budget": budget, "run_dir": str(run_dir), "seed": seed},
        "funnel": {"name": funnel, "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 100, "tournament": 3},
        "ray": {"workers": workers}, "run": {"checkpoint_every": 10_000}})


def steady_rate(run_dir: Path) -> float:
    """Evaluations per second from the 25th percentile of the run's evaluations (after the seed) to its last."""
    times = [r["time"] for r in RunDir.open(run_dir).evaluations()[1:] if not r["cached"]]
    k = len(times) // 4
    return (len(times) - 1 - k) / max(times[-1] - times[k], 1e-9)


def _timed(workers: int, budget: int, root: Path, log, funnel: str) -> dict:
    pool = RayPool(funnel, workers)
    try:
        warm = _config(root / f"warm{funnel}{workers}", workers, 2 * workers * 8 + 1, 99, funnel)
        run_search(warm, pool=pool)
        t0 = time.perf_counter()
        result = run_search(_config(root / f"run{funnel}{workers}", workers, budget, 0, funnel), pool=pool)
        wall = time.perf_counter() - t0
    finally:
        pool.close()
    c = result.counters
    figures = {"wall": wall, "evaluated": c["evaluated"], "eval_per_s": steady_rate(root / f"run{funnel}{workers}"),
               "cache_hit_rate": c["cache_hit_rate"], "generated": c["cache_hit_rate_generated"],
               "idle": max(0.0, 1 - c["busy_seconds"] / (workers * wall)),
               "busy_per_eval": c["busy_seconds"] / max(1, c["evaluated"])}
    if log:
        log(f"{funnel}, {workers} worker(s): {c['candidates']} candidates, {c['evaluated']} evaluated in {wall:.1f} s "
            f"(steady {figures['eval_per_s']:.1f} evals/s), cache hit rate {c['cache_hit_rate']:.3f}, "
            f"idle {figures['idle']:.3f}, {figures['busy_per_eval']:.3f} worker-s per evaluation")
    return figures


def run(quick: bool = False, log=print) -> dict:
    start("", num_cpus=2)
    root = Path(tempfile.mkdtemp(prefix="symopt-bench-search-"))
    try:
        scaling_budget = 100 if quick else 400
        one = _timed(1, scaling_budget, root, log, "lion_synth")
        two = _timed(2, scaling_budget, root, log, "lion_synth")
        cache = _timed(2, 400 if quick else 3000, root, log, "test")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"ray_scaling_2v1": round(two["eval_per_s"] / one["eval_per_s"], 3),
            # the ceiling the pool allows: workers kept busy with 2 vs 1 (the rest is CPU the workers lack)
            "busy_workers_2v1": round(2 * (1 - two["idle"]) / (1 - one["idle"]), 3),
            # > 1: an evaluation took longer with 2 workers (cores shared with the driver or other jobs)
            "evaluation_slowdown_2v1": round(two["busy_per_eval"] / one["busy_per_eval"], 3),
            "cache_hit_rate": round(cache["cache_hit_rate"], 3),
            "cache_hit_rate_generated": round(cache["generated"], 3),
            "idle_fraction": round(two["idle"], 3)}
