"""``evolve``: the search engine in-process, with any fitness function.

The same :class:`~symopt.search.engine.Engine` that ``symopt search`` runs on
Ray workers, driven by a plain loop: ask a batch, score the programs not seen
before (the functional cache: equivalent programs are scored once), tell.
Deterministic for a given ``seed``.

>>> from search_space.seeds import load_seed
>>> def fitness(programs):                 # lower is better: prefer short programs
...     return [float(len(p.statements)) for p in programs]
>>> result = evolve("adamw", fitness, budget=60, seed=1, population=20, tournament=4)
>>> len(result.history), result.best_fitness < 9
(60, True)
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from search_space.program import Program
from search_space.seeds import load_seed
from search_space.spaces import Space, load_space
from symopt.errors import UserError
from symopt.search.engine import Cand, Engine
from symopt.search.options import EvolveOptions
from symopt.search.result import Record, SearchResult

Fitness = Callable[[list[Program]], Sequence[float]]
HALL_OF_FAME = 20


def _program(seed_program: Program | str) -> Program:
    if isinstance(seed_program, Program):
        return seed_program
    if isinstance(seed_program, str):

        return load_seed(seed_program)
    raise UserError(f"seed_program must be a Program or a seed name, got {type(seed_program).__name__}")


def _space(space: Space | str) -> Space:
    if isinstance(space, Space):
        return space

    return load_space(space)


class _SafeFitness:
    """Calls the user's fitness; exceptions and NaN become ``inf`` with one warning per run."""

    def __init__(self, fitness: Fitness):
        if not callable(fitness):
            raise UserError(f"fitness must be callable (programs -> list of floats), got {type(fitness).__name__}")
        self.fitness, self.warned, self.calls = fitness, False, 0

    def _warn(self, what: str) -> None:
        if not self.warned:
            warnings.warn(f"evolve: {what}; such programs score inf (reported once per run)", RuntimeWarning,
                          stacklevel=4)
            self.warned = True

    def __call__(self, programs: list[Program]) -> list[float]:
        self.calls += 1
        try:
            values = list(self.fitness(programs))
        except Exception as exc:  # noqa: BLE001 - a user's fitness may fail in any way
            if len(programs) > 1:                 # find the program(s) it fails on
                return [x for p in programs for x in self([p])]
            self._warn(f"the fitness raised {type(exc).__name__}: {exc}")
            return [math.inf]
        if len(values) != len(programs):
            raise UserError(f"fitness returned {len(values)} values for {len(programs)} programs")
        out = []
        for v in values:
            try:
                x = float(v)
            except (TypeError, ValueError):
                self._warn(f"the fitness returned {v!r}, not a number")
                x = math.inf
            if math.isnan(x) or x == -math.inf:
                self._warn(f"the fitness returned {x}")
                x = math.inf
            out.append(x)
        return out


def evolve(seed_program: Program | str, fitness: Fitness, *, budget: int, space: Space | str = "compact",
           seed: int = 0, callback: Callable[[Record], bool | None] | None = None, **options) -> SearchResult:
    """Regularized evolution from ``seed_program``, minimising ``fitness``.

    Args:
      seed_program: the warm start, a :class:`Program` or a seed name (``"adamw"``).
      fitness: ``fitness(programs) -> list of floats``, lower is better, ``math.inf`` for
        invalid.  Called with batches of programs not scored before; an exception or NaN
        scores ``inf`` (one warning per run) and the search goes on.
      budget: candidates to evaluate, the seed and cache hits included.
      space: a :class:`Space` or a space name (``"compact"``, ``"hero"``) or TOML file.
      seed: the RNG seed: the same seed gives the same history.
      callback: called with each :class:`Record` as it is told; a true return stops the search.
      **options: :class:`~symopt.search.options.EvolveOptions` (population, tournament,
        islands, migrate_every, restart_seed_every, restart_best_plateau, tune_variants,
        niche_limit, lr_linear, batch).

    Returns:
      A :class:`SearchResult` with ``best``, ``best_fitness``, ``history`` (one
      :class:`Record` per candidate, in evaluation order), ``hall_of_fame`` and ``counters``.

    Raises:
      UserError: a bad budget, option, space or seed program, a fitness that is not callable, or
        one that does not return one value per program.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise UserError(f"budget must be a positive integer, got {budget!r}")
    opts = EvolveOptions.from_kwargs(options)
    sp, start = _space(space), _program(seed_program)
    problem = sp.problem(start)
    if problem is not None:
        raise UserError(f"seed program: {problem[0]}")
    score = _SafeFitness(fitness)
    t0 = time.perf_counter()
    seed_score = score([start])[0]
    engine = Engine(start, sp, opts, rng=np.random.default_rng(seed), seed_score=seed_score)
    cache = {engine.seed.hash: seed_score}
    history = [Record(0, start, seed_score, engine.seed.hash, None, "seed", False)]
    stop = bool(callback and callback(history[0]))
    while len(history) < budget and not stop:
        proposals = engine.ask(min(opts.batch, budget - len(history)))
        new: dict[str, Cand] = {}
        for p in proposals:
            if p.candidate.hash not in cache:
                new.setdefault(p.candidate.hash, p.candidate)
        for h, x in zip(new, score([c.program for c in new.values()])):
            cache[h] = x
        for p in proposals:
            value = cache[p.candidate.hash]
            engine.tell(p, value)
            cached = p.candidate.hash not in new or new.pop(p.candidate.hash) is not p.candidate
            rec = Record(len(history), p.candidate.program, value, p.candidate.hash,
                         p.parent.program if p.parent else None, p.mutation, cached, p.island)
            history.append(rec)
            if callback and callback(rec):
                stop = True
                break
    return _result(history, engine, score.calls, time.perf_counter() - t0)


def _result(history: list[Record], engine: Engine, calls: int, seconds: float) -> SearchResult:
    best = min(history, key=lambda r: (r.fitness, r.eval_id))
    unique: dict[str, Record] = {}
    for r in sorted(history, key=lambda r: (r.fitness, r.eval_id)):
        unique.setdefault(r.hash, r)
        if len(unique) == HALL_OF_FAME:
            break
    hof = [{"hash": r.hash, "program": r.program, "fitness": r.fitness, "eval_id": r.eval_id}
           for r in unique.values()]
    cached = sum(r.cached for r in history)
    counters = dict(candidates=len(history), evaluated=len(history) - cached, cached=cached, fitness_calls=calls,
                    seconds=seconds, candidates_per_s=len(history) / seconds if seconds > 0 else math.inf,
                    **engine.counters)
    return SearchResult(best.program, best.fitness, hof, counters, history)
