"""``symopt.search.evolve``: the engine in-process with a user fitness."""

from __future__ import annotations

import math
import warnings

import pytest

from search_space.seeds import load_seed
from symopt.errors import UserError
from symopt.search import EvolveOptions, evolve
from symopt.search.engine import Engine


def _live(p) -> int:
    from search_space.analysis import prune

    return len(prune(p).statements)


def _length(programs):
    """Live statements: equivalent programs (same functional hash) score the same, as a fitness must."""
    return [float(_live(p)) for p in programs]


def _summary(result):
    return [(r.eval_id, r.hash, r.fitness, r.mutation, r.cached) for r in result.history]


def test_same_seed_same_history_and_history_is_complete():
    a = evolve("adamw", _length, budget=120, seed=3, population=20, tournament=4)
    b = evolve("adamw", _length, budget=120, seed=3, population=20, tournament=4)
    c = evolve("adamw", _length, budget=120, seed=4, population=20, tournament=4)
    assert _summary(a) == _summary(b)
    assert _summary(a) != _summary(c)
    assert [r.eval_id for r in a.history] == list(range(120))
    assert a.history[0].mutation == "seed" and a.history[0].parent is None
    assert all(r.parent is not None and r.mutation for r in a.history[1:])
    assert a.best_fitness == min(r.fitness for r in a.history)
    # the best program is in the history with that fitness, and fitness decreased from the seed's 9 statements
    assert any(r.program == a.best and r.fitness == a.best_fitness for r in a.history)
    assert a.best_fitness < 9


def test_cache_hits_cost_no_fitness_call_and_keep_their_fitness():
    calls = []

    def fitness(programs):
        calls.extend(programs)
        return _length(programs)

    result = evolve("adamw", fitness, budget=300, seed=0, population=10, tournament=5, islands=1)
    cached = [r for r in result.history if r.cached]
    assert cached, "a run of 300 from AdamW re-proposes some programs"
    assert len(calls) == len(result.history) - len(cached)
    first = {}
    for r in result.history:
        first.setdefault(r.hash, r.fitness)
        assert r.fitness == first[r.hash]


def test_bad_fitness_values_become_inf_with_one_warning_and_never_stop_the_search():
    def fitness(programs):
        out = []
        for p in programs:
            n = _live(p)
            if n % 3 == 0:
                raise RuntimeError("boom")
            out.append(math.nan if n % 3 == 1 else float(n))
        return out

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evolve("adamw", fitness, budget=80, seed=1, population=10, tournament=3, islands=1)
    ours = [w for w in caught if "evolve:" in str(w.message)]
    assert len(ours) == 1
    assert len(result.history) == 80
    for r in result.history:
        n = _live(r.program)
        assert (r.fitness == math.inf) if n % 3 != 2 else r.fitness == float(n)


def test_a_fitness_returning_the_wrong_number_of_values_is_one_line():
    with pytest.raises(UserError, match="returned 0 values for 1 programs"):
        evolve("adamw", lambda ps: [], budget=5)


@pytest.mark.parametrize("kwargs, message", [
    ({"populaton": 10}, "unknown option 'populaton' (did you mean 'population'?)"),
    ({"tournament": 0}, "'tournament' must be >= 1"),
    ({"population": 10, "tournament": 20}, "'tournament' (20) exceeds"),
    ({"islands": 3, "population": 6, "tournament": 3}, "exceeds the population of an island"),
    ({"tune_variants": -1}, "'tune_variants' must be >= 0"),
    ({"lr_linear": 1}, "'lr_linear' must be true or false"),
    ({"budget": 0}, "budget must be a positive integer"),
    ({"space": "nope"}, "no search space named 'nope'"),
])
def test_bad_options_are_one_line_errors(kwargs, message):
    from search_space.errors import InputError

    args = {"budget": 10, **kwargs}
    with pytest.raises(InputError) as err:
        evolve("adamw", _length, **args)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_seed_outside_the_space_and_a_non_callable_fitness_are_one_line():
    with pytest.raises(UserError, match="not in space 'compact'"):
        evolve("program2", _length, budget=5)
    with pytest.raises(UserError, match="fitness must be callable"):
        evolve("adamw", 3, budget=5)


def test_every_feature_acts_through_evolve():
    """Islands migrate, restarts fire, new bests get tuned constants: counted and logged."""
    result = evolve("adamw", _length, budget=400, seed=2, population=40, tournament=4, islands=4,
                    migrate_every=50, restart_seed_every=150, tune_variants=4)
    c = result.counters
    assert c["migrations"] == 400 // 50 - 0 or c["migrations"] >= 7
    assert c["restarts_seed"] >= 2
    assert c["tuned"] > 0
    assert {r.island for r in result.history} == {0, 1, 2, 3}
    assert any(r.mutation == "tune constants" for r in result.history)


def test_engine_state_round_trip_continues_identically():
    import numpy as np

    from search_space.spaces import load_space

    def make():
        return Engine(load_seed("adamw"), load_space("compact"), EvolveOptions(population=12, tournament=3, islands=2,
                      migrate_every=5, tune_variants=2), rng=np.random.default_rng(5), seed_score=9.0)

    a = make()
    for p in a.ask(10):
        a.tell(p, float(len(p.candidate.program.statements)))
    b = make()
    b.restore(a.state())
    for _ in range(5):
        pa, pb = a.ask(3), b.ask(3)
        assert [p.candidate.text for p in pa] == [p.candidate.text for p in pb]
        for x, y in zip(pa, pb):
            a.tell(x, 1.0)
            b.tell(y, 1.0)
