"""Regularized evolution as ask/tell: aging, tournaments, ties by age, niching, restarts, replay."""

import math

import numpy as np
import pytest

from symopt.evolution import Proposal, RegularizedEvolution


def make(population=4, tournament=2, seed=0, **kw):
    # candidates are ints; a mutation adds 1 to the parent
    return RegularizedEvolution(0, lambda x, rng: (x + 1, "inc"), seed_score=10.0, population=population,
                                tournament=tournament, rng=np.random.default_rng(seed), **kw)


def test_warm_start_population_is_copies_of_the_seed():
    evo = make(population=5)
    assert [m.candidate for m in evo.population] == [0] * 5
    assert len({m.birth for m in evo.population}) == 5


def test_tell_appends_and_removes_the_oldest():
    evo = make(population=3)
    for i, score in enumerate((5.0, 6.0, 7.0, 8.0)):
        evo.tell(100 + i, score)
    assert [m.candidate for m in evo.population] == [101, 102, 103]  # 100 (oldest) aged out
    assert [m.score for m in evo.population] == [6.0, 7.0, 8.0]


def test_tournament_picks_the_lowest_score():
    evo = make(population=3, tournament=3)
    for cand, score in ((1, 3.0), (2, 1.0), (3, 2.0)):
        evo.tell(cand, score)
    assert evo.select().candidate == 2
    assert [p.parent for p in evo.ask(5)] == [2] * 5


def test_ties_go_to_the_younger_member():
    evo = make(population=3, tournament=3)
    for cand in (7, 8, 9):
        evo.tell(cand, 1.0)
    assert evo.select().candidate == 9
    evo.tell(5, math.inf)  # an invalid candidate never wins a tie with a finite one
    assert evo.select().candidate == 9


def test_small_tournament_samples_distinct_members():
    evo = make(population=4, tournament=2, seed=3)
    for cand, score in ((1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)):
        evo.tell(cand, score)
    winners = {evo.select().candidate for _ in range(200)}
    assert winners == {1, 2, 3}  # 4 (the worst) can never win a tournament of 2 distinct members


def test_ask_numbers_proposals_and_mutates_the_winner():
    evo = make()
    props = evo.ask(3)
    assert [p.id for p in props] == [0, 1, 2]
    assert all(isinstance(p, Proposal) and p.candidate == p.parent + 1 and p.info == "inc" for p in props)


def test_failed_mutation_redraws():
    calls = []

    def mutate(x, rng):
        calls.append(x)
        return None if len(calls) < 3 else (x + 1, "ok")

    evo = RegularizedEvolution(0, mutate, seed_score=1.0, population=2, tournament=1, rng=np.random.default_rng(0))
    assert evo.ask()[0].candidate == 1 and len(calls) == 3


def test_niche_limit_caps_copies_of_one_key():
    evo = make(population=6, key=lambda c: c % 2, niche_limit=2)
    evo.restart(1, 5.0)  # six copies of one niche (a restart ignores the limit)
    for cand in (2, 4, 6):
        evo.tell(cand, 1.0)
    keys = [m.candidate % 2 for m in evo.population]
    assert keys.count(0) == 2                  # the third even one replaced the oldest even one
    assert [m.candidate for m in evo.population if m.candidate % 2 == 0] == [4, 6]


def test_restart_and_best():
    evo = make(population=3)
    evo.tell(42, 0.5)
    assert evo.best().candidate == 42
    evo.restart(42, 0.5)
    assert [m.candidate for m in evo.population] == [42, 42, 42]


def test_same_seed_same_sequence_and_state_roundtrip():
    def run(evo, n):
        seq = []
        for _ in range(n):
            p = evo.ask()[0]
            score = float((p.candidate * 7919) % 13)
            evo.tell(p, score)
            seq.append((p.candidate, score))
        return seq

    a, b = make(seed=5), make(seed=5)
    assert run(a, 30) == run(b, 30)
    c = make(seed=99)
    c.restore(a.state())  # the state (with the RNG) is all there is
    assert run(a, 20) == run(c, 20)


def test_replay_recovers_the_population():
    a = make(population=4)
    history = [(i, float(i % 3)) for i in range(10)]
    for cand, score in history:
        a.tell(cand, score)
    b = make(population=4)
    b.replay(history)
    assert [(m.candidate, m.score) for m in a.population] == [(m.candidate, m.score) for m in b.population]


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError):
        make(population=2, tournament=3)
