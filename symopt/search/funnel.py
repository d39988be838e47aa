"""Funnel promotion and fair ranking across stages.

Candidates start on stage A.  A candidate goes on to the next stage when its
fitness at this stage beats the seed program's by more than ``margin`` (a
relative 0.1 % by default: near-copies of the seed, whose gains are seed-noise
sized, do not buy a 5x dearer stage) and lies in the best ``promote_top``
fraction of the stage's recent results (a window of the last ``window``
results, so the bar follows the population and caps the cost of the next
stage once many candidates beat the seed).  Thresholds are fixed
when a batch is submitted (deterministic: they depend only on results told
before, in submission order).

Selection compares candidates that reached different stages fairly: every
fitness is a ratio to the same reference optimizer on that stage's task, so
``rank="ratio"`` uses the fitness at the highest stage reached (ties: the
higher stage wins); ``rank="stage"`` ranks by (stage reached, fitness there).

>>> p = Promoter(("A", "B", "C"), {"A": 0.5, "B": 0.5, "C": 1.0}, window=4)
>>> p.seed({"A": 1.0, "B": 1.0, "C": 1.0})
>>> for f in (0.9, 2.0, 3.0, 4.0): p.record({"A": f})
>>> p.thresholds()["A"]     # beat the seed (1.0) and be in the best half (<= 2.0)
1.0
>>> selection_score({"A": 0.9, "B": 1.2}, ("A", "B", "C"))
(1.2, -1)
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from filekit.nonfinite import none_to_inf


def highest_stage(fitness: dict, stages: tuple[str, ...]) -> str | None:
    """The last of ``stages`` that ``fitness`` holds.

    Args:
      fitness: ``{stage: value | None}``.
      stages: the stages, in order.

    Returns:
      The stage's name, or ``None`` when it holds none.

    >>> highest_stage({"A": 0.9, "B": None}, ("A", "B", "C"))
    'B'
    """
    reached = [s for s in stages if s in fitness]
    return reached[-1] if reached else None


def selection_score(fitness: dict, stages: tuple[str, ...], rank: str = "ratio") -> tuple:
    """Sort key (lower is better) of a fitness dict ``{stage: value|None}``.

    Args:
      fitness: ``{stage: value | None}``.
      stages: the stages, in order.
      rank: ``"ratio"``: the fitness at the highest stage reached, then the higher stage; ``"stage"``:
        the higher stage, then its fitness.

    Returns:
      ``(value, -level)`` or ``(-level, value)``; ``(inf, 0)`` when no stage was reached or the
      fitness there is not finite.

    >>> selection_score({"A": 0.9, "B": 1.2}, ("A", "B", "C"), rank="stage")
    (-1, 1.2)
    """
    top = highest_stage(fitness, stages)
    if top is None:
        return (math.inf, 0)
    level = stages.index(top)
    value = none_to_inf(fitness[top])
    if not math.isfinite(value):
        return (math.inf, 0)
    return (-level, value) if rank == "stage" else (value, -level)


class Promoter:
    """Per-stage promotion thresholds from the seed's fitness and a window of recent results.

    Args:
      stages: the stages, in order.
      promote_top: the fraction promoted, per stage.
      window: recent results kept per stage.
      margin: the relative margin by which a candidate must beat the seed.
    """

    def __init__(self, stages: tuple[str, ...], promote_top: dict, window: int = 200, margin: float = 0.0):
        self.stages, self.promote_top, self.window = tuple(stages), dict(promote_top), window
        self.margin = margin
        self.recent = {s: deque(maxlen=window) for s in self.stages[:-1]}
        self.seed_fitness: dict = {}

    def seed(self, fitness: dict) -> None:
        """Set the seed's fitness: each stage's bar is at most it, reduced by the margin.

        Args:
          fitness: the seed's ``{stage: value | None}``.
        """
        self.seed_fitness = {s: none_to_inf(v) for s, v in fitness.items()}

    def record(self, fitness: dict) -> None:
        """Add an evaluated candidate's results to the windows (the last stage keeps none).

        Args:
          fitness: ``{stage: value | None}``.
        """
        for s, v in fitness.items():
            if s in self.recent:
                self.recent[s].append(none_to_inf(v))

    def thresholds(self) -> dict:
        """The current bars: a candidate with fitness <= bar at ``stage`` goes on.

        Returns:
          ``{stage: bar}`` for every stage but the last (``None``: no finite bar yet).
        """
        out = {}
        for s in self.stages[:-1]:
            bar = self.seed_fitness.get(s, math.inf) * (1.0 - self.margin)
            vals = np.array(self.recent[s], float)
            if len(vals):
                q = float(np.quantile(vals, self.promote_top[s], method="inverted_cdf"))
                bar = min(bar, q)
            out[s] = bar if math.isfinite(bar) else None
        return out

    def state(self) -> dict:
        """The JSON-able windows (for checkpoints).

        Returns:
          ``{stage: recent values}`` (``None`` for a value that is not finite).
        """
        return {s: [None if not math.isfinite(v) else v for v in d] for s, d in self.recent.items()}

    def restore(self, state: dict) -> None:
        """Continue from the windows of :meth:`state`.

        Args:
          state: the snapshot.
        """
        for s, vals in state.items():
            self.recent[s] = deque((none_to_inf(v) for v in vals), maxlen=self.window)


def promoted(value, bar) -> bool:
    """Whether a stage fitness ``value`` clears the bar.

    Args:
      value: the fitness (``None``: not finite).
      bar: the bar (``None``: nothing finite is known yet: every finite value clears it).

    Returns:
      True when ``value`` is finite and at most ``bar``.

    >>> promoted(0.9, 1.0), promoted(1.1, 1.0), promoted(None, None)
    (True, False, False)
    """
    v = none_to_inf(value)
    return math.isfinite(v) and (bar is None or v <= bar)
