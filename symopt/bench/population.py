"""``symopt bench evaluator --population``: the population path against its limit, side by side.

On the default funnel's stage A (``lion_lanes_a``; a candidate is 2 seeds x 3 lr scales = 6
trainings), on whatever device JAX uses:

* ``population_candidates_per_s``: ``{programs per call: candidates/s}`` of the population path
  (different mutants of AdamW in the ``compact`` space, as the main job proposes them);
* ``population_candidates_per_s_hero``: the same at the largest size for ``hero`` mutants (every
  function of the table: the tier a statement pays most for);
* ``per_program_candidates_per_s``: the per-program interpreter, one program per call;
* ``limit_trainings_per_s``: ``{lanes: trainings/s}`` of a hand-written optax Lion ``jax.vmap``-ed
  over (seed, lr scale) lanes of the same task: the cost of training alone;
* ``ratio_to_limit``: the population path's best trainings/s over the limit's best;
* ``population_candidates_per_s_gated``: the largest size again with the transcendental and reduction
  groups computed only where a lane needs them (a conditional per statement; the CPU default);
* ``stage_b_candidates_per_s``: the population path on stage B (``lion_lanes_b``, 25x the
  parameters) at ``STAGE_B_SIZE`` programs per call;
* ``compiles``: compilations of the population path over the whole measurement (one per call shape);
* ``equality``: per stage, the largest relative difference between the population path's losses
  and the per-program path's over the measured programs that are not chaotic (a 1e-6 change of the
  lr scale moves their per-program losses by less than 1e-4; see ``tests/test_evaluation_population.py``),
  and how many were chaotic.

Each figure is the median of ``repeats`` timed calls after a warm-up call that compiles.
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import proxies
from search_space.mutation import Mutator
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.evaluation.encoding import encode
from symopt.evaluation.interpreter import Interpreted
from symopt.evaluation.population import Population

ACCELERATOR_SIZES = (1, 64, 512, 4096)
CPU_SIZES = (1, 16, 64)
ACCELERATOR_LANES = (6, 96, 1536, 12288)
STAGE_B_SIZE = 256
CPU_LANES = (6, 96)
SEEDS, SCALES = (0, 1), (1 / 3, 1.0, 3.0)


def mutants(n: int, space: str, seed: int = 0) -> list:
    """``n`` programs from AdamW by random walks of 1-8 mutations in ``space``."""
    rng, mutator, out = np.random.default_rng(seed), Mutator(load_space(space), lr_linear=True), []
    while len(out) < n:
        p = load_seed("adamw")
        for _ in range(int(rng.integers(1, 9))):
            p = mutator.mutate(p, rng)[0]
        out.append(p)
    return out


def _median_seconds(call, repeats: int) -> float:
    call()                                            # compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def limit(task, lanes: int, repeats: int) -> float:
    """Trainings/s of optax's Lion over ``lanes`` (seed, lr scale) lanes of one vmapped call."""
    trainer = proxies.make_optax_trainer(task, optax.lion(3e-4, b1=0.9, b2=0.99))
    batched = jax.jit(jax.vmap(trainer.jitted))
    seeds = jnp.asarray(np.arange(lanes) % len(SEEDS), jnp.int32)
    scales = jnp.asarray(np.resize(np.repeat(SCALES, len(SEEDS)), lanes), jnp.float32)
    return lanes / _median_seconds(lambda: np.asarray(batched(seeds, scales)), repeats)


def run(quick: bool = False, log=print, sizes: tuple | None = None, equality_programs: int = 16) -> dict:
    """The figures of the module docstring (``quick``: fewer sizes and repeats)."""
    say = log or (lambda s: None)
    device = jax.devices()[0]
    accelerator = device.platform != "cpu"
    sizes = sizes or ((ACCELERATOR_SIZES if accelerator else CPU_SIZES)[:-1] if quick else
                      (ACCELERATOR_SIZES if accelerator else CPU_SIZES))
    lane_counts = (ACCELERATOR_LANES if accelerator else CPU_LANES)[: 2 if quick else None]
    repeats = 2 if quick else 3
    task = proxies.get_task("lion_lanes_a")
    per_call = len(SEEDS) * len(SCALES)
    say(f"population benchmark on {device.platform}:{device.device_kind}, task {task.name}, "
        f"{per_call} trainings per candidate")
    programs = mutants(max(sizes), "compact")
    population = Population(task)
    out = {"device": f"{device.platform}:{device.device_kind}", "task": task.name,
           "population_candidates_per_s": {}, "limit_trainings_per_s": {}}
    for n in sizes:
        seconds = _median_seconds(lambda n=n: population.train(programs[:n], SEEDS, SCALES), repeats)
        out["population_candidates_per_s"][str(n)] = n / seconds
        say(f"  population, {n} programs per call: {n / seconds:.1f} candidates/s ({seconds:.3f} s per call)")
    interp = Interpreted(task)
    one = [encode(programs[0])]
    seconds = _median_seconds(lambda: interp.grid_losses(one, SEEDS, SCALES), repeats)
    out["per_program_candidates_per_s"] = 1 / seconds
    say(f"  per-program interpreter: {1 / seconds:.1f} candidates/s")
    for lanes in lane_counts:
        out["limit_trainings_per_s"][str(lanes)] = limit(task, lanes, repeats)
        say(f"  limit (optax Lion, vmapped), {lanes} lanes: {out['limit_trainings_per_s'][str(lanes)]:.0f} "
            "trainings/s")
    best_population = max(out["population_candidates_per_s"].values()) * per_call
    out["ratio_to_limit"] = best_population / max(out["limit_trainings_per_s"].values())
    say(f"  ratio to the limit {out['ratio_to_limit']:.3f}")
    largest = max(sizes)
    hero = mutants(largest, "hero", seed=1)
    seconds = _median_seconds(lambda: population.train(hero, SEEDS, SCALES), repeats)
    out["population_candidates_per_s_hero"] = largest / seconds
    say(f"  population, {largest} hero programs per call: {largest / seconds:.1f} candidates/s")
    gated = Population(task, gated=not population.gated)
    seconds = _median_seconds(lambda: gated.train(programs[:largest], SEEDS, SCALES), repeats)
    out[f"population_candidates_per_s_{'gated' if gated.gated else 'ungated'}"] = largest / seconds
    say(f"  population, {largest} programs, {'gated' if gated.gated else 'ungated'}: "
        f"{largest / seconds:.1f} candidates/s")
    task_b = proxies.get_task("lion_lanes_b")
    pop_b, size_b = Population(task_b), min(STAGE_B_SIZE, largest)
    seconds = _median_seconds(lambda: pop_b.train(programs[:size_b], SEEDS, SCALES), repeats)
    out["stage_b_candidates_per_s"] = size_b / seconds
    say(f"  stage B ({task_b.name}), {size_b} programs per call: {size_b / seconds:.1f} candidates/s")
    out["compiles"] = population.compiles()
    out["equality"] = {}
    for stage, t, pop in (("A", task, population), ("B", task_b, pop_b)):
        out["equality"][stage] = equality(pop, Interpreted(t) if stage == "B" else interp,
                                          programs[:equality_programs])
        say(f"  stage {stage}: {out['equality'][stage]}")
    return out


def equality(population, interp, programs) -> dict:
    """The largest relative difference of the population path's losses to the per-program path's over
    the programs a 1e-6 nudge of the lr scale moves by less than 1e-4, and how many it moved more."""
    worst, chaotic = 0.0, 0
    for p, table in zip(programs, population.train(programs, SEEDS, SCALES)):
        e = [encode(p)]
        ref = interp.grid_losses(e, SEEDS, SCALES)[0]
        nudged = interp.grid_losses(e, SEEDS, tuple(s * (1 + 1e-6) for s in SCALES))[0]
        fin = np.isfinite(ref)
        if not np.array_equal(fin, np.isfinite(nudged)) or (
                fin.any() and np.max(np.abs(nudged[fin] - ref[fin]) / np.abs(ref[fin])) > 1e-4):
            chaotic += 1                     # its losses swing with the order of operations
            continue
        if not np.array_equal(fin, np.isfinite(table)):
            worst = float("inf")
        elif fin.any():
            worst = max(worst, float(np.max(np.abs(table[fin] - ref[fin]) / np.abs(ref[fin]))))
    return {"max_rel_diff_stable": worst, "chaotic": chaotic, "programs": len(programs)}
