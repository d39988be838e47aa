"""The search algorithm over programs, as ask/tell: the one engine behind ``evolve`` and ``symopt search``.

:class:`Engine` owns everything that decides *which* programs are proposed:
regularized evolution (one population per island, :mod:`symopt.evolution`),
the mutator of the search space (every operator of
:mod:`search_space.mutation`), migration between islands, restarts from the
seed or from the best after a plateau, and constant tuning (a batch of
constant variants of each new best, scored together, as PySR tunes the
constants of each equation).  It knows nothing of how programs are scored:
``tell`` takes any comparable score (lower is better), a float for
:func:`symopt.search.evolve`, a ``(fitness, stage)`` tuple for the funnel of
``symopt search``.  ``state()`` / ``restore()`` make it resumable.

>>> import numpy as np
>>> from search_space.seeds import load_seed
>>> from search_space.spaces import load_space
>>> from symopt.search.options import EvolveOptions
>>> e = Engine(load_seed("adamw"), load_space("compact"), EvolveOptions(population=8, tournament=2),
...            rng=np.random.default_rng(0), seed_score=1.0)
>>> p = e.ask(1)[0]
>>> p.parent.hash == e.seed.hash, p.candidate.hash != e.seed.hash
(True, True)
>>> e.tell(p, 0.5); e.best[1]
0.5
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

import numpy as np

from search_space.errors import InputError
from search_space.hashing import functional_hash
from search_space.mutation import Mutator
from search_space.parser import parse
from search_space.program import Program, format_program
from search_space.spaces import Space
from symopt.evolution import RegularizedEvolution, score_from_json, score_to_json
from symopt.search.options import EvolveOptions


@dataclasses.dataclass(frozen=True)
class Cand:
    """A program with its functional hash and its text (what logs and workers carry).

    Attributes:
      program: the program.
      hash: its functional hash.
      text: its text (``format_program``).
    """

    program: Program
    hash: str
    text: str

    @classmethod
    def of(cls, program: Program) -> Cand:
        """The candidate of ``program``.

        Args:
          program: the program.

        Returns:
          The program with its hash and text.
        """
        return cls(program, functional_hash(program), format_program(program))

    @classmethod
    def parse(cls, text: str) -> Cand:
        r"""The candidate of a program's text.

        Args:
          text: the program's source.

        Returns:
          The parsed program with its hash and (normalised) text.

        Raises:
          InputError: the text is not a program.

        >>> Cand.parse("def train(w, g, m, v, lr):\n    u = g * lr\n    return u, m, v\n").program.returns
        ('u', 'm', 'v')
        """
        return cls.of(parse(text))


@dataclasses.dataclass(frozen=True)
class Proposal:
    """A proposed child.

    Attributes:
      id: the proposal's number, in the order proposals were made.
      candidate: the child.
      parent: the program it was made from.
      mutation: how it was made from ``parent``.
      island: the island that takes its score.
    """

    id: int
    candidate: Cand
    parent: Cand | None
    mutation: str
    island: int


class Engine:
    """Ask/tell search over programs of ``space`` from ``seed`` (see the module docstring).

    Args:
      seed: the seed program (every island starts from it).
      space: the search space (its mutator).
      options: population, tournament, islands, migration, restarts, constant tuning.
      rng: the random stream (shared by the islands; resumed with the engine's state).
      seed_score: the seed's score.

    Attributes:
      seed: the seed's candidate.
      islands: one :class:`~symopt.evolution.RegularizedEvolution` per island.
      best: ``(candidate, score)`` of the best told so far.
      counters: restarts, migrations and constant variants proposed.
    """

    def __init__(self, seed: Program, space: Space, options: EvolveOptions, *, rng: np.random.Generator,
                 seed_score: Any):
        self.options, self.rng = options, rng
        self.seed = Cand.of(seed)
        self.seed_score = seed_score
        self.mutator = Mutator(space, lr_linear=options.lr_linear)
        self.islands = [
            RegularizedEvolution(self.seed, self._mutate, seed_score=seed_score, population=options.island_size,
                                 tournament=options.tournament, rng=rng, key=lambda c: c.hash,
                                 niche_limit=options.niche_limit)
            for _ in range(options.islands)]
        self.best: tuple[Cand, Any] = (self.seed, seed_score)
        self.queue: deque[Proposal] = deque()      # constant variants waiting to be proposed
        self.asked = self.told = self.best_at = self.last_seed_restart = 0
        self.counters = dict(restarts_seed=0, restarts_best=0, migrations=0, tuned=0)

    # -- ask / tell ---------------------------------------------------------
    def _mutate(self, cand: Cand, rng):
        try:
            child, mutation = self.mutator.mutate(cand.program, rng)
        except InputError:
            return None
        return Cand.of(child), str(mutation)

    def ask(self, n: int = 1) -> list[Proposal]:
        """``n`` proposals: waiting constant variants first, then children of tournament winners.

        The islands take turns.

        Args:
          n: how many.

        Returns:
          The proposals.
        """
        out = []
        while len(out) < n:
            if self.queue:
                out.append(self.queue.popleft())
                continue
            island = self.asked % len(self.islands)
            p = self.islands[island].ask(1)[0]
            out.append(Proposal(self.asked, p.candidate, p.parent, p.info, island))
            self.asked += 1
        return out

    def tell(self, proposal: Proposal | Cand, score: Any, island: int | None = None) -> None:
        """Tell the score of a proposal (or of a bare candidate for ``island``, as a resumed run replays it).

        A new best queues its constant variants (``tune_variants``); migration and restarts follow
        the count of scores told.

        Args:
          proposal: a proposal from :meth:`ask`, or a candidate.
          score: its score (lower is better; any comparable value).
          island: the island of a bare candidate (default 0; ignored for a proposal).
        """
        if isinstance(proposal, Proposal):
            cand, island = proposal.candidate, proposal.island
        else:
            cand, island = proposal, island or 0
        self.islands[island].tell(cand, score)
        self.told += 1
        if score < self.best[1]:
            self.best, self.best_at = (cand, score), self.told
            if self.options.tune_variants:
                self._queue_variants(cand, island)
        self._migrate()
        self._restart()

    # -- constant tuning, migration, restarts -------------------------------
    def _queue_variants(self, cand: Cand, island: int) -> None:
        variants = self.mutator.constant_variants(cand.program, self.options.tune_variants, self.rng)
        self.queue.clear()         # an older best's variants are stale
        for program in variants:
            self.queue.append(Proposal(self.asked, Cand.of(program), cand, "tune constants", island))
            self.asked += 1
            self.counters["tuned"] += 1

    def _migrate(self) -> None:
        every = self.options.migrate_every
        if len(self.islands) < 2 or not every or self.told % every:
            return
        bests = [isl.best() for isl in self.islands]
        for k, m in enumerate(bests):
            self.islands[(k + 1) % len(self.islands)].tell(m.candidate, m.score)
        self.counters["migrations"] += 1

    def _restart(self) -> None:
        o = self.options
        if o.restart_seed_every and self.told - self.last_seed_restart >= o.restart_seed_every:
            for isl in self.islands:
                isl.restart(self.seed, self.seed_score)
            self.last_seed_restart = self.told
            self.counters["restarts_seed"] += 1
        if o.restart_best_plateau and self.told - self.best_at >= o.restart_best_plateau:
            for isl in self.islands:
                isl.restart(*self.best)
            self.best_at = self.told
            self.counters["restarts_best"] += 1

    # -- persistence ----------------------------------------------------------
    def state(self) -> dict:
        """A JSON-able snapshot (programs as text); restore it into an Engine built the same way.

        Returns:
          The islands, best, queue, counters and random stream.
        """
        return {
            "islands": [{k: v for k, v in isl.state(lambda c: c.text).items() if k != "rng"} for isl in self.islands],
            "best": [self.best[0].text, score_to_json(self.best[1])],
            "queue": [[p.id, p.candidate.text, p.parent.text if p.parent else None, p.mutation, p.island]
                      for p in self.queue],
            "marks": [self.asked, self.told, self.best_at, self.last_seed_restart],
            "counters": dict(self.counters),
            "rng": self.rng.bit_generator.state,
        }

    def restore(self, st: dict) -> None:
        """Continue from a snapshot of :meth:`state`.

        Args:
          st: the snapshot.

        Raises:
          ValueError: the snapshot has another number of islands.
        """
        if len(st["islands"]) != len(self.islands):
            raise ValueError(f"checkpoint has {len(st['islands'])} islands, the configuration {len(self.islands)}")
        for isl, s in zip(self.islands, st["islands"]):
            isl.restore(s, Cand.parse)
        self.best = (Cand.parse(st["best"][0]), score_from_json(st["best"][1]))
        self.queue = deque(Proposal(i, Cand.parse(t), Cand.parse(pt) if pt else None, m, isl)
                           for i, t, pt, m, isl in st["queue"])
        self.asked, self.told, self.best_at, self.last_seed_restart = (int(x) for x in st["marks"])
        self.counters.update(st["counters"])
        self.rng.bit_generator.state = st["rng"]
