"""Evaluation workers: one evaluator built once per worker, fed batches of program TEXT.

A job is a JSON-able dict:

* ``{"kind": "eval", "items": [{"id", "program", "known": {stage: f}}], "thresholds": {stage: bar|None}}``:
  every item runs stage A, then goes on to B and C while it clears the stage's bar
  (stages in ``known`` come from the cache and are not re-run);
* ``{"kind": "meta", "items": [{"hash", "program", "stage"}], "heldout_seeds": [...]}``:
  meta-validation and held-out-seed re-scoring of hall-of-fame programs.

The answer is ``{"results": [...], "busy": seconds, "pid": int}``.  ``Pool`` runs
jobs in the driver (no Ray); ``RayPool`` runs them on Ray actors with several
jobs in flight, restarts dead workers, resubmits their batches, and kills
workers that hold a batch past the deadline.
"""

from __future__ import annotations

import math
import os
import signal
import time
from typing import Any

from symopt.errors import UserError
from symopt.search.funnel import promoted

MAX_TIMEOUTS = 2    # a batch that runs past the deadline more often than this stops the search

def _fit(x) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


class Evaluation:
    """Runs jobs on one evaluator (built once, on first use)."""

    def __init__(self, funnel: str, strategy: str = "auto"):
        self.funnel_name, self.strategy = funnel, strategy
        self._ev = None

    @property
    def evaluator(self):
        if self._ev is None:
            from symopt.evaluation import make_evaluator

            self._ev = make_evaluator(self.funnel_name, strategy=self.strategy)
        return self._ev

    def warm(self, stages: list[str]) -> dict:
        """Build what the stages need (strategy measured, interpreter compiled, reference losses)."""
        from search_space.seeds import load_seed
        from symopt.evaluation.fitness import REFERENCE

        start = time.perf_counter()
        for stage in stages:
            self.evaluator.evaluate([load_seed(REFERENCE)], stage)
        return {"busy": time.perf_counter() - start, "pid": os.getpid()}

    def run(self, job: dict) -> dict:
        from search_space.parse import parse

        start = time.perf_counter()
        ev = self.evaluator
        programs = [parse(it["program"]) for it in job["items"]]
        if job["kind"] == "score":       # plain scoring: fitness or raw losses per program
            seeds = job.get("seeds")
            if job.get("losses"):
                results = ev.evaluate_losses(programs, job["stage"], seeds=seeds)
                results = [[_fit(x) for x in row] for row in results]
            else:
                results = [_fit(x) for x in ev.evaluate(programs, job["stage"], seeds=seeds)]
        elif job["kind"] == "meta":
            results = []
            for it, p in zip(job["items"], programs):
                t0 = time.perf_counter()
                meta = ev.evaluate([p], "meta")[0]
                held = ev.evaluate([p], it["stage"], seeds=list(job["heldout_seeds"]))[0] if job["heldout_seeds"] \
                    else None
                results.append({"hash": it["hash"], "meta": _fit(meta), "heldout": _fit(held),
                                "seconds": time.perf_counter() - t0})
        else:
            stages = [s.name for s in ev.funnel.stages]
            fitness = [dict(it.get("known", {})) for it in job["items"]]
            seconds = [0.0] * len(programs)
            active = list(range(len(programs)))
            for k, stage in enumerate(stages):
                todo = [i for i in active if stage not in fitness[i]]
                if todo:
                    t0 = time.perf_counter()
                    values = ev.evaluate([programs[i] for i in todo], stage)
                    share = (time.perf_counter() - t0) / len(todo)
                    for i, v in zip(todo, values):
                        fitness[i][stage] = _fit(v)
                        seconds[i] += share
                if k + 1 < len(stages):
                    bar = job["thresholds"].get(stage)
                    active = [i for i in active if promoted(fitness[i][stage], bar)]
            results = [{"id": it["id"], "fitness": f, "seconds": s, "evaluated": s > 0}
                       for it, f, s in zip(job["items"], fitness, seconds)]
        return {"results": results, "busy": time.perf_counter() - start, "pid": os.getpid()}


class Pool:
    """In-process evaluation (``workers = 0``): jobs run when their result is asked for."""

    size = 1

    def __init__(self, funnel: str):
        self.evaluation = Evaluation(funnel)     # in process: stages warm on first use
        self.jobs: dict[int, dict] = {}

    def submit(self, job_id: int, job: dict) -> None:
        self.jobs[job_id] = job

    def result(self, job_id: int) -> tuple[dict, str]:
        return self.evaluation.run(self.jobs.pop(job_id)), "local"

    def worker_pids(self) -> list[int]:
        return [os.getpid()]

    def close(self) -> None:
        pass


def worker_env(gpus_per_worker: float) -> dict:
    """Environment of one worker: one intra-op thread for XLA and BLAS unless it has a GPU share."""
    env = {
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    }
    if gpus_per_worker > 0:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    return env


class RayPool:
    """Ray actors with jobs in flight; results are returned by job id, whatever the completion order."""

    def __init__(self, funnel: str, workers: int, *, gpus_per_worker: float = 0.0, max_restarts: int = 3,
                 deadline: float = 600.0, warm: tuple[str, ...] = ()):
        import ray

        self.ray, self.size, self.deadline = ray, workers, deadline
        self.max_restarts = max_restarts
        self.funnel, self.gpus = funnel, gpus_per_worker

        @ray.remote
        class Worker:
            def __init__(self, funnel_name):
                self.evaluation = Evaluation(funnel_name)

            def run(self, job):
                return self.evaluation.run(job)

            def warm(self, stages):
                return self.evaluation.warm(stages)

            def pid(self):
                return os.getpid()

            def identity(self):
                return os.getpid(), ray.util.get_node_ip_address()

        self._cls = Worker
        self.local_node = ray.util.get_node_ip_address()
        self.actors = [self._new_actor() for _ in range(workers)]
        # (pid, node) of each actor's process: a hung worker is SIGKILLed by pid when it runs on this node
        self.identity = ray.get([a.identity.remote() for a in self.actors])
        # every worker warms the stages at once, in parallel (jobs queue behind; errors surface with them)
        for a in self.actors if warm else ():
            a.warm.remote(list(warm))
        self.names = [f"w{i}" for i in range(workers)]
        self.jobs: dict[int, dict] = {}
        self.refs: dict[int, Any] = {}          # job id -> ObjectRef
        self.where: dict[int, int] = {}         # job id -> actor index
        self.started: dict[int, float] = {}
        self.done: dict[int, tuple[dict, str]] = {}
        self.resubmitted = 0
        self.replaced = 0
        self.killed = 0
        self.timeouts: dict[int, int] = {}       # job id -> deadlines it ran past

    def _new_actor(self):
        return self._cls.options(
            num_cpus=1, num_gpus=self.gpus, max_restarts=self.max_restarts, max_task_retries=0,
            runtime_env={"env_vars": worker_env(self.gpus)},
        ).remote(self.funnel)

    def _load(self, i: int) -> int:
        return sum(1 for j in self.where.values() if j == i)

    def submit(self, job_id: int, job: dict) -> None:
        self.jobs[job_id] = job
        i = min(range(self.size), key=lambda k: (self._load(k), k))
        self.where[job_id] = i
        self.refs[job_id] = self.actors[i].run.remote(job)
        self.started[job_id] = time.monotonic()

    def _resubmit(self, job_id: int, dead: bool) -> None:
        i = self.where[job_id]
        if dead:
            try:  # is the actor coming back (restarts left) or gone for good?
                self.identity[i] = self.ray.get(self.actors[i].identity.remote(), timeout=60)
            except Exception:
                self.actors[i] = self._new_actor()
                self.identity[i] = self.ray.get(self.actors[i].identity.remote())
                self.replaced += 1
        self.resubmitted += 1
        self.refs[job_id] = self.actors[i].run.remote(self.jobs[job_id])
        self.started[job_id] = time.monotonic()

    def result(self, job_id: int) -> tuple[dict, str]:
        """Block until job ``job_id`` is done (other jobs finishing meanwhile are kept)."""
        ray = self.ray
        while job_id not in self.done:
            pending = {ref: j for j, ref in self.refs.items()}
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            for ref in ready:
                j = pending[ref]
                try:
                    out = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                    self._resubmit(j, dead=True)
                    continue
                self.done[j] = (out, self.names[self.where[j]])
                del self.refs[j], self.started[j]
            now = time.monotonic()
            for j, t in list(self.started.items()):
                if j in self.refs and now - t > self.deadline:
                    self.timeouts[j] = self.timeouts.get(j, 0) + 1
                    if self.timeouts[j] > MAX_TIMEOUTS:
                        raise UserError(f"a batch ran past ray.batch_deadline ({self.deadline:g} s) "
                                        f"{MAX_TIMEOUTS + 1} times; raise the deadline or shrink ray.batch_size")
                    self._kill(self.where[j])      # hung: its jobs fail with RayActorError and are resubmitted
                    self.started[j] = now
        out = self.done.pop(job_id)
        del self.jobs[job_id], self.where[job_id]
        self.timeouts.pop(job_id, None)
        return out

    def _kill(self, i: int) -> None:
        """Kill worker ``i`` so that Ray restarts it.  A hung process may not answer Ray's own kill
        request (it is stuck or stopped), so on this node it gets a SIGKILL by pid; elsewhere ray.kill."""
        pid, node = self.identity[i]
        self.killed += 1
        if node == self.local_node:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.ray.kill(self.actors[i], no_restart=False)

    def worker_pids(self) -> list[int]:
        return self.ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a, no_restart=True)


def init_ray(address: str, num_cpus: int):
    """Join ``address`` ("auto", HOST:PORT, or RAY_ADDRESS) or start an embedded local Ray."""
    import ray

    if ray.is_initialized():
        return ray
    address = address or os.environ.get("RAY_ADDRESS", "")
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return ray
