"""What a search returns: the best program, its fitness, the history and the figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from search_space.program import Program


@dataclasses.dataclass(frozen=True)
class Record:
    """One evaluated candidate, in evaluation order.

    Attributes:
      eval_id: its position in evaluation order.
      program: the candidate.
      fitness: its score (lower is better, ``inf`` for invalid).
      hash: its functional hash.
      parent: the program it was mutated from (``None`` for the seed).
      mutation: how it was made from ``parent`` (``"seed"`` for the seed).
      cached: an equivalent program (same functional hash) was scored before, so this one cost no
        fitness call.
      island: the island it was bred on.
    """

    eval_id: int
    program: Program
    fitness: float
    hash: str
    parent: Program | None
    mutation: str
    cached: bool
    island: int = 0


@dataclasses.dataclass
class SearchResult:
    """The outcome of :func:`symopt.search.evolve` or :func:`symopt.search.run_search`.

    Attributes:
      best: the best program found.
      best_fitness: its fitness (a float for ``evolve``; a dict of stage -> fitness for a funnel search).
      hall_of_fame: the best unique programs.
      counters: candidates, evaluations, cache hits, restarts and other figures.
      history: every candidate in evaluation order (``evolve``; a funnel search logs it in its run
        directory instead).
      run_dir: the run directory (a funnel search).
    """

    best: Program | None
    best_fitness: Any
    hall_of_fame: list
    counters: dict
    history: list[Record] = dataclasses.field(default_factory=list)
    run_dir: Path | None = None
