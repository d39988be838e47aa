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
its first checkpoint is recovered from its log alone (:meth:`Search.recover`):
every logged evaluation is told again, in order, and the search continues.
Checkpoints are written every ``run.checkpoint_every`` candidates and at least
every ``run.checkpoint_seconds`` seconds.
Entry points (pool, fresh or resumed run) are in :mod:`symopt.search.run`.
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np

from search_space.errors import InputError
from search_space.parse import parse
from search_space.printer import one_line
from symopt.cache import FunctionalCache
from symopt.errors import UserError
from symopt.rundir import RunDir
from symopt.search.engine import Cand, Engine
from symopt.search.funnel import Promoter, promoted, selection_score
from symopt.search.halloffame import HallOfFame
from symopt.search.options import EvolveOptions
from symopt.search.progress import Progress
from symopt.search.result import SearchResult


class Search:
    def __init__(self, cfg: dict, rundir: RunDir, *, pool=None, progress: Progress | None = None):
        from proxies import load_funnel
        from search_space.seeds import load_seed
        from search_space.spaces import load_space

        self.cfg, self.rundir = cfg, rundir
        s, fu, rc = cfg["search"], cfg["funnel"], cfg["ray"]
        self.space = load_space(s["space"])
        self.seed_cand = Cand.of(load_seed(s["seed_program"]))
        self.options = EvolveOptions.from_config(cfg)
        try:
            self.funnel = load_funnel(fu["name"])
        except ValueError as exc:
            raise UserError(f"funnel: {exc}") from None
        used = fu["search_stages"] or len(self.funnel.stages)
        if used > len(self.funnel.stages):
            raise UserError(f"key 'funnel.search_stages' ({used}) exceeds the {len(self.funnel.stages)} stages of "
                            f"funnel {self.funnel.name!r}")
        self.stages = tuple(st.name for st in self.funnel.stages[:used])   # the stages the search uses
        self.rank = fu["rank"]
        self.promoter = Promoter(self.stages, {st.name: st.promote_top for st in self.funnel.stages}, fu["window"],
                                 fu["promote_margin"])
        self.hof = HallOfFame(cfg["run"]["hall_of_fame"], self.stages, self.rank)
        self.rng = np.random.default_rng(s["seed"])
        self.cache = FunctionalCache()           # keyed by functional hash: fitness per stage
        self.meta_scores: dict[str, list] = {}   # hash -> [meta, heldout]
        self.engine: Engine | None = None         # made once the seed is scored
        self.seed_fitness: dict = {}
        self.pool = pool
        self.in_flight = max(1, rc["workers"] * rc["in_flight"]) if rc["workers"] else 1
        self.progress = progress or Progress(enabled=False)
        self.pending: deque[dict] = deque()
        self.replay: dict[int, dict] = {}
        self.meta_logged: set = set()
        self.next_eval_id = self.next_job_id = 0
        self.counters = dict(candidates=0, evaluated=0, cached=0, busy_seconds=0.0, resubmitted=0)
        self.last_meta = 0
        self.last_checkpoint = 0
        self.last_checkpoint_time = time.monotonic()
        self.elapsed0 = 0.0
        self.t0 = time.monotonic()

    # -- helpers ------------------------------------------------------------
    def elapsed(self) -> float:
        return self.elapsed0 + time.monotonic() - self.t0

    def score(self, fitness: dict) -> tuple:
        return selection_score(fitness, self.stages, self.rank)

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

    # -- jobs ---------------------------------------------------------------
    def _job(self, entries: list[tuple[Cand, str | None, str, int]], thresholds: dict) -> dict:
        cands = []
        for cand, parent, mutation, island in entries:
            known, settled = self._cached_walk(cand.hash, thresholds)
            cands.append({"id": self.next_eval_id, "program": cand.text, "hash": cand.hash, "parent": parent,
                          "mutation": mutation, "known": known, "cached": settled, "island": island})
            self.next_eval_id += 1
        job = {"job": self.next_job_id, "kind": "eval", "cands": cands, "thresholds": thresholds}
        self.next_job_id += 1
        return job

    def _payload(self, job: dict) -> dict | None:
        if job["kind"] == "meta":
            return {"kind": "meta", "items": job["items"], "heldout_seeds": job["heldout_seeds"]} \
                if job["items"] else None
        items = [{"id": c["id"], "program": c["program"], "known": c["known"]} for c in job["cands"]
                 if not c["cached"] and c["id"] not in self.replay]
        return {"kind": "eval", "items": items, "thresholds": job["thresholds"], "stages": list(self.stages)} \
            if items else None

    def _submit(self, job: dict) -> None:
        payload = self._payload(job)
        if payload is not None:
            self.pool.submit(job["job"], payload)
        job["submitted"] = payload is not None
        self.pending.append(job)

    def _can_ask(self) -> int:
        budget, limit = self.cfg["search"]["budget"], self.cfg["search"]["time"]
        if limit and self.elapsed() >= limit:
            return 0
        n = self.cfg["ray"]["batch_size"]
        return min(n, budget - self.next_eval_id) if budget else n

    def _fill(self) -> None:
        while sum(j["kind"] == "eval" for j in self.pending) < self.in_flight:
            n = self._can_ask()
            if n <= 0:
                return
            props = self.engine.ask(n)
            entries = [(p.candidate, p.parent.hash if p.parent else None, p.mutation, p.island) for p in props]
            self._submit(self._job(entries, self.promoter.thresholds()))

    def _collect(self, job: dict) -> dict:
        """{eval id: (fitness, seconds, worker)} for the job's candidates, evaluating what is needed."""
        out = {}
        if job["submitted"]:
            res, worker = self._answer(job["job"])
            self.counters["busy_seconds"] += res["busy"]
            if job["kind"] == "meta":
                return {"meta": res["results"]}
            for r in res["results"]:
                out[r["id"]] = (r["fitness"], r["seconds"], worker)
        for c in job.get("cands", ()):
            if c["id"] in self.replay:
                rec = self.replay.pop(c["id"])
                if rec.get("hash") != c["hash"]:
                    raise UserError(f"{self.rundir.path}: evaluations.jsonl eval_id {c['id']} does not match "
                                    "the checkpoint (log and checkpoint come from different runs?)")
                out[c["id"]] = rec
            elif c["cached"]:
                out[c["id"]] = (c["known"], 0.0, "cache")
        return out

    def _answer(self, job_id: int) -> tuple[dict, str]:
        """A worker's answer to a job; a configuration error it met becomes one UserError line here."""
        res, worker = self.pool.result(job_id)
        if res.get("error"):
            raise UserError(res["error"])
        return res, worker

    # -- telling ------------------------------------------------------------
    def _tell(self, job: dict) -> None:
        got = self._collect(job)
        if job["kind"] == "meta":
            self._tell_meta(job, got.get("meta", []))
            return
        new_records = []
        for c in job["cands"]:
            value = got[c["id"]]
            if isinstance(value, dict):      # replayed from the log
                rec = value
            else:
                rec = self._record(c, *value)
                new_records.append(rec)
            self._account(c, rec)
        self.rundir.append_evaluations(new_records)

    def _record(self, c: dict, fitness: dict, seconds: float, worker: str) -> dict:
        """The log line of candidate ``c`` (one line of ``evaluations.jsonl``)."""
        return {"eval_id": c["id"], "hash": c["hash"], "parent": c["parent"], "mutation": c["mutation"],
                "program": c["program"], "fitness": fitness, "seconds": seconds, "worker": worker,
                "cached": c["cached"], "time": round(self.elapsed(), 3), "island": c.get("island", 0)}

    def _account(self, c: dict, rec: dict) -> None:
        fitness = {k: (math.inf if v is None else v) for k, v in rec["fitness"].items()}
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
            self._start(rec["fitness"])
        else:
            self.engine.tell(Cand.parse(c["program"]) if c["hash"] != self.seed_cand.hash else self.seed_cand,
                             self.score(fitness), island=c.get("island", 0))
        self.hof.add(rec)

    def _start(self, seed_fitness: dict) -> None:
        """The engine, once the seed's fitness is known (its whole population starts as the seed)."""
        self.seed_fitness = dict(seed_fitness)
        self.promoter.seed(self.seed_fitness)
        fit = {k: (math.inf if v is None else v) for k, v in self.seed_fitness.items()}
        self.engine = Engine(self.seed_cand.program, self.space, self.options, rng=self.rng,
                             seed_score=self.score(fit))

    def _tell_meta(self, job: dict, results: list[dict]) -> None:
        for r in results:
            self.meta_scores[r["hash"]] = [r["meta"], r["heldout"]]
        lines = []
        for h in job["hashes"]:
            meta, held = self.meta_scores.get(h, [None, None])
            self.hof.set_scores(h, meta, held)
            if (job["evaluations"], h) not in self.meta_logged:
                self.meta_logged.add((job["evaluations"], h))
                entry = self.hof.get(h)
                lines.append({"time": round(self.elapsed(), 3), "evaluations": job["evaluations"], "hash": h,
                              "meta": meta, "heldout": held,
                              "heldout_stage": self._heldout_stage(entry) if entry else None})
        self.rundir.append_meta(lines)

    def _heldout_stage(self, entry: dict) -> str:
        """Where held-out seeds re-score an entry: its highest stage, or the configured one."""
        want = self.cfg["funnel"]["heldout_stage"]
        return [s for s in self.stages if s in entry["fitness"]][-1] if want == "highest" else want

    def _meta_job(self) -> None:
        """Meta-validate the top of the hall of fame: one job per program not yet scored (so the
        programs spread over the workers), then one that logs the scores of the whole top."""
        top = self.hof.entries()[: self.cfg["funnel"]["meta_top"]]
        if not top:
            return
        heldout = list(self.funnel.heldout_seeds) if self.cfg["funnel"]["heldout"] else []
        n = self.counters["candidates"]
        for e in top:
            if e["hash"] not in self.meta_scores:
                item = {"hash": e["hash"], "program": e["program"], "stage": self._heldout_stage(e)}
                job = {"job": self.next_job_id, "kind": "meta", "items": [item], "hashes": [],
                       "evaluations": n, "heldout_seeds": heldout, "submitted": True}
                self.next_job_id += 1
                self.pool.submit(job["job"], self._payload(job))
                self.pending.append(job)
        self.pending.append({"job": None, "kind": "meta", "items": [], "hashes": [e["hash"] for e in top],
                             "evaluations": n, "heldout_seeds": heldout, "submitted": False})

    def _score_seed(self) -> None:
        """Evaluation 0: the seed on every stage, one job per stage (dearest first), so that the
        workers build the stages' trainers in parallel instead of one worker building them all."""
        job = self._job([(self.seed_cand, None, "seed", 0)], {s: None for s in self.stages})
        ids = {}
        for stage in reversed(self.stages):
            ids[stage] = self.next_job_id
            self.next_job_id += 1
            self.pool.submit(ids[stage], {"kind": "score", "items": [{"program": self.seed_cand.text}],
                                          "stage": stage, "seeds": None})
        fitness, seconds, workers = {}, 0.0, set()
        for stage in self.stages:
            res, worker = self._answer(ids[stage])
            fitness[stage], seconds = res["results"][0], seconds + res["busy"]
            workers.add(worker)
        self.counters["busy_seconds"] += seconds
        c = job["cands"][0]
        rec = self._record(c, fitness, seconds, "+".join(sorted(workers)))
        self._account(c, rec)
        self.rundir.append_evaluations([rec])
        self._show(force=True)

    # -- checkpoints, resume ---------------------------------------------------
    def state(self) -> dict:
        return {
            "next_eval_id": self.next_eval_id, "next_job_id": self.next_job_id,
            "engine": self.engine.state(), "promoter": self.promoter.state(),
            "seed_fitness": self.seed_fitness, "hall_of_fame": self.hof.state(), "cache": self.cache.to_json(),
            "meta_scores": self.meta_scores, "counters": self.counters, "pending": list(self.pending),
            "marks": [self.last_meta, self.last_checkpoint],
            "elapsed": self.elapsed(),
        }

    def restore(self, st: dict) -> None:
        try:
            self._start(st["seed_fitness"])
            self.engine.restore(st["engine"])
            self.promoter.restore(st["promoter"])
            self.hof.restore(st["hall_of_fame"])
            self.cache = FunctionalCache.from_json(st["cache"])
            self.meta_scores = st["meta_scores"]
            self.counters.update(st["counters"])
            self.next_eval_id, self.next_job_id = st["next_eval_id"], st["next_job_id"]
            self.last_meta, self.last_checkpoint = st["marks"]
            self.elapsed0 = st["elapsed"]
            pending = st["pending"]
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise UserError(f"{self.rundir.path}: damaged checkpoint ({type(exc).__name__}: {exc})") from None
        done = self.counters["candidates"]
        for rec in self.rundir.evaluations():
            if rec.get("eval_id", -1) >= done:
                self.replay[rec["eval_id"]] = rec
        self.meta_logged = {(m.get("evaluations"), m.get("hash")) for m in self.rundir.meta_validation()}
        for job in pending:
            self._submit(job)

    def recover(self) -> None:
        """Rebuild a run that stopped before its first checkpoint from ``evaluations.jsonl`` alone.

        Every logged evaluation is told again in order (cache, funnel, hall of fame, engine), so
        none is evaluated or logged twice; the engine's random stream restarts from (seed, count):
        the continuation is deterministic, though not the one the stopped run would have taken."""
        records = sorted(self.rundir.evaluations(), key=lambda r: r.get("eval_id", -1))
        for k, rec in enumerate(records):
            if rec.get("eval_id") != k or rec.get("hash") is None or not isinstance(rec.get("fitness"), dict):
                raise UserError(f"{self.rundir.path}: evaluations.jsonl has no eval_id {k} in order; it cannot be "
                                "replayed")
            c = {"id": k, "hash": rec["hash"], "program": rec["program"], "island": rec.get("island", 0)}
            self._account(c, rec)
        self.next_eval_id = len(records)
        self.meta_logged = {(m.get("evaluations"), m.get("hash")) for m in self.rundir.meta_validation()}
        self.rng = np.random.default_rng([self.cfg["search"]["seed"], len(records)])
        if self.engine is not None:
            self.engine.rng = self.rng
            for isl in self.engine.islands:
                isl.rng = self.rng
        self.elapsed0 = max((r.get("time", 0.0) for r in records), default=0.0)

    def checkpoint(self) -> None:
        self.rundir.write_checkpoint(self.state())
        self.rundir.write_hall_of_fame(self.hof.entries())
        self.last_checkpoint = self.counters["candidates"]
        self.last_checkpoint_time = time.monotonic()

    def _checkpoint_due(self) -> bool:
        run = self.cfg["run"]
        return (self.counters["candidates"] - self.last_checkpoint >= run["checkpoint_every"]
                or time.monotonic() - self.last_checkpoint_time >= run["checkpoint_seconds"])

    # -- the loop -----------------------------------------------------------
    def run(self) -> SearchResult:
        if self.engine is None:   # a fresh run: evaluate the seed on every stage first
            self.progress.note(f"warming up: the workers build the trainers of stages {', '.join(self.stages)} "
                               f"and score the seed ({self.seed_cand.hash}) on each")
            self._score_seed()
        meta_every = self.cfg["funnel"]["meta_every"]
        while True:
            if self.engine is not None:
                self._fill()
            if not self.pending:
                break
            job = self.pending.popleft()
            self._tell(job)
            n = self.counters["candidates"]
            if job["kind"] == "eval":
                if meta_every and n - self.last_meta >= meta_every:
                    self.last_meta = n
                    self._meta_job()
                if self._checkpoint_due():
                    self.checkpoint()
            self._show()
        if self.cfg["funnel"]["meta_top"] and self.last_meta != self.counters["candidates"]:
            self.last_meta = self.counters["candidates"]
            self._meta_job()
            while self.pending:
                self._tell(self.pending.popleft())
        self.checkpoint()
        self._show(force=True)
        self.progress.close()
        best = self.hof.best()
        return SearchResult(parse(best["program"]) if best else None, best["fitness"] if best else {},
                            self.hof.entries(), self.figures(), run_dir=self.rundir.path)

    def figures(self) -> dict:
        c = dict(self.counters)
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
        score = self.score({k: (math.inf if v is None else v) for k, v in best["fitness"].items()})[
            0 if self.rank == "ratio" else 1] if best else None
        self.progress.update(force=force, evaluations=self.counters["candidates"], elapsed=self.elapsed(),
                             hit_rate=self.counters["cached"] / max(1, self.counters["candidates"] - 1),
                             best=score, program=one_line(parse(best["program"])) if best else "",
                             budget=self.cfg["search"]["budget"] or None, time_limit=self.cfg["search"]["time"] or None)
