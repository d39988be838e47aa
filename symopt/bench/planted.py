"""``symopt bench planted``: can the search engine reach a planted target at all?

Each row searches from a seed program with :func:`symopt.search.evolve` under
the planted fitness of a target (:mod:`symopt.bench.planted_fitness`) until
the project's recogniser (:func:`symopt.recognise.recognise`) names a
candidate in the target's family (``reached``) that also beats the row's *bar* (``reached_beyond_bar``): the best
distance of the rival optimizers with their constants tuned (for Lion: the
best Signum, the trap every run falls into first), so a find with poor
constants is told apart from a good one.  Each candidate that beats the
seed's own distance is recognised (cached by functional hash), so
"candidates to first reach" counts every candidate before it, the seed and
cache hits included.  The same budget of *random walks* (the seed mutated
1-10 times, each walk from the seed) is the baseline.

Keys per row (``--json``: one object per line): ``row, space, seeds, budget,
reached, median_candidates, range_candidates, random_reached,
random_median_candidates, candidates_per_s`` (children per second of the
search loop alone: mutation, validity with the lr probe, hashing and the
planted fitness; recognition is timed apart and left out), and
``reached_beyond_bar``, ``median_candidates_beyond_bar``, ``bar``, ``firsts``.

``--ablation`` measures the search features one at a time, cumulatively, on
the same seeds and budget (:data:`ABLATION`): the before/after table of
docs/search.md.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time

import numpy as np

from search_space.errors import ProgramError
from search_space.hashing import functional_hash
from search_space.mutation import Mutator
from search_space.program import Program
from search_space.seeds import load_seed
from search_space.spaces import Space, load_space
from symopt.bench.planted_fitness import PlantedFitness
from symopt.errors import UserError
from symopt.recognise import recognise
from symopt.search import evolve
from symopt.search.result import Record
from symopt.simplify import simplify


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    seed: str
    target: str
    families: tuple[str, ...]
    budget: dict            # space -> candidates
    rivals: tuple[str, ...]  # seed programs whose tuned distance is the bar a find must beat


ROWS = (
    Row("adamw->lion", "adamw", "lion", ("lion",), {"compact": 10_000, "hero": 20_000}, ("signum",)),
    Row("signum->lion", "signum", "lion", ("lion",), {"compact": 10_000, "hero": 20_000}, ("signum",)),
    Row("sgd->adam", "sgd", "adam", ("adam",), {"compact": 2_000, "hero": 2_000}, ("rmsprop", "signum")),
    Row("adamw->signum", "adamw", "signum", ("signum",), {"compact": 5_000, "hero": 10_000}, ("adam",)),
)
GRID = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def tuned_distance(fitness, program: Program, rounds: int = 2) -> float:
    """The program's best distance with each constant in (0.5, 1) tuned on :data:`GRID`, one at a time."""
    best = fitness.distance(program)
    for _ in range(rounds):
        for i in range(len(program.statements)):
            for k, a in enumerate(program.statements[i].args):
                if not (isinstance(a, float) and 0.5 < a < 1.0):
                    continue
                for value in GRID:
                    st = program.statements[i]
                    stmts = list(program.statements)
                    stmts[i] = st.replace(args=st.args[:k] + (value,) + st.args[k + 1:])
                    d = fitness.distance(program.with_statements(stmts))
                    if d < best:
                        best, program = d, program.with_statements(stmts)
    return best


def bar(row: Row, fitness) -> float:
    """The distance a find must beat: the best of the row's rival optimizers, constants tuned."""
    return min(tuned_distance(fitness, load_seed(r)) for r in row.rivals)
SPACES = ("compact", "hero")
QUICK_BUDGET = 1_500


class Reach:
    """Callback of one run: recognises each newly scored candidate; stops at the first in ``families``.

    Recognition is exact (:func:`symopt.recognise.recognise`); a candidate that is the
    run's new best is also recognised after the measured simplifier (clip to sign,
    unwrapping), judged on the planted streams themselves.
    """

    def __init__(self, families: tuple[str, ...], known: dict, fitness=None, bar: float = math.inf,
                 gate: float = math.inf):
        self.families, self.known, self.fitness = families, known, fitness  # known: hash -> family
        self.bar = bar
        self.first: int | None = None            # first candidate named in the family
        self.first_beyond: int | None = None     # first one named in the family AND beating the bar
        self.program: Program | None = None
        self.distance = math.inf
        self.seconds = 0.0
        self.best = math.inf
        self.gate = gate              # the seed's fitness: only candidates beating it are recognised

    def _family(self, record) -> str | None:
        if record.eval_id == 0:
            self.gate = record.fitness
        if not record.fitness < self.gate:
            return None
        family = self.known.get(record.hash, "?")
        if family == "?":
            family = self.known[record.hash] = recognise(record.program).family
        if record.fitness < self.best:
            self.best = record.fitness
            if family not in self.families and self.fitness is not None:
                measured = simplify(record.program, measure=True, evaluator=self.fitness, stage="planted",
                                    seeds=range(self.fitness.streams), kinds=("unwrap", "clip_sign"))
                family = recognise(measured.program).family
        return family

    def __call__(self, record) -> bool:
        t0 = time.perf_counter()
        family = self._family(record)
        self.seconds += time.perf_counter() - t0
        if family in self.families:
            if self.first is None:
                self.first, self.program, self.distance = record.eval_id, record.program, record.fitness
            if record.fitness < self.bar:
                self.first_beyond = record.eval_id
                return True
        return False


def _space(name: str, variant: dict | None = None) -> Space:
    space = load_space(name)
    if variant and variant.get("space"):
        space = dataclasses.replace(space, **variant["space"])
    return space


def search_run(row: Row, space: Space, seed: int, budget: int, known: dict, options: dict | None = None,
               the_bar: float = math.inf) -> dict:
    """One evolutionary run: first reach (or None), the found program, loop children/s."""
    fitness = PlantedFitness(row.target)
    reach = Reach(row.families, known, fitness, the_bar)
    result = evolve(row.seed, fitness, budget=budget, space=space, seed=seed, callback=reach, **(options or {}))
    loop = result.counters["seconds"] - reach.seconds
    return {"first": reach.first, "first_beyond": reach.first_beyond, "program": reach.program,
            "distance": reach.distance, "candidates": result.counters["candidates"],
            "children_per_s": result.counters["candidates"] / loop if loop > 0 else math.inf,
            "best": result.best_fitness}


def random_run(row: Row, space: Space, seed: int, budget: int, known: dict, the_bar: float = math.inf) -> dict:
    """Random walks of 1-10 mutations from the seed, scored with the same fitness and cache."""
    fitness, mutator = PlantedFitness(row.target), Mutator(space, lr_linear=True)
    rng, start = np.random.default_rng(10_000 + seed), load_seed(row.seed)
    reach, scores = Reach(row.families, known, fitness, the_bar, gate=fitness.distance(start)), {}
    for i in range(1, budget):        # candidate 0 is the seed, as in a search
        p = start
        for _ in range(int(rng.integers(1, 11))):
            try:
                p = mutator.mutate(p, rng)[0]
            except ProgramError:     # a program with (almost) no valid child: the walk ends there
                break
        h = functional_hash(p)
        if h not in scores:
            scores[h] = fitness.distance(p)
        if reach(Record(i, p, scores[h], h, start, "random walk", False)):
            break
    return {"first": reach.first, "first_beyond": reach.first_beyond, "program": reach.program}


def _summary(firsts: list) -> tuple[int, float | None, list | None]:
    got = [f for f in firsts if f is not None]
    if not got:
        return 0, None, None
    return len(got), float(statistics.median(got)), [min(got), max(got)]


def run_row(row: Row, space_name: str, seeds: list[int], budget: int | None = None, random: bool = True,
            variant: dict | None = None, log=print) -> dict:
    """The figures of one row on one space (see the module docstring for the keys)."""
    budget = budget or row.budget[space_name]

    space, known = _space(space_name, variant), {}
    the_bar = bar(row, PlantedFitness(row.target))
    runs = [search_run(row, space, s, budget, known, (variant or {}).get("options"), the_bar) for s in seeds]
    walks = [random_run(row, space, s, budget, known, the_bar) for s in seeds] if random else []
    reached, median, span = _summary([r["first"] for r in runs])
    beyond, beyond_median, _ = _summary([r["first_beyond"] for r in runs])
    r_reached, r_median, _ = _summary([r["first"] for r in walks])
    r_beyond, r_beyond_median, _ = _summary([r["first_beyond"] for r in walks])
    out = {"row": row.name, "space": space_name, "seeds": list(seeds), "budget": budget, "reached": reached,
           "median_candidates": median, "range_candidates": span, "random_reached": r_reached if random else None,
           "random_median_candidates": r_median, "reached_beyond_bar": beyond,
           "median_candidates_beyond_bar": beyond_median, "random_reached_beyond_bar": r_beyond if random else None,
           "random_median_candidates_beyond_bar": r_beyond_median,
           "bar": the_bar,
           "candidates_per_s": float(statistics.median(r["children_per_s"] for r in runs)),
           "firsts": [r["first"] for r in runs], "firsts_beyond_bar": [r["first_beyond"] for r in runs],
           "distance_at_first": [r["distance"] if math.isfinite(r["distance"]) else None for r in runs],
           "found": [str(r["program"]) if r["program"] is not None else None for r in runs]}
    if log:
        log(f"{row.name:<14} {space_name:<8} reached {reached}/{len(seeds)} (median {median}, firsts "
            f"{out['firsts']}), beyond the bar {out['bar']:.3f} {beyond}/{len(seeds)} (median {beyond_median}); "
            f"random walks {out['random_reached']}/{len(seeds)}, beyond {out['random_reached_beyond_bar']}; "
            f"{out['candidates_per_s']:.0f} children/s")
    return out


OLD_KINDS = {"insert": 1.0, "delete": 1.0, "modify": 1.0, "duplicate": 1.0, "wrap": 0.0, "moving_average": 0.0}
NEW_KINDS = {**OLD_KINDS, "wrap": 1.0, "moving_average": 1.0}
_PAPER_CONSTANTS = {"one_minus_probability": 0.0, "small_step_probability": 0.0}
_NEAR_ONE = {"one_minus_probability": 0.5, "small_step_probability": 0.3}
_PLAIN = {"islands": 1, "migrate_every": 0, "tune_variants": 0, "restart_seed_every": 0, "restart_best_plateau": 0,
          "population": 100}
ABLATION = (   # cumulative: each variant adds one feature to the one before; every option spelt out
    ("insert/delete/modify/duplicate, constants c*2^N(0,1), tournament 2",
     {"space": {"mutation_weights": OLD_KINDS, **_PAPER_CONSTANTS}, "options": {**_PLAIN, "tournament": 2}}),
    ("+ tournament 10",
     {"space": {"mutation_weights": OLD_KINDS, **_PAPER_CONSTANTS}, "options": {**_PLAIN, "tournament": 10}}),
    ("+ constant steps on 1 - c and small log steps",
     {"space": {"mutation_weights": OLD_KINDS, **_NEAR_ONE}, "options": {**_PLAIN, "tournament": 10}}),
    ("+ wrap and moving-average mutations",
     {"space": {"mutation_weights": NEW_KINDS, **_NEAR_ONE}, "options": {**_PLAIN, "tournament": 10}}),
    ("+ constant tuning (8 variants per new best)",
     {"space": {"mutation_weights": NEW_KINDS, **_NEAR_ONE},
      "options": {**_PLAIN, "tournament": 10, "tune_variants": 8}}),
    ("+ 4 islands, migration every 250 (the defaults)",
     {"space": {"mutation_weights": NEW_KINDS, **_NEAR_ONE},
      "options": {**_PLAIN, "tournament": 10, "tune_variants": 8, "islands": 4, "migrate_every": 250}}),
)


def ablation(seeds: list[int], budget: int, row: str = "adamw->lion", space: str = "compact", log=print) -> list:
    """The :data:`ABLATION` variants on one row, same seeds and budget (no random walks)."""
    chosen = {r.name: r for r in ROWS}[row]
    out = []
    for name, variant in ABLATION:
        r = run_row(chosen, space, seeds, budget, random=False, variant=variant, log=None)
        r["variant"] = name
        out.append(r)
        if log:
            log(f"{name:<70} named {r['reached']}/{len(seeds)} (median {r['median_candidates']}), beyond bar "
                f"{r['reached_beyond_bar']}/{len(seeds)} (median {r['median_candidates_beyond_bar']}), "
                f"{r['candidates_per_s']:.0f} children/s")
    return out


def run(quick: bool = False, log=print, seeds: list[int] | None = None, rows: list[str] | None = None,
        spaces: list[str] | None = None, budget: int | None = None, ablation_table: bool = False):
    """The rows x spaces, one figures dict per row as it finishes (``--quick``: compact only, 2 seeds,
    1,500 candidates); with ``ablation_table`` the :data:`ABLATION` variants on the first row and space
    given (default adamw->lion, compact)."""
    seeds = list(seeds) if seeds else ([0, 1] if quick else [0, 1, 2, 3, 4])
    names = {r.name: r for r in ROWS}
    for name in rows or ():
        if name not in names:
            raise UserError(f"unknown row {name!r} (known: {', '.join(names)})")
    for name in spaces or ():
        if name not in SPACES:
            raise UserError(f"unknown space {name!r} (known: {', '.join(SPACES)})")
    if ablation_table:
        row, space = (rows or ["adamw->lion"])[0], (spaces or ["compact"])[0]
        return ablation(seeds, budget or (QUICK_BUDGET if quick else names[row].budget[space] // 2), row, space,
                        log=log)
    spaces = list(spaces) if spaces else (["compact"] if quick else list(SPACES))
    chosen = [names[n] for n in rows] if rows else list(ROWS)
    budget = budget or (QUICK_BUDGET if quick else None)
    return (run_row(row, sp, seeds, budget, log=log) for row in chosen for sp in spaces)
