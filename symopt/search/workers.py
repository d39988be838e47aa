"""Evaluation workers: one evaluator built once per worker, fed batches of program TEXT.

A job is a JSON-able dict:

* ``{"kind": "eval", "items": [{"id", "program", "known": {stage: f}}], "thresholds": {stage: bar|None},
  "stages": [...]}``: every item runs the first stage, then goes on to the next of ``stages`` (default: the
  funnel's) while it clears the stage's bar (stages in ``known`` come from the cache and are not re-run);
* ``{"kind": "meta", "items": [{"hash", "program", "stage"}], "heldout_seeds": [...]}``:
  meta-validation and held-out-seed re-scoring of hall-of-fame programs;
* ``{"kind": "score", "items": [{"program"}], "stage", "seeds", "losses"}``: plain scoring on one
  stage, fitness per program (raw losses per program and seed with ``losses``).

The answer is ``{"results": [...], "busy": seconds, "pid": int}``.  ``Pool`` runs
jobs in the driver (no Ray); ``RayPool`` runs them on Ray actors (one Ray node or
many) fed from a queue, puts the jobs of a dead worker back for the others,
restarts or replaces dead workers, and kills workers that hold a batch past the
deadline.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from filekit.nonfinite import inf_to_none
from search_space.parser import parse
from search_space.seeds import load_seed
from symopt import interrupts
from symopt.errors import UserError
from symopt.evaluation import make_evaluator
from symopt.evaluation.fitness import REFERENCE
from symopt.search.funnel import promoted

MAX_TIMEOUTS = 2    # a batch that runs past the deadline more often than this stops the search

class Evaluation:
    """Runs jobs on one evaluator (built once, on first use).

    Args:
      funnel: the funnel's name.
      strategy: the evaluation strategy (see :func:`symopt.evaluation.make_evaluator`).
      lr_grid: the programs' lr scales (see :func:`symopt.evaluation.make_evaluator`).
    """

    def __init__(self, funnel: str, strategy: str = "auto", lr_grid=None):
        self.funnel_name, self.strategy, self.lr_grid = funnel, strategy, lr_grid
        self._ev = None

    @property
    def evaluator(self):
        """The :class:`~symopt.evaluation.Evaluator`, built on first use."""
        if self._ev is None:

            self._ev = make_evaluator(self.funnel_name, strategy=self.strategy, lr_grid=self.lr_grid)
        return self._ev

    def warm(self, stages: list[str]) -> dict:
        """Build what the stages need (strategy measured, interpreter compiled, reference losses).

        Args:
          stages: the stages' names.

        Returns:
          ``{"busy": seconds, "pid": this process's pid}``.
        """
        start = time.perf_counter()
        for stage in stages:
            self.evaluator.evaluate([load_seed(REFERENCE)], stage)
        return {"busy": time.perf_counter() - start, "pid": os.getpid()}

    def run(self, job: dict) -> dict:
        """The job's answer.

        A configuration error (e.g. lanes that do not fit in memory) comes back as ``{"error": line}``
        for the driver to raise, so it stays one line across processes.

        Args:
          job: the job (see the module docstring).

        Returns:
          ``{"results": [...], "busy": seconds, "pid": int}`` (and ``"error"`` for a configuration error).
        """
        try:
            return self._run(job)
        except UserError as exc:
            return {"error": str(exc), "results": [], "busy": 0.0, "pid": os.getpid()}

    def _run(self, job: dict) -> dict:

        start = time.perf_counter()
        ev = self.evaluator
        programs = [parse(it["program"]) for it in job["items"]]
        if job["kind"] == "score":       # plain scoring: fitness or raw losses per program
            seeds = job.get("seeds")
            if job.get("losses"):
                results = ev.evaluate_losses(programs, job["stage"], seeds=seeds)
                results = [[inf_to_none(x) for x in row] for row in results]
            else:
                results = [inf_to_none(x) for x in ev.evaluate(programs, job["stage"], seeds=seeds)]
        elif job["kind"] == "meta":
            results = []
            for it, p in zip(job["items"], programs):
                t0 = time.perf_counter()
                meta = ev.evaluate([p], "meta")[0]
                held = ev.evaluate([p], it["stage"], seeds=list(job["heldout_seeds"]))[0] if job["heldout_seeds"] \
                    else None
                results.append({"hash": it["hash"], "meta": inf_to_none(meta), "heldout": inf_to_none(held),
                                "seconds": time.perf_counter() - t0})
        else:
            stages = job.get("stages") or [s.name for s in ev.funnel.stages]
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
                        fitness[i][stage] = inf_to_none(v)
                        seconds[i] += share
                if k + 1 < len(stages):
                    bar = job["thresholds"].get(stage)
                    active = [i for i in active if promoted(fitness[i][stage], bar)]
            results = [{"id": it["id"], "fitness": f, "seconds": s, "evaluated": s > 0}
                       for it, f, s in zip(job["items"], fitness, seconds)]
        return {"results": results, "busy": time.perf_counter() - start, "pid": os.getpid()}


class Pool:
    """In-process evaluation (``workers = 0``): one background thread runs the jobs in submission order.

    The driver proposes the next batch while an accelerator trains this one (JAX releases the
    interpreter lock while the device works).

    Args:
      funnel: the funnel's name.
      lr_grid: the programs' lr scales (see :func:`symopt.evaluation.make_evaluator`).
      strategy: the evaluation strategy.
    """

    size = 1

    def __init__(self, funnel: str, lr_grid=None, strategy: str = "auto"):
        self.evaluation = Evaluation(funnel, strategy, lr_grid)   # in process: stages warm on first use
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="symopt-eval")
        self.jobs: dict[int, Future] = {}

    def submit(self, job_id: int, job: dict) -> None:
        """Queue ``job`` for the background thread.

        Args:
          job_id: the job's id.
          job: the job.
        """
        self.jobs[job_id] = self.executor.submit(self.evaluation.run, job)

    def result(self, job_id: int) -> tuple[dict, str]:
        """Block until job ``job_id`` is answered.

        Args:
          job_id: a submitted job's id.

        Returns:
          ``(answer, "local")``.
        """
        return self.jobs.pop(job_id).result(), "local"

    def worker_pids(self) -> list[int]:
        """The pids of the processes that evaluate.

        Returns:
          This process's pid.
        """
        return [os.getpid()]

    def close(self) -> None:
        """Stop the thread once the running job ends; queued jobs are cancelled."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def worker_env(gpus_per_worker: float) -> dict:
    """Environment of one worker: one intra-op thread for XLA and BLAS, and no preallocation with a GPU share.

    Args:
      gpus_per_worker: the worker's GPU share.

    Returns:
      The environment variables to set.

    >>> worker_env(0.0)["OMP_NUM_THREADS"], "XLA_PYTHON_CLIENT_PREALLOCATE" in worker_env(0.5)
    ('1', True)
    """
    env = {
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    }
    if gpus_per_worker > 0:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    return env


class RayPool:
    """Ray actors fed from a queue of jobs; results are returned by job id, whatever the completion order.

    A job goes to a worker when the worker has fewer than ``DEPTH`` jobs (one running, one waiting in
    its queue), so a free worker takes the next job instead of waiting behind a slow one.  A worker
    that dies (its process killed, its node gone) has its jobs put back at the front of the queue for
    the workers that are up; it rejoins when Ray has restarted it, or is replaced by a new actor once
    its restarts are spent.  A job running past ``deadline`` gets its worker killed (and restarted).

    Args:
      funnel: the funnel's name.
      workers: the number of actors (one CPU each).
      gpus_per_worker: each actor's GPU share.
      max_restarts: restarts Ray gives an actor before it is replaced.
      deadline: seconds a job may run before its worker is killed, and all workers may be down
        before :meth:`result` gives up.
      warm: stages every worker builds at once, before its first job.
      place_timeout: seconds Ray has to start the actors.
      lr_grid: the programs' lr scales (see :func:`symopt.evaluation.make_evaluator`).
      strategy: the evaluation strategy.

    Raises:
      UserError: Ray could not start the workers within ``place_timeout``.
    """

    DEPTH = 2

    def __init__(self, funnel: str, workers: int, *, gpus_per_worker: float = 0.0, max_restarts: int = 3,
                 deadline: float = 600.0, warm: tuple[str, ...] = (), place_timeout: float = 300.0, lr_grid=None,
                 strategy: str = "auto"):
        import ray  # lazy: Ray costs seconds to import; in-process searches run without it

        self.ray, self.size, self.deadline = ray, workers, deadline
        self.max_restarts = max_restarts
        self.funnel, self.gpus, self.lr_grid, self.strategy = funnel, gpus_per_worker, lr_grid, strategy

        @ray.remote
        class Worker:
            def __init__(self, funnel_name, grid, strategy):
                self.evaluation = Evaluation(funnel_name, strategy, grid)

            def run(self, job):
                return self.evaluation.run(job)

            def warm(self, stages):
                return self.evaluation.warm(stages)

            def pid(self):
                return os.getpid()

            def identity(self):
                return os.getpid(), ray.util.get_node_ip_address(), ray.get_runtime_context().get_node_id()

        self._cls = Worker
        self.local_node = ray.util.get_node_ip_address()
        self.actors = [self._new_actor() for _ in range(workers)]
        try:   # (pid, node address, node id) of each actor's process: a hung worker on this host is SIGKILLed
            self.identity = ray.get([a.identity.remote() for a in self.actors], timeout=place_timeout)
        except ray.exceptions.GetTimeoutError:
            self.close()
            each = "1 CPU" + (f" and {gpus_per_worker:g} GPU" if gpus_per_worker else "")
            raise UserError(f"Ray could not start {workers} worker(s) of {each} each in {place_timeout:g} s "
                            f"(cluster resources: {ray.cluster_resources()})") from None
        # every worker warms the stages at once, in parallel (jobs queue behind; errors surface with them)
        for a in self.actors if warm else ():
            a.warm.remote(list(warm))
        self.names = [f"w{i}" for i in range(workers)]
        self.up = [True] * workers               # accepting jobs
        self.probes: dict[int, Any] = {}         # actor index -> identity() call of a worker coming back
        self.jobs: dict[int, dict] = {}
        self.queue: list[int] = []               # job ids not yet sent, in submission order
        self.order: dict[int, int] = {}          # job id -> submission number
        self.refs: dict[int, Any] = {}           # job id -> ObjectRef of a sent job
        self.where: dict[int, int] = {}          # job id -> actor index
        self.started: dict[int, float | None] = {}   # job id -> when it started running (None: queued behind)
        self.done: dict[int, tuple[dict, str]] = {}
        self.resubmitted = self.replaced = self.killed = self.submitted = 0
        self.timeouts: dict[int, int] = {}       # job id -> deadlines it ran past
        self.down_since: float | None = None     # when the last worker went down

    def _new_actor(self):
        return self._cls.options(
            num_cpus=1, num_gpus=self.gpus, max_restarts=self.max_restarts, max_task_retries=0,
            runtime_env={"env_vars": worker_env(self.gpus)},
        ).remote(self.funnel, self.lr_grid, self.strategy)

    def _on(self, i: int) -> list[int]:
        """Jobs sent to worker ``i``, oldest first."""
        return sorted((j for j, k in self.where.items() if k == i and j in self.refs), key=self.order.get)

    def submit(self, job_id: int, job: dict) -> None:
        """Queue ``job``; it goes to a worker with fewer than ``DEPTH`` jobs.

        Args:
          job_id: the job's id.
          job: the job.
        """
        self.jobs[job_id] = job
        self.order[job_id] = self.submitted
        self.submitted += 1
        self.queue.append(job_id)
        self._dispatch()

    def _dispatch(self) -> None:
        while self.queue:
            loads = {i: len(self._on(i)) for i in range(self.size) if self.up[i]}
            free = [i for i, n in loads.items() if n < self.DEPTH]
            if not free:
                return
            i = min(free, key=lambda k: (loads[k], k))
            j = self.queue.pop(0)
            self.where[j] = i
            self.started[j] = time.monotonic() if loads[i] == 0 else None
            self.refs[j] = self.actors[i].run.remote(self.jobs[j])

    def _lost(self, i: int) -> None:
        """Worker ``i`` died: its jobs go back to the queue; wait (without blocking) for it to come back."""
        self.up[i] = False
        for j in self._on(i):
            del self.refs[j], self.where[j], self.started[j]
            self.queue.append(j)
            self.resubmitted += 1
        self.queue.sort(key=self.order.get)
        if i not in self.probes:
            self.probes[i] = self.actors[i].identity.remote()

    def _probed(self, i: int, ref) -> None:
        del self.probes[i]
        try:
            self.identity[i] = self.ray.get(ref)
            self.up[i] = True
        except self.ray.exceptions.RayActorError:       # no restarts left: a new actor takes its place
            self.actors[i] = self._new_actor()
            self.replaced += 1
            self.probes[i] = self.actors[i].identity.remote()

    def _finished(self, j: int, ref) -> None:
        i = self.where[j]
        try:
            out = self.ray.get(ref)
        except (self.ray.exceptions.RayActorError, self.ray.exceptions.WorkerCrashedError):
            self._lost(i)
            return
        self.done[j] = (out, self.names[i])
        del self.refs[j], self.where[j], self.started[j]
        for k in self._on(i)[:1]:                   # the next job of this worker starts running now
            self.started[k] = self.started[k] or time.monotonic()

    def result(self, job_id: int) -> tuple[dict, str]:
        """Block until job ``job_id`` is done (other jobs finishing meanwhile are kept).

        Args:
          job_id: a submitted job's id.

        Returns:
          ``(answer, worker name)``.

        Raises:
          KeyError: no such job was submitted.
          UserError: a batch ran past the deadline more than ``MAX_TIMEOUTS`` times, or no worker has
            been up for the deadline.
        """
        ray = self.ray
        if job_id not in self.jobs:
            raise KeyError(f"no job {job_id!r} was submitted")
        while job_id not in self.done:
            interrupts.check()               # a signal whose exception Python dropped (symopt.interrupts)
            self._dispatch()
            waiting = {ref: ("job", j) for j, ref in self.refs.items()}
            waiting.update({ref: ("probe", i) for i, ref in self.probes.items()})
            ready, _ = ray.wait(list(waiting), num_returns=1, timeout=1.0) if waiting else ([], [])
            if ready:
                ready, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
            for ref in ready:
                kind, x = waiting[ref]
                if kind == "probe":
                    self._probed(x, ref)
                elif self.refs.get(x) == ref:      # not an answer of a worker that died since
                    self._finished(x, ref)
            self._check_time()
        out = self.done.pop(job_id)
        del self.jobs[job_id], self.order[job_id]
        self.timeouts.pop(job_id, None)
        return out

    def _check_time(self) -> None:
        now = time.monotonic()
        if any(self.up):
            self.down_since = None
        elif self.down_since is None:
            self.down_since = now
        elif now - self.down_since > self.deadline:
            raise UserError(f"no Ray worker has been up for {self.deadline:g} s (ray.batch_deadline): the cluster "
                            f"lost its nodes or cannot place {self.size} worker(s)")
        for j, t in list(self.started.items()):
            if t is not None and j in self.refs and now - t > self.deadline:
                self.timeouts[j] = self.timeouts.get(j, 0) + 1
                if self.timeouts[j] > MAX_TIMEOUTS:
                    raise UserError(f"a batch ran past ray.batch_deadline ({self.deadline:g} s) "
                                    f"{MAX_TIMEOUTS + 1} times; raise the deadline or shrink ray.batch_size")
                self._kill(self.where[j])      # hung: its jobs fail with RayActorError and are resubmitted
                self.started[j] = now

    def _kill(self, i: int) -> None:
        """Kill worker ``i`` so that Ray restarts it.

        A hung process may not answer Ray's own kill request (it is stuck or stopped), so on this host
        it gets a SIGKILL by pid; elsewhere ray.kill.
        """
        pid, host, _node = self.identity[i]
        self.killed += 1
        if host == self.local_node:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.ray.kill(self.actors[i], no_restart=False)

    def nodes(self) -> list[str]:
        """The Ray node id of each worker (where it last started).

        Returns:
          One node id per worker.
        """
        return [ident[2] for ident in self.identity]

    def worker_pids(self) -> list[int]:
        """The pids of the workers' processes (asked of each actor).

        Returns:
          One pid per worker.
        """
        return self.ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        """Kill every actor, without restarts."""
        for a in self.actors:
            self.ray.kill(a, no_restart=True)

