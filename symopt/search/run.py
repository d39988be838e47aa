"""Entry points of a search: the worker pool, a fresh or resumed run.

Everything a start can refuse is checked before the run directory is written: the configuration
(:mod:`symopt.config`), the space, seed program and funnel (:func:`~symopt.search.driver.start_parts`),
the run directory, the Ray cluster and its capacity (:mod:`symopt.search.cluster`), and for a resume
the run itself (:mod:`symopt.search.resume`).  A fresh run that fails before it logged a candidate
leaves no run directory behind (:meth:`~symopt.rundir.RunDir.discard`).

>>> from symopt.config import load_config
>>> cfg = load_config(overrides={"search": {"budget": 0}})
>>> cfg.search.budget
0
"""

from __future__ import annotations

import os
import time

from symopt.config import Config, dumps
from symopt.rundir import RunDir
from symopt.search import checkpoints, cluster, device
from symopt.search import resume as resuming
from symopt.search.driver import Search, SearchResult, start_parts
from symopt.search.progress import Progress
from symopt.search.resume import resume_config
from symopt.search.workers import Pool, RayPool

__all__ = ["default_run_dir", "make_pool", "resume_config", "run_search"]


def default_run_dir() -> str:
    """The run directory of a search given none: ``runs/search-<UTC date and time>``.

    Returns:
      The relative path.

    >>> default_run_dir().startswith(os.path.join("runs", "search-"))
    True
    """
    return os.path.join("runs", time.strftime("search-%Y%m%d-%H%M%S", time.gmtime()))


def make_pool(cfg: Config):
    """The worker pool of ``cfg``: in this process (``ray.workers = 0``) or Ray actors.

    The actors run on the cluster of ``ray.address``, started or joined and its capacity checked
    (:func:`symopt.search.cluster.connect`).

    Args:
      cfg: the resolved configuration.

    Returns:
      A :class:`~symopt.search.workers.Pool` or a :class:`~symopt.search.workers.RayPool`.
    """
    rc, name, grid = cfg.ray, cfg.funnel.name, cfg.funnel.lr_grid
    _, _, funnel, _ = start_parts(cfg)
    if rc.workers == 0:
        return Pool(name, lr_grid=grid, strategy=cfg.evaluation.strategy)
    cluster.connect(rc)
    return RayPool(name, rc.workers, gpus_per_worker=rc.gpus_per_worker, max_restarts=rc.max_restarts,
                   deadline=rc.batch_deadline, warm=tuple(s.name for s in funnel.stages[:1]), lr_grid=grid,
                   strategy=cfg.evaluation.strategy)


def _created(config: Config) -> RunDir:
    """The new run directory of ``config`` (locked), its config and identity written."""
    rundir = RunDir.create(config.search.run_dir, dumps(config), lock=True)
    try:
        rundir.write_identity(resuming.identity(config))
    except BaseException:
        rundir.discard()
        raise
    return rundir


def _resumed(path, config: Config) -> tuple[RunDir, resuming.Plan]:
    """The run directory to continue (locked) and what it resumes from.

    It reads only, so that a refused resume changes no file.
    """
    rundir = RunDir.open(path).lock()     # one writer per run directory: see RunDir.lock
    try:
        return rundir, resuming.plan(rundir, config)
    except BaseException:
        rundir.unlock()
        raise


def run_search(config: Config, *, resume: str | os.PathLike | None = None, pool=None,
               progress: Progress | None = None) -> SearchResult:
    """Run (or, with ``resume=DIR``, continue) a search configured by ``config`` (see :mod:`symopt.config`).

    A fresh run is sized for the evaluators' device (:func:`symopt.search.device.adapt`) unless a
    pool is given; a fresh run that fails leaves no run directory behind.

    Args:
      config: the resolved configuration.
      resume: the run directory to continue (its configuration is checked against ``config``).
      pool: the worker pool to use (default: :func:`make_pool`'s, closed at the end).
      progress: where progress is reported (default: none).

    Returns:
      The search's result.

    Raises:
      UserError: the configuration, the run directory or the cluster refuses the start.
      ProgramError: the seed program is unreadable, invalid or outside the space.
    """
    start_parts(config)
    rundir, plan = None, None
    if resume is None:
        if pool is None:
            config, _ = device.adapt(config)    # batch and population sized for the evaluators' device
        path = str(config.search.run_dir or default_run_dir())
        config = config.override({"search": {"run_dir": path}}, "run directory")
        RunDir.check_new(path)
    else:
        rundir, plan = _resumed(resume, config)
    own_pool = pool is None
    try:
        pool = pool or make_pool(config)
        rundir = rundir or _created(config)
        search = Search(config, rundir, pool=pool, progress=progress)
        if plan is not None:
            resuming.apply(rundir, config, plan)
            if plan.state is not None:
                checkpoints.restore(search, plan.state)
            elif plan.records:
                checkpoints.recover(search)   # no usable checkpoint: rebuilt from the log
        return search.run()
    except Exception:
        if resume is None and rundir is not None:
            rundir.discard()         # a start that logged nothing leaves nothing behind
        raise
    finally:
        if own_pool and pool is not None:
            pool.close()
        if rundir is not None:
            rundir.unlock()
