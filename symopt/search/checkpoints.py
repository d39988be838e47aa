"""A search's persistence: checkpoints, resume from a checkpoint, recovery from the log alone.

``write(search)`` snapshots everything a search needs to continue (engine, promoter, hall of fame,
cache, meta-validation scores, counters, the scheduler's ids and jobs in flight) atomically;
``restore(search, state)`` continues from one, replaying candidates logged after it; ``recover(search)``
rebuilds a run killed before its first checkpoint from ``evaluations.jsonl``.  None of them loses or
duplicates a logged evaluation.
"""

from __future__ import annotations

import numpy as np

from search_space.errors import InputError
from symopt.cache import FunctionalCache
from symopt.errors import UserError


def state(search) -> dict:
    """The JSON-able snapshot of ``search`` (see the module docstring).

    Args:
      search: the running :class:`~symopt.search.driver.Search`.

    Returns:
      The snapshot, as :func:`restore` reads it.
    """
    return {
        "jobs": search.jobs.state(), "engine": search.engine.state(), "promoter": search.promoter.state(),
        "seed_fitness": search.seed_fitness, "hall_of_fame": search.hof.state(), "cache": search.cache.to_json(),
        "meta_scores": search.meta.scores, "counters": search.counters,
        "marks": [search.last_meta, search.last_checkpoint], "elapsed": search.elapsed(),
    }


def write(search) -> None:
    """Write the checkpoint and the hall of fame of ``search`` to its run directory.

    Args:
      search: the running :class:`~symopt.search.driver.Search`.
    """
    search.rundir.write_checkpoint(state(search))
    search.rundir.write_hall_of_fame(search.hof.entries())


def restore(search, st: dict) -> None:
    """Continue ``search`` from the checkpoint ``st``; candidates logged after it are replayed, not redone.

    Args:
      search: a :class:`~symopt.search.driver.Search` not started yet.
      st: the checkpoint, as :func:`state` wrote it.

    Raises:
      UserError: the checkpoint is damaged (a key missing, a value of the wrong type).
    """
    try:
        search.start(st["seed_fitness"])
        search.engine.restore(st["engine"])
        search.promoter.restore(st["promoter"])
        search.hof.restore(st["hall_of_fame"])
        search.cache = FunctionalCache.from_json(st["cache"])
        search.meta.scores = st["meta_scores"]
        search.counters.update(st["counters"])
        search.last_meta, search.last_checkpoint = st["marks"]
        search.elapsed0 = st["elapsed"]
        jobs = st["jobs"]
        missing = [k for k in ("next_eval_id", "next_job_id", "pending") if k not in jobs]
        if missing:
            raise KeyError(missing[0])
    except (KeyError, TypeError, ValueError, InputError) as exc:
        raise UserError(f"{search.rundir.path}: damaged checkpoint ({type(exc).__name__}: {exc})") from None
    done = search.counters["candidates"]
    replay = {rec["eval_id"]: rec for rec in search.rundir.evaluations() if rec.get("eval_id", -1) >= done}
    search.meta.logged = {(m.get("evaluations"), m.get("hash")) for m in search.rundir.meta_validation()}
    search.jobs.restore(jobs, replay)


def recover(search) -> None:
    """Rebuild a run that stopped before its first checkpoint from ``evaluations.jsonl`` alone.

    Every logged evaluation is told again in order (cache, funnel, hall of fame, engine), so none is
    evaluated or logged twice; the engine's random stream restarts from (seed, count): the
    continuation is deterministic, though not the one the stopped run would have taken.

    Args:
      search: a :class:`~symopt.search.driver.Search` not started yet.

    Raises:
      UserError: the log's ``eval_id`` are not 0, 1, ... in order, or a record has no hash or fitness.
    """
    records = sorted(search.rundir.evaluations(), key=lambda r: r.get("eval_id", -1))
    for k, rec in enumerate(records):
        if rec.get("eval_id") != k or rec.get("hash") is None or not isinstance(rec.get("fitness"), dict):
            raise UserError(f"{search.rundir.path}: evaluations.jsonl has no eval_id {k} in order; it cannot be "
                            "replayed")
        search.account({"id": k, "hash": rec["hash"], "program": rec["program"], "island": rec.get("island", 0)},
                       rec)
    search.jobs.next_eval_id = len(records)
    search.meta.logged = {(m.get("evaluations"), m.get("hash")) for m in search.rundir.meta_validation()}
    search.rng = np.random.default_rng([search.cfg.search.seed, len(records)])
    if search.engine is not None:
        search.engine.rng = search.rng
        for island in search.engine.islands:
            island.rng = search.rng
    search.elapsed0 = max((r.get("time", 0.0) for r in records), default=0.0)
