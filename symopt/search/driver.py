"""The search loop: regularized evolution -> batches -> workers -> log, cache, funnel, hall of fame.

The programs come from the :class:`~symopt.search.engine.Engine` (the same
one :func:`symopt.search.evolve` runs in-process); this module schedules them
on the worker pool, walks them through the funnel, logs them and keeps the
hall of fame.

Determinism: proposals are asked at fixed points (after each told batch) and
results are told strictly in submission order, so the same seed and the same
worker count give the same sequence of programs and fitnesses whatever order
the workers finish in.  Resume restores the last checkpoint (engine, counters,
cache, batches in flight) and replays candidates logged after it from
``evaluations.jsonl``: none is lost, none is logged twice.  A run killed before
its first checkpoint is recovered from its log alone (:func:`symopt.search.checkpoints.recover`):
every logged evaluation is told again, in order, and the search continues.
Checkpoints are written every ``run.checkpoint_every`` candidates and at least
every ``run.checkpoint_seconds`` seconds.
Collaborators: :class:`~symopt.search.jobs.Scheduler` (jobs on the pool, in
submission order), :mod:`symopt.search.checkpoints` (checkpoint, resume,
recovery from the log), :class:`~symopt.search.funnel.Promoter` (promotion
through the funnel), :class:`~symopt.search.halloffame.HallOfFame`.  Entry
points (pool, fresh or resumed run) are in :mod:`symopt.search.run`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from filekit.nonfinite import none_to_inf
from proxies import load_funnel
from search_space.parser import parse
from search_space.program import one_line
from search_space.seeds import seed_source
from search_space.spaces import load_space
from symopt import interrupts
from symopt.cache import FunctionalCache
from symopt.config import Config
from symopt.errors import UserError
from symopt.located import check_located
from symopt.rundir import RunDir
from symopt.search import checkpoints
from symopt.search.engine import Cand, Engine
from symopt.search.funnel import Promoter, promoted, selection_score
from symopt.search.halloffame import HallOfFame
from symopt.search.jobs import Job, Scheduler
from symopt.search.metavalidation import MetaValidation
from symopt.search.options import EvolveOptions
from symopt.search.progress import Progress
from symopt.search.protocols import WorkerPool
from symopt.search.result import SearchResult


def start_parts(cfg: Config) -> tuple:
    """The space, seed program, funnel and search stages of ``cfg``, each checked.

    :func:`symopt.search.run.run_search` calls it before a run directory is written.

    Args:
      cfg: the resolved configuration.

    Returns:
      ``(space, seed program, funnel, names of the stages the search uses)``.

    Raises:
      UserError: an unknown space or funnel, or more search stages than the funnel has (one line).
      ProgramError: a seed program that is unreadable, invalid or outside the space (one located line).
    """
    s, fu = cfg.search, cfg.funnel
    space = load_space(s.space)
    seed, text, where = seed_source(s.seed_program)
    problem = check_located(seed, text, where, space=space)
    if problem is not None:
        raise problem
    try:
        funnel = load_funnel(fu.name)
    except ValueError as exc:
        raise UserError(f"funnel: {exc}") from None
    used = fu.search_stages or len(funnel.stages)
    if used > len(funnel.stages):
        raise UserError(f"key 'funnel.search_stages' ({used}) exceeds the {len(funnel.stages)} stages of "
                        f"funnel {funnel.name!r}")
    return space, seed, funnel, tuple(st.name for st in funnel.stages[:used])


class Search:
    """One search: the engine's proposals through the funnel on the pool, logged, cached, ranked.

    Args:
      cfg: the resolved configuration.
      rundir: the run directory (locked).
      pool: the worker pool.
      progress: where progress is reported (default: nowhere).

    Attributes:
      engine: the :class:`~symopt.search.engine.Engine` (``None`` until the seed is scored).
      hof: the hall of fame.
      cache: fitness per stage, by functional hash.
      counters: candidates, evaluated, cached and other figures.
    """

    def __init__(self, cfg: Config, rundir: RunDir, *, pool: WorkerPool | None = None,
                 progress: Progress | None = None):
        self.cfg, self.rundir = cfg, rundir
        s, fu, rc = cfg.search, cfg.funnel, cfg.ray
        self.space, seed, self.funnel, self.stages = start_parts(cfg)   # stages: the ones the search uses
        self.seed_cand = Cand.of(seed)
        self.options = EvolveOptions.from_config(cfg)
        self.rank = fu.rank
        self.promoter = Promoter(self.stages, {st.name: st.promote_top for st in self.funnel.stages}, fu.window,
                                 fu.promote_margin)
        self.hof = HallOfFame(cfg.run.hall_of_fame, self.stages)
        self.rng = np.random.default_rng(s.seed)
        self.cache = FunctionalCache()           # keyed by functional hash: fitness per stage
        self.meta = MetaValidation(self)
        self.engine: Engine | None = None         # made once the seed is scored
        self.seed_fitness: dict = {}
        self.pool = pool
        self.jobs = Scheduler(pool, self._cached_walk, self.stages, str(rundir.path))
        self.in_flight = max(1, rc.workers * rc.in_flight) if rc.workers else rc.in_flight
        self.progress = progress or Progress(enabled=False)
        self.counters = dict(candidates=0, evaluated=0, cached=0, resubmitted=0)
        self.last_meta = self.last_checkpoint = 0
        self.last_checkpoint_time = time.monotonic()
        self.elapsed0 = 0.0
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        """Seconds the search has run, earlier sessions of a resumed run included.

        Returns:
          The seconds.
        """
        return self.elapsed0 + time.monotonic() - self.t0

    def score(self, fitness: dict) -> tuple:
        """The engine's score of a fitness dict (see :func:`~symopt.search.funnel.selection_score`).

        Args:
          fitness: ``{stage: value | None}``.

        Returns:
          The sort key (lower is better).
        """
        return selection_score({k: none_to_inf(v) for k, v in fitness.items()}, self.stages, self.rank)

    def _cached_walk(self, h: str, thresholds: dict) -> tuple[dict, bool]:
        """Stages known from the cache, and whether they settle the candidate (no evaluation needed)."""
        known = {}
        for k, stage in enumerate(self.stages):
            value = self.cache.get(h, stage)
            if value is None:
                return known, False
            known[stage] = value if math.isfinite(value) else None
            if k + 1 == len(self.stages) or not promoted(value, thresholds.get(stage)):
                return known, True
        return known, True

    # -- proposing and telling ---------------------------------------------------
    def _fill(self) -> None:
        budget, limit = self.cfg.search.budget, self.cfg.search.time
        while self.jobs.eval_in_flight() < self.in_flight:
            if limit and self.elapsed() >= limit:
                return
            n = self.cfg.ray.batch_size
            n = min(n, budget - self.jobs.next_eval_id) if budget else n
            if n <= 0:
                return
            entries = [(p.candidate, p.parent.hash if p.parent else None, p.mutation, p.island)
                       for p in self.engine.ask(n)]
            self.jobs.submit(self.jobs.eval_job(entries, self.promoter.thresholds()))

    def _tell(self, job: Job) -> None:
        got = self.jobs.collect(job)
        if job.kind == "meta":
            self.meta.tell(job, got.get("meta", []))
            return
        new_records = []
        for c in job.cands:
            value = got[c["id"]]
            if isinstance(value, dict):      # replayed from the log
                rec = value
            else:
                rec = self._record(c, *value)
                new_records.append(rec)
            self.account(c, rec)
        self.rundir.append_evaluations(new_records)

    def _record(self, c: dict, fitness: dict, seconds: float, worker: str) -> dict:
        """The log line of candidate ``c`` (one line of ``evaluations.jsonl``)."""
        return {"eval_id": c["id"], "hash": c["hash"], "parent": c["parent"], "mutation": c["mutation"],
                "program": c["program"], "fitness": fitness, "seconds": seconds, "worker": worker,
                "cached": c["cached"], "time": round(self.elapsed(), 3), "island": c.get("island", 0)}

    def account(self, c: dict, rec: dict) -> None:
        """Tell one logged evaluation to the counters, cache, funnel, engine and hall of fame.

        The first one (the seed) starts the engine (:meth:`start`).

        Args:
          c: the candidate (``hash``, ``program``, ``island``).
          rec: its record (a line of ``evaluations.jsonl``).
        """
        self.counters["candidates"] += 1
        self.counters["cached" if rec["cached"] else "evaluated"] += 1
        # children the mutator generated on the way whose functional hash equalled the parent's: each is a
        # program caught by the hash without training (the neutral steps listed in the logged mutation)
        self.counters["neutral"] = self.counters.get("neutral", 0) + (rec.get("mutation") or "").count("; ")
        for stage, value in rec["fitness"].items():
            self.cache.put(c["hash"], stage, value)
        if not rec["cached"]:
            self.promoter.record(rec["fitness"])
        if self.engine is None:       # the seed
            self.start(rec["fitness"])
        else:
            self.engine.tell(Cand.parse(c["program"]) if c["hash"] != self.seed_cand.hash else self.seed_cand,
                             self.score(rec["fitness"]), island=c.get("island", 0))
        self.hof.add(rec)

    def start(self, seed_fitness: dict) -> None:
        """Make the engine, once the seed's fitness is known (its whole population starts as the seed).

        Args:
          seed_fitness: the seed's ``{stage: value | None}``.
        """
        self.seed_fitness = dict(seed_fitness)
        self.promoter.seed(self.seed_fitness)
        self.engine = Engine(self.seed_cand.program, self.space, self.options, rng=self.rng,
                             seed_score=self.score(self.seed_fitness))

    # -- the loop -----------------------------------------------------------------
    def _score_seed(self) -> None:
        """Evaluation 0: the seed on every stage, one job per stage (dearest first).

        The workers build the stages' trainers in parallel instead of one worker building them all.
        """
        job = self.jobs.eval_job([(self.seed_cand, None, "seed", 0)], {s: None for s in self.stages})
        ids = {stage: self.jobs.submit_raw({"kind": "score", "items": [{"program": self.seed_cand.text}],
                                            "stage": stage, "seeds": None}) for stage in reversed(self.stages)}
        fitness, seconds, workers = {}, 0.0, set()
        for stage in self.stages:
            res, worker = self.jobs.answer(ids[stage])
            fitness[stage], seconds = res["results"][0], seconds + res["busy"]
            workers.add(worker)
        c = job.cands[0]
        rec = self._record(c, fitness, seconds, "+".join(sorted(workers)))
        self.account(c, rec)
        self.rundir.append_evaluations([rec])
        self._show(force=True)

    def checkpoint(self) -> None:
        """Write a checkpoint and the hall of fame (:func:`symopt.search.checkpoints.write`)."""
        checkpoints.write(self)
        self.last_checkpoint = self.counters["candidates"]
        self.last_checkpoint_time = time.monotonic()

    def _checkpoint_due(self) -> bool:
        run = self.cfg.run
        return (self.counters["candidates"] - self.last_checkpoint >= run.checkpoint_every
                or time.monotonic() - self.last_checkpoint_time >= run.checkpoint_seconds)

    def run(self) -> SearchResult:
        """Run the search to its budget or time limit, then meta-validate the top and checkpoint.

        A fresh run scores the seed on every stage first.

        Returns:
          The best program of the hall of fame, its fitness, the hall of fame and :meth:`figures`.
        """
        if self.engine is None:   # a fresh run: evaluate the seed on every stage first
            self.progress.note(f"warming up: the workers build the trainers of stages {', '.join(self.stages)} "
                               f"and score the seed ({self.seed_cand.hash}) on each")
            self._score_seed()
        meta_every = self.cfg.funnel.meta_every
        while True:
            interrupts.check()               # a signal whose exception Python dropped (symopt.interrupts)
            self._fill()
            if not self.jobs.pending:
                break
            job = self.jobs.pending.popleft()
            self._tell(job)
            n = self.counters["candidates"]
            if job.kind == "eval":
                if meta_every and n - self.last_meta >= meta_every:
                    self.last_meta = n
                    self.meta.submit()
                if self._checkpoint_due():
                    self.checkpoint()
            self._show()
        if self.cfg.funnel.meta_top and self.last_meta != self.counters["candidates"]:
            self.last_meta = self.counters["candidates"]
            self.meta.submit()
            while self.jobs.pending:
                self._tell(self.jobs.pending.popleft())
        self.checkpoint()
        self._show(force=True)
        self.progress.close()
        best = self.hof.best()
        return SearchResult(parse(best["program"]) if best else None, best["fitness"] if best else {},
                            self.hof.entries(), self.figures(), run_dir=self.rundir.path)

    def figures(self) -> dict:
        """The search's figures.

        Returns:
          The counters, the engine's counters, busy seconds, cache hit rates, elapsed seconds and
          the jobs resubmitted.
        """
        c = dict(self.counters)
        c["busy_seconds"] = self.jobs.busy_seconds
        c.update(self.engine.counters if self.engine else {})
        asked = max(1, c["candidates"] - 1)   # the seed is not a proposal
        c["cache_hit_rate"] = c["cached"] / asked
        neutral = c.get("neutral", 0)
        c["cache_hit_rate_generated"] = (c["cached"] + neutral) / (asked + neutral)
        c["elapsed"] = self.elapsed()
        c["resubmitted"] = getattr(self.pool, "resubmitted", 0)
        return c

    def _show(self, force: bool = False) -> None:
        best = self.hof.best()
        score = selection_score(best["fitness"], self.stages, "stage")[1] if best else None
        self.progress.update(force=force, evaluations=self.counters["candidates"], elapsed=self.elapsed(),
                             hit_rate=self.counters["cached"] / max(1, self.counters["candidates"] - 1),
                             best=score, program=one_line(parse(best["program"])) if best else "",
                             budget=self.cfg.search.budget or None, time_limit=self.cfg.search.time or None)
