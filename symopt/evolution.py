"""Regularized (aging) evolution as ask/tell, on any candidate type.

The algorithm only selects and replaces (Real et al. 2019; Chen et al. 2023):
``ask`` draws a tournament from the population, mutates its winner and
proposes the child; ``tell`` appends the child with its score and removes the
oldest member.  Lower scores are better (``math.inf`` = invalid); a tie in a
tournament goes to the younger member.  No I/O, no Ray: the same object serves
a local loop, a distributed driver (tell in submission order for determinism)
and a resume (``state()`` / ``restore()`` or replaying the told history).

>>> import numpy as np
>>> evo = RegularizedEvolution(0, lambda x, rng: (x + 1, "inc"), seed_score=5.0,
...                            population=3, tournament=2, rng=np.random.default_rng(0))
>>> [p.candidate for p in evo.ask(2)]
[1, 1]
>>> evo.tell(evo.ask()[0], 1.0); len(evo.population)
3
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

from filekit.nonfinite import inf_to_none, none_to_inf


@dataclasses.dataclass
class Member:
    """One member of the population.

    Attributes:
      candidate: the candidate.
      score: its score (comparable; lower is better).
      birth: its birth number (larger is younger).
      key: its niche (e.g. functional hash; ``None``: none).
    """

    candidate: Any
    score: Any          # comparable; lower is better
    birth: int          # larger = younger
    key: Hashable = None  # niche key (e.g. functional hash)


@dataclasses.dataclass
class Proposal:
    """A child proposed by :meth:`RegularizedEvolution.ask`, to be scored and told back.

    Attributes:
      id: the proposal's number (unique, increasing).
      candidate: the child.
      parent: the candidate it was mutated from.
      info: what the mutation did (``mutate``'s second value).
    """

    id: int               # proposal number (unique, increasing)
    candidate: Any
    parent: Any
    info: Any             # what the mutation did


class RegularizedEvolution:
    """Aging evolution over candidates produced by ``mutate(parent, rng) -> (child, info)``.

    ``mutate`` may return ``None`` (no child); the tournament is then redrawn.
    ``key(candidate)`` names a niche: with ``niche_limit > 0`` a child whose
    niche already holds that many members replaces the oldest of its niche
    instead of the oldest overall.

    Args:
      seed: the first candidate; the population starts as ``population`` copies of it.
      mutate: ``mutate(parent, rng) -> (child, info) | None``.
      seed_score: the seed's score.
      population: the population size.
      tournament: members drawn (without replacement) per tournament.
      rng: the ``numpy.random.Generator`` every draw comes from.
      key: ``key(candidate)``, the niche of a candidate (default: no niches).
      niche_limit: the most members one niche may hold (0: no limit).
      max_redraws: tournaments tried for one child before ``ask`` gives up.

    Raises:
      ValueError: ``tournament`` is not in ``[1, population]``.
    """

    def __init__(self, seed: Any, mutate: Callable, *, seed_score: Any, population: int = 100,
                 tournament: int = 2, rng: np.random.Generator, key: Callable | None = None,
                 niche_limit: int = 0, max_redraws: int = 100):
        if not 1 <= tournament <= population:
            raise ValueError(f"tournament {tournament} must be in [1, population={population}]")
        self.mutate, self.rng, self.key = mutate, rng, key or (lambda c: None)
        self.size, self.tournament = population, tournament
        self.niche_limit, self.max_redraws = niche_limit, max_redraws
        self.population: deque[Member] = deque()
        self.births = 0
        self.proposals = 0
        self.restart(seed, seed_score)

    # -- ask / tell ---------------------------------------------------------
    def select(self) -> Member:
        """Tournament: ``tournament`` distinct members at random; lowest score wins, ties -> youngest.

        Returns:
          The winner.
        """
        idx = self.rng.choice(len(self.population), size=self.tournament, replace=False)
        members = [self.population[int(i)] for i in idx]
        return min(members, key=lambda m: (m.score, -m.birth))

    def ask(self, n: int = 1) -> list[Proposal]:
        """``n`` children: each mutates the winner of a fresh tournament (redrawn while ``mutate`` gives None).

        Args:
          n: how many.

        Returns:
          The proposals, numbered in order.

        Raises:
          RuntimeError: ``max_redraws`` tournaments in a row gave no child.
        """
        out = []
        for _ in range(n):
            for _try in range(self.max_redraws):
                parent = self.select()
                made = self.mutate(parent.candidate, self.rng)
                if made is not None:
                    break
            else:
                raise RuntimeError(f"no mutation succeeded in {self.max_redraws} tournaments")
            child, info = made
            out.append(Proposal(self.proposals, child, parent.candidate, info))
            self.proposals += 1
        return out

    def tell(self, proposal: Proposal | Any, score: Any) -> None:
        """Add a scored child and age out the oldest member (or the oldest of its niche).

        Args:
          proposal: a :class:`Proposal` of :meth:`ask`, or a bare candidate.
          score: its score (lower is better; ``math.inf`` = invalid).
        """
        cand = proposal.candidate if isinstance(proposal, Proposal) else proposal
        self._add(cand, score)

    def _add(self, cand: Any, score: Any) -> None:
        k = self.key(cand)
        member = Member(cand, score, self.births, k)
        self.births += 1
        if self.niche_limit and k is not None:
            same = [m for m in self.population if m.key == k]
            if len(same) >= self.niche_limit:
                self.population.remove(same[0])  # oldest of its niche (deque is oldest-first)
                self.population.append(member)
                return
        self.population.append(member)
        while len(self.population) > self.size:
            self.population.popleft()

    # -- restarts, best, replay, state -------------------------------------
    def restart(self, candidate: Any, score: Any) -> None:
        """The population becomes ``population`` copies of ``candidate`` scored ``score`` (warm start, restart).

        Args:
          candidate: the candidate.
          score: its score.
        """
        self.population.clear()
        k = self.key(candidate)
        for _ in range(self.size):
            self.population.append(Member(candidate, score, self.births, k))
            self.births += 1

    def best(self) -> Member:
        """The member with the lowest score (the youngest among ties).

        Returns:
          The member.
        """
        return min(self.population, key=lambda m: (m.score, -m.birth))

    def replay(self, history: Iterable[tuple[Any, Any]]) -> None:
        """Re-tell ``history`` in order (recovering the population from a log).

        Args:
          history: ``(candidate, score)`` pairs.
        """
        for cand, score in history:
            self._add(cand, score)

    def state(self, encode: Callable = lambda c: c) -> dict:
        """A JSON-able snapshot that :meth:`restore` reads back.

        Args:
          encode: ``encode(candidate)``, a candidate as JSON (default: the candidate itself).

        Returns:
          ``{"members": [[candidate, score, birth], ...], "births", "proposals", "rng"}``.
        """
        return {
            "members": [[encode(m.candidate), score_to_json(m.score), m.birth] for m in self.population],
            "births": self.births, "proposals": self.proposals,
            "rng": self.rng.bit_generator.state,
        }

    def restore(self, state: dict, decode: Callable = lambda c: c) -> None:
        """Replace the population, counters and RNG state by a :meth:`state` snapshot.

        A snapshot without ``"rng"`` leaves the generator as it is.

        Args:
          state: the snapshot.
          decode: ``decode(json)``, the inverse of :meth:`state`'s ``encode``.

        Raises:
          ValueError: the snapshot has no members, or more than ``population``.

        >>> evo = RegularizedEvolution(0, lambda x, rng: (x + 1, "inc"), seed_score=5.0, population=2,
        ...                            tournament=1, rng=np.random.default_rng(0))
        >>> snap = evo.state(); evo.tell(evo.ask()[0], 1.0); evo.restore(snap)
        >>> [m.candidate for m in evo.population]
        [0, 0]
        """
        members = [Member(decode(c), score_from_json(s), int(b)) for c, s, b in state["members"]]
        for m in members:
            m.key = self.key(m.candidate)
        if not members or len(members) > self.size:
            raise ValueError(f"checkpoint population has {len(members)} members (expected 1..{self.size})")
        self.population = deque(members)
        self.births, self.proposals = int(state["births"]), int(state["proposals"])
        if "rng" in state:          # absent when the owner keeps one shared generator's state itself
            self.rng.bit_generator.state = state["rng"]


def score_to_json(score):
    """A score (a number or a tuple of numbers) as JSON: tuples become lists, ``inf`` becomes ``None``.

    Args:
      score: the score.

    Returns:
      Its JSON form.

    >>> score_to_json((2, float("inf"))), score_to_json(0.5)
    ([2, None], 0.5)
    """
    return inf_to_none(score)


def score_from_json(score):
    """The inverse of :func:`score_to_json`: lists become tuples, ``None`` is ``inf`` (a worst score).

    Args:
      score: the JSON form.

    Returns:
      The score.

    >>> score_from_json([2, None]), score_from_json(0.5)
    ((2.0, inf), 0.5)
    """
    if isinstance(score, list):
        return tuple(score_from_json(s) for s in score)
    return none_to_inf(score)
