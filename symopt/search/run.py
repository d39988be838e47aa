"""Entry points of a search: the worker pool, a fresh or resumed run, a run's resolved config.

>>> from symopt.config import load_config
>>> cfg = load_config(overrides={"search": {"budget": 0}})
>>> cfg.search.budget
0
"""

from __future__ import annotations

import os
import time

from symopt.config import Config, default_config, dumps, merge
from symopt.errors import UserError
from symopt.rundir import RunDir
from symopt.search import checkpoints, device
from symopt.search.driver import Search, SearchResult
from symopt.search.progress import Progress


def default_run_dir() -> str:
    return os.path.join("runs", time.strftime("search-%Y%m%d-%H%M%S", time.gmtime()))


def make_pool(cfg: Config):
    from proxies import load_funnel
    from symopt.search.workers import Pool, RayPool, init_ray

    rc, name, grid = cfg.ray, cfg.funnel.name, cfg.funnel.lr_grid
    try:
        stages = tuple(s.name for s in load_funnel(name).stages)
    except ValueError as exc:
        raise UserError(f"funnel: {exc}") from None
    strategy = cfg.evaluation.strategy
    if rc.workers == 0:
        return Pool(name, lr_grid=grid, strategy=strategy)
    init_ray(rc.address, num_cpus=max(rc.workers, os.cpu_count() or 1))
    return RayPool(name, rc.workers, gpus_per_worker=rc.gpus_per_worker, max_restarts=rc.max_restarts,
                   deadline=rc.batch_deadline, warm=stages[:1], lr_grid=grid, strategy=strategy)


def run_search(config: Config, *, resume: str | os.PathLike | None = None, pool=None,
               progress: Progress | None = None) -> SearchResult:
    """Run (or, with ``resume=DIR``, continue) a search configured by ``config`` (see :mod:`symopt.config`)."""
    if resume is not None:
        rundir = RunDir.open(resume).lock()     # one writer per run directory: see RunDir.lock
    else:
        if pool is None:
            config, _ = device.adapt(config)    # batch and population sized for the evaluators' device
        path = config.search.run_dir or default_run_dir()
        config = config.override({"search": {"run_dir": str(path)}}, "run directory")
        rundir = RunDir.create(path, dumps(config), lock=True)
    own_pool = pool is None
    try:
        state = None
        if resume is not None:
            state = rundir.checkpoint()
            rundir.repair_log()
        pool = pool or make_pool(config)
        search = Search(config, rundir, pool=pool, progress=progress)
        if state is not None:
            checkpoints.restore(search, state)
        elif resume is not None and rundir.evaluations():
            checkpoints.recover(search)   # stopped before its first checkpoint: rebuilt from the log
        return search.run()
    finally:
        if own_pool and pool is not None:
            pool.close()
        rundir.unlock()


def resume_config(path: str | os.PathLike, overrides: dict | None = None) -> Config:
    """The resolved config of the run at ``path`` (with ``overrides`` applied and written back)."""
    rundir = RunDir.open(path)
    raw = rundir.config()
    cfg = merge(default_config(), raw, str(rundir.child("config.toml")))
    if overrides:
        cfg = merge(cfg, overrides, "command line")
        rundir.lock()
        try:
            rundir.write_config(dumps(cfg))
        finally:
            rundir.unlock()
    return cfg
