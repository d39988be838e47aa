"""An evaluator whose work runs on a search's worker pool (warm Ray actors, or in process).

After a search, the rediscover pipeline meta-validates, simplifies by measurement and
scores the final program.  Doing that on the pool's workers reuses their compiled
interpreters and reference losses, and spreads the programs over the workers::

    ev = PoolEvaluator(pool, "default")
    ev.evaluate(programs, "A")                 # fitness per program, as Evaluator.evaluate
    ev.evaluate_losses(programs, "A", seeds)   # raw losses per program and seed
    ev.evaluate_stages(program, ["A", "meta"]) # one program on several stages at once
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from filekit.nonfinite import none_to_inf
from proxies import load_funnel
from search_space.program import Program, format_program

_JOB_IDS = itertools.count(1 << 40)   # far above the search driver's job ids


class PoolEvaluator:
    """A :class:`~symopt.search.protocols.StageEvaluator` whose programs are scored by a pool's workers.

    Args:
      pool: the worker pool (:class:`~symopt.search.protocols.WorkerPool`).
      funnel: the funnel's name (the workers' own).

    Attributes:
      funnel: the loaded funnel.
    """

    def __init__(self, pool, funnel: str):
        self.pool = pool
        self.funnel = load_funnel(funnel)

    def _run(self, jobs: list[dict]) -> list:
        ids = []
        for job in jobs:
            ids.append(next(_JOB_IDS))
            self.pool.submit(ids[-1], job)
        return [self.pool.result(i)[0]["results"] for i in ids]

    def _split(self, programs: Sequence[Program], **job) -> list:
        texts = [format_program(p) for p in programs]
        n = max(1, min(self.pool.size, len(texts)))
        size = math.ceil(len(texts) / n) if texts else 0
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)] if texts else []
        out = []
        for results in self._run([{"kind": "score", "items": [{"program": t} for t in c], **job} for c in chunks]):
            out.extend(results)
        return out

    def evaluate(self, programs: Sequence[Program], stage: str, seeds=None) -> list[float]:
        """Fitness per program, as :meth:`symopt.evaluation.Evaluator.evaluate`, split over the workers.

        Args:
          programs: the programs.
          stage: the stage's name.
          seeds: the training seeds (default: the stage's).

        Returns:
          One fitness per program (``inf`` for invalid or diverged).
        """
        return [none_to_inf(x) for x in self._split(programs, stage=stage, seeds=seeds)]

    def evaluate_losses(self, programs: Sequence[Program], stage: str, seeds=None) -> list[list[float]]:
        """Raw validation losses, as :meth:`symopt.evaluation.Evaluator.evaluate_losses`, split over the workers.

        Args:
          programs: the programs.
          stage: the stage's name.
          seeds: the training seeds (default: the stage's).

        Returns:
          Per program, one loss per seed.
        """
        return [[none_to_inf(x) for x in row] for row in self._split(programs, stage=stage, seeds=seeds, losses=True)]

    def evaluate_stages(self, program: Program, stages: Sequence[str]) -> dict[str, float]:
        """The fitness of one program on several stages, one job per stage (run in parallel).

        Args:
          program: the program.
          stages: the stages' names.

        Returns:
          stage -> fitness.
        """
        text = format_program(program)
        jobs = [{"kind": "score", "items": [{"program": text}], "stage": s, "seeds": None} for s in stages]
        return {s: none_to_inf(r[0]) for s, r in zip(stages, self._run(jobs))}
