"""Jobs of a search and their scheduling on a worker pool.

A :class:`Job` is a batch of candidates to evaluate (``kind="eval"``) or of hall-of-fame programs to
meta-validate (``kind="meta"``; a meta job with no items only marks where the scores of the whole
top are logged).  The :class:`Scheduler` numbers candidates and jobs, submits what needs a worker
(cache hits and candidates replayed from the log do not), keeps jobs in submission order and hands
back each job's results, replayed ones included.  Jobs are JSON-able for checkpoints.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable

from symopt.errors import UserError
from symopt.search.protocols import WorkerPool


@dataclasses.dataclass
class Job:
    """One batch of work.

    Attributes:
      id: the job's number (``None`` for the meta job that only marks where the top's scores are logged).
      kind: ``"eval"`` or ``"meta"``.
      cands: an eval job's candidates (``id``, ``program``, ``hash``, ``parent``, ``mutation``,
        ``known``, ``cached``, ``island``).
      thresholds: an eval job's promotion bars, per stage.
      items: a meta job's programs (``hash``, ``program``, ``stage``).
      hashes: the hall of fame whose scores the marking meta job logs.
      evaluations: candidates evaluated when the meta job was made.
      heldout_seeds: the seeds a meta job re-scores on.
      submitted: whether a worker runs it (cache hits and replayed candidates need none).
    """

    id: int | None
    kind: str
    cands: list[dict] = dataclasses.field(default_factory=list)
    thresholds: dict = dataclasses.field(default_factory=dict)
    items: list[dict] = dataclasses.field(default_factory=list)
    hashes: list[str] = dataclasses.field(default_factory=list)
    evaluations: int = 0
    heldout_seeds: list[int] = dataclasses.field(default_factory=list)
    submitted: bool = False

    def to_json(self) -> dict:
        """The job as JSON (for checkpoints).

        Returns:
          Its fields.
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Job:
        """The job :meth:`to_json` wrote (unknown keys ignored, missing ones at their defaults).

        Args:
          data: the JSON fields.

        Returns:
          The job.

        >>> Job.from_json(Job(3, "eval", evaluations=5).to_json() | {"extra": 1}).evaluations
        5
        """
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class Scheduler:
    """Numbers, submits and collects jobs in submission order (see the module docstring).

    Args:
      pool: the worker pool.
      known: ``known(hash, thresholds) -> (stages known from the cache, settled)``: which candidates
        need no evaluation.
      stages: the funnel stages the search uses.
      where: the run directory (named in errors).

    Attributes:
      pending: the jobs submitted and not collected, in submission order.
      next_eval_id: the id of the next candidate.
      next_job_id: the id of the next job.
      busy_seconds: the seconds workers spent on the jobs answered.
    """

    def __init__(self, pool: WorkerPool, known: Callable, stages: tuple[str, ...], where: str):
        self.pool, self.known, self.stages, self.where = pool, known, tuple(stages), where
        self.pending: deque[Job] = deque()
        self.replay: dict[int, dict] = {}       # eval id -> record logged after the last checkpoint
        self.next_eval_id = self.next_job_id = 0
        self.busy_seconds = 0.0

    def eval_in_flight(self) -> int:
        """Eval jobs submitted and not collected.

        Returns:
          Their number.
        """
        return sum(j.kind == "eval" for j in self.pending)

    def eval_job(self, entries: list[tuple], thresholds: dict) -> Job:
        """A new eval job, its candidates numbered (not submitted).

        Args:
          entries: ``(cand, parent hash, mutation, island)`` per candidate.
          thresholds: the promotion bar per stage.

        Returns:
          The job.
        """
        cands = []
        for cand, parent, mutation, island in entries:
            known, settled = self.known(cand.hash, thresholds)
            cands.append({"id": self.next_eval_id, "program": cand.text, "hash": cand.hash, "parent": parent,
                          "mutation": mutation, "known": known, "cached": settled, "island": island})
            self.next_eval_id += 1
        return Job(self._job_id(), "eval", cands=cands, thresholds=thresholds)

    def _job_id(self) -> int:
        self.next_job_id += 1
        return self.next_job_id - 1

    def _payload(self, job: Job) -> dict | None:
        if job.kind == "meta":
            return {"kind": "meta", "items": job.items, "heldout_seeds": job.heldout_seeds} if job.items else None
        items = [{"id": c["id"], "program": c["program"], "known": c["known"]} for c in job.cands
                 if not c["cached"] and c["id"] not in self.replay]
        return {"kind": "eval", "items": items, "thresholds": job.thresholds, "stages": list(self.stages)} \
            if items else None

    def submit(self, job: Job) -> None:
        """Send ``job`` to the pool when a worker must run it, and queue it for collection.

        Args:
          job: the job.
        """
        payload = self._payload(job)
        if payload is not None:
            self.pool.submit(job.id, payload)
        job.submitted = payload is not None
        self.pending.append(job)

    def submit_meta(self, items: list[dict], hashes: list[str], evaluations: int, heldout: list[int]) -> None:
        """Queue meta-validation: one job per item (so they spread over the workers), then the job that logs ``hashes``.

        Args:
          items: the programs to meta-validate (``hash``, ``program``, ``stage``).
          hashes: the hall of fame whose scores are logged once the items are answered.
          evaluations: candidates evaluated so far.
          heldout: the held-out seeds the programs are re-scored on.
        """
        for item in items:
            self.submit(Job(self._job_id(), "meta", items=[item], evaluations=evaluations, heldout_seeds=heldout))
        self.pending.append(Job(None, "meta", hashes=hashes, evaluations=evaluations, heldout_seeds=heldout))

    def submit_raw(self, payload: dict) -> int:
        """Submit a job outside the queue (e.g. scoring the seed on one stage).

        Args:
          payload: the job (see :mod:`symopt.search.workers`).

        Returns:
          Its id, for :meth:`answer`.
        """
        job_id = self._job_id()
        self.pool.submit(job_id, payload)
        return job_id

    def answer(self, job_id: int) -> tuple[dict, str]:
        """Wait for a worker's answer to job ``job_id``.

        Args:
          job_id: the job's id.

        Returns:
          ``(answer, worker name)``.

        Raises:
          UserError: the worker met a configuration error (one line).
        """
        res, worker = self.pool.result(job_id)
        if res.get("error"):
            raise UserError(res["error"])
        self.busy_seconds += res.get("busy", 0.0)
        return res, worker

    def collect(self, job: Job) -> dict:
        """The results of ``job``, waiting for its worker if it has one.

        Args:
          job: a job of :attr:`pending`.

        Returns:
          ``{eval id: (fitness, seconds, worker) | replayed record}`` (cache hits: ``(known, 0.0,
          "cache")``), or ``{"meta": results}`` for a submitted meta job.

        Raises:
          UserError: a worker's configuration error, or a replayed record whose hash is not the
            checkpoint's.
        """
        out = {}
        if job.submitted:
            res, worker = self.answer(job.id)
            if job.kind == "meta":
                return {"meta": res["results"]}
            for r in res["results"]:
                out[r["id"]] = (r["fitness"], r["seconds"], worker)
        for c in job.cands:
            if c["id"] in self.replay:
                rec = self.replay.pop(c["id"])
                if rec.get("hash") != c["hash"]:
                    raise UserError(f"{self.where}: evaluations.jsonl eval_id {c['id']} does not match "
                                    "the checkpoint (log and checkpoint come from different runs?)")
                out[c["id"]] = rec
            elif c["cached"]:
                out[c["id"]] = (c["known"], 0.0, "cache")
        return out

    def state(self) -> dict:
        """The JSON-able snapshot of the scheduler (for checkpoints).

        Returns:
          The ids, busy seconds and the jobs pending.
        """
        return {"next_eval_id": self.next_eval_id, "next_job_id": self.next_job_id,
                "busy_seconds": self.busy_seconds, "pending": [j.to_json() for j in self.pending]}

    def restore(self, st: dict, replay: dict[int, dict]) -> None:
        """Continue from a checkpoint: ids, the replayed records, and the jobs in flight resubmitted.

        Args:
          st: the snapshot of :meth:`state`.
          replay: eval id -> record logged after the checkpoint (not evaluated again).
        """
        self.next_eval_id, self.next_job_id = st["next_eval_id"], st["next_job_id"]
        self.busy_seconds = float(st.get("busy_seconds", 0.0))
        self.replay = dict(replay)
        for job in st["pending"]:
            self.submit(Job.from_json(job))
