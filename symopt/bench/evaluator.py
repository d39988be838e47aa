"""``symopt bench evaluator``: evaluator cost against a hand-written optax loop, throughput, cache, seeds.

Figures (measured side by side in one run):

* ``overhead_vs_optax``: seconds per (program x seed) training run of the batched evaluator on
  stage A, divided by the same for ``proxies.make_optax_trainer(task, adamw)`` (same task, steps, seeds);
* ``candidates_per_s`` / ``real_evals_per_s``: a small evolution from AdamW (tournament 2 over the
  last 32 evaluated, Mutator of the "hero" space), candidates deduplicated by the functional cache;
  every candidate counts, real evaluations are the cache misses trained on stage A;
* ``compiles_after_warmup``: compilations while evaluating 100 new programs after warm-up;
* ``cache_hit_rate``; ``seed_table``: fitness of the seed programs on every stage (mean, std over seeds);
* ``stage_a_candidates_per_s_old``, ``stage_a_candidates_per_s``, ``speedup``, ``lanes_vs_sequential``,
  ``grid_cost_vs_one_scale``: the default funnel's stage A, before and now (:mod:`symopt.bench.stage_a`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import optax

import proxies
from filekit.nonfinite import inf_to_none
from search_space.mutation import Mutator
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.bench import population as population_bench
from symopt.bench import stage_a
from symopt.evaluation import make_evaluator
from symopt.evaluation.encoding import encode
from symopt.evaluation.fitness import mean_std
from symopt.evaluation.interpreter import Interpreted
from symopt.search.inprocess import evolve

SEEDS = ("adamw", "lion", "signum", "sgd_momentum", "signsgd")


def _mutants(n: int, rng):
    mutator, out, p = Mutator(load_space("hero")), [], load_seed("adamw")
    while len(out) < n:
        p, _ = mutator.mutate(p if rng.random() < 0.7 else load_seed("adamw"), rng)
        out.append(p)
    return out


def _overhead(ev, stage: str, n_programs: int) -> dict:
    st = ev.stage(stage)
    task = ev.task(st.task)
    programs = _mutants(n_programs, np.random.default_rng(1))
    ev.evaluate(programs[:1], stage)                               # warm-up (compile)
    t0 = time.perf_counter()
    ev.evaluate(programs, stage)
    t_ev = (time.perf_counter() - t0) / (len(programs) * len(st.seeds))
    trainer = proxies.make_optax_trainer(task, optax.adamw(1e-3, weight_decay=10.0))
    trainer(0).block_until_ready()
    t0 = time.perf_counter()
    reps = max(3, n_programs // 4)
    for _ in range(reps):
        for s in st.seeds:
            trainer(jnp.int32(s)).block_until_ready()
    t_opt = (time.perf_counter() - t0) / (reps * len(st.seeds))
    return {"evaluator_s_per_run": t_ev, "optax_s_per_run": t_opt, "overhead_vs_optax": t_ev / t_opt}


def _compiles_after_warmup(ev, quick: bool) -> tuple[int, int]:
    """Compilations of the interpreter of stage A's task (shortened to a few steps in the full run:
    the compiled code's signature does not depend on the step count) for 100 new programs."""
    seeds = ev.stage("A").seeds
    task = ev.task(ev.stage("A").task) if quick else proxies.get_task(ev.stage("A").task, steps=5)
    interp = ev.interpreter(task) if quick else Interpreted(task)
    interp.losses([encode(load_seed("adamw"))], seeds)
    before = interp.compiles()
    for p in _mutants(100, np.random.default_rng(2)):
        interp.losses([encode(p)], seeds)
    return interp.compiles() - before, task.steps


def _throughput(ev, stage: str, seconds: float, batch: int) -> dict:
    """The search's own loop (:func:`symopt.search.evolve` from AdamW on the hero space, batches of
    ``batch`` new programs per evaluator call) for ``seconds``: candidates and real evaluations per second."""
    timing = {"eval_s": 0.0, "real": 0}

    def fitness(programs):
        t0 = time.perf_counter()
        values = ev.evaluate(programs, stage)
        timing["eval_s"] += time.perf_counter() - t0
        timing["real"] += len(programs)
        return values

    start = time.perf_counter()
    result = evolve("adamw", fitness, budget=10**9, space="hero", seed=0, batch=batch, population=32,
                    tournament=2, islands=1, tune_variants=0,
                    callback=lambda rec: time.perf_counter() - start >= seconds)
    elapsed = time.perf_counter() - start
    candidates, real = len(result.history), timing["real"]
    cached = sum(r.cached for r in result.history)
    return {"candidates_per_s": candidates / elapsed, "real_evals_per_s": real / elapsed,
            "real_evals_per_eval_s": real / timing["eval_s"] if timing["eval_s"] else 0.0,
            "cache_hit_rate": cached / candidates, "candidates": candidates, "real_evals": real}


def _seed_table(ev, budget_s: float, log) -> dict:
    table, start = {}, time.perf_counter()
    programs = [load_seed(n) for n in SEEDS]
    last = None   # (seconds, work) of the previous stage: predicts the next one's cost
    for st in (*ev.funnel.stages, ev.funnel.meta):
        task = ev.task(st.task)
        work = task.steps * len(st.seeds) * max(1, int(task.info.get("param_count", 1)))
        predicted = 0.0 if last is None else last[0] * work / last[1]
        if time.perf_counter() - start + predicted > budget_s:
            table[st.name] = {"task": st.task, "skipped": f"predicted {predicted:.0f}s exceeds the time budget"}
            if log:
                log(f"  stage {st.name} ({st.task}): skipped (predicted {predicted:.0f}s over the budget)")
            continue
        t0 = time.perf_counter()
        losses = ev.evaluate_losses(programs, st.name)
        last = (time.perf_counter() - t0, work)
        ref = losses[0]
        row = {}
        for name, seed_losses in zip(SEEDS, losses):
            m, s = mean_std([a / b for a, b in zip(seed_losses, ref)])
            row[name] = {"mean": inf_to_none(m), "std": s}
        table[st.name] = {"task": st.task, "seeds": list(st.seeds), "fitness": row}
        if log:
            cells = "  ".join(f"{n} {r['mean']:.3f}±{r['std']:.3f}" if r["mean"] is not None else f"{n} inf"
                              for n, r in row.items())
            log(f"  stage {st.name} ({st.task}): {cells}")
    return table


def run(quick: bool = False, log: Callable[[str], None] | None = print, population: bool = False) -> dict:
    """The figures of the module docstring; with ``population``, those of :mod:`symopt.bench.population`."""
    if population:
        return population_bench.run(quick, log)

    funnel = "test" if quick else "default"
    ev = make_evaluator(funnel, strategy="auto")
    say = log or (lambda s: None)
    say(f"evaluator benchmark, funnel {funnel!r} ({'quick' if quick else 'full'})")
    t0 = time.perf_counter()
    ov = _overhead(ev, "A", 16 if quick else 6)
    say(f"  overhead vs optax on A: {ov['overhead_vs_optax']:.2f}x "
        f"({ov['evaluator_s_per_run'] * 1e3:.1f} ms vs {ov['optax_s_per_run'] * 1e3:.1f} ms per run)")
    compiles, steps = _compiles_after_warmup(ev, quick)
    say(f"  compilations for 100 new programs after warm-up: {compiles} ({steps} steps of stage A's task)")
    tp = _throughput(ev, "A", 8.0 if quick else 45.0, 32 if quick else 8)
    say(f"  candidates/s {tp['candidates_per_s']:.1f}, real evals/s {tp['real_evals_per_s']:.1f}, "
        f"cache hit rate {tp['cache_hit_rate']:.3f}")
    if not quick:   # the goals (>= 200, >= 20 per s) are for the smallest proxy: measure it too
        small = _throughput(make_evaluator("test"), "A", 15.0, 32)
        tp["smallest_proxy"] = {"task": "test funnel A", **small}
        say(f"  smallest proxy (test funnel A): candidates/s {small['candidates_per_s']:.1f}, "
            f"real evals/s {small['real_evals_per_s']:.1f}, cache hit rate {small['cache_hit_rate']:.3f}")

    stage = stage_a.run(quick, log)
    say("  seed fitness (mean ± std over seeds, AdamW = 1):")
    table = _seed_table(ev, 30.0 if quick else 120.0, log)
    return {
        "overhead_vs_optax": ov["overhead_vs_optax"],
        "candidates_per_s": tp["candidates_per_s"],
        "real_evals_per_s": tp["real_evals_per_s"],
        "compiles_after_warmup": compiles,
        "cache_hit_rate": tp["cache_hit_rate"],
        "seed_table": table,
        "stage_a_candidates_per_s_old": stage["stage_a_candidates_per_s_old"],
        "stage_a_candidates_per_s": stage["stage_a_candidates_per_s"],
        "speedup": stage["speedup"], "lanes_vs_sequential": stage["lanes_vs_sequential"],
        "grid_cost_vs_one_scale": stage["grid_cost_vs_one_scale"],
        "details": {"funnel": funnel, **ov, **tp, "strategy_costs": ev.costs,
                    "seconds": time.perf_counter() - t0},
    }
