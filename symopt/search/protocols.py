r"""The seams of the search: what a worker pool and a stage evaluator must offer.

``symopt.search.workers.Pool`` / ``RayPool`` are :class:`WorkerPool`\ s;
``symopt.evaluation.Evaluator`` and ``symopt.search.pool_evaluator.PoolEvaluator`` are
:class:`StageEvaluator`\ s (the measured simplifier and the main job's post-search phases take
either).  Structural typing: nothing needs to inherit from these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from search_space.program import Program


@runtime_checkable
class WorkerPool(Protocol):
    """Runs JSON-able jobs (see :mod:`symopt.search.workers`) and answers them by job id."""

    size: int

    def submit(self, job_id: int, job: dict) -> None:
        """Queue ``job``; it may start at once.

        Args:
          job_id: the job's id (unique among those not answered).
          job: the JSON-able job.
        """

    def result(self, job_id: int) -> tuple[dict, str]:
        """Block until job ``job_id`` is answered.

        Args:
          job_id: a submitted job's id.

        Returns:
          ``(answer, worker name)``.
        """

    def close(self) -> None:
        """Stop the workers."""


@runtime_checkable
class StageEvaluator(Protocol):
    """Scores programs on the stages of a funnel (fitness: a loss ratio to the reference, lower is better)."""

    funnel: Any

    def evaluate(self, programs: Sequence[Program], stage: str, seeds=None) -> list[float]:
        """Fitness per program on ``stage``.

        Args:
          programs: the programs.
          stage: the stage's name.
          seeds: the training seeds (default: the stage's).

        Returns:
          One fitness per program (``math.inf`` when invalid or diverged).
        """

    def evaluate_losses(self, programs: Sequence[Program], stage: str, seeds=None) -> list[list[float]]:
        """Raw validation losses per program and seed.

        Args:
          programs: the programs.
          stage: the stage's name.
          seeds: the training seeds (default: the stage's).

        Returns:
          Per program, one loss per seed.
        """
