"""Stage A throughput of the default funnel, the shipped path against the earlier one, side by side.

Keys (``symopt bench evaluator``):

* ``stage_a_candidates_per_s_old``: what ``symopt search`` scored per second on its default
  funnel's stage A before (the LM-led funnel, now ``lm``: a 1-layer transformer, one program per
  call at one lr scale against an untuned AdamW);
* ``stage_a_candidates_per_s``: the default funnel's stage A now (``lion``: 16 small problems as
  lanes of one task, each program at its best of ``funnel.lr_grid``'s 3 scales, all lanes of one
  call);
* ``speedup``: their ratio;
* ``lanes_vs_sequential``: on today's stage A, the 3 lr scales as lanes of one call against the same
  scales run one call after another (what an lr grid cost before: 3 separate runs);
* ``grid_cost_vs_one_scale``: the grid's time per candidate over one lr scale's (1 would make the grid free).

Each figure is the median over ``repeats`` timings of the same mutated programs, after a warm-up
that compiles everything (compilation is not throughput).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from search_space.mutation import Mutator
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.evaluation import make_evaluator
from symopt.evaluation.fitness import LR_GRID


def _programs(n: int) -> list:
    rng, mutator, out = np.random.default_rng(3), Mutator(load_space("compact"), lr_linear=True), []
    while len(out) < n:
        out.append(mutator.mutate(load_seed("adamw"), rng)[0])
    return out


def _per_s(evaluate, programs: list, repeats: int) -> float:
    evaluate(programs[:1])                                # warm-up: compile, reference
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for p in programs:                               # one program per call, as the workers do
            evaluate([p])
        times.append(time.perf_counter() - t0)
    return len(programs) / statistics.median(times)


def run(quick: bool = False, log=print) -> dict:
    repeats, programs = (2, _programs(3)) if quick else (3, _programs(8))
    old_ev = make_evaluator("lm", strategy="interpreted")
    new_ev = make_evaluator("default", strategy="interpreted", lr_grid=True)
    old = _per_s(lambda ps: old_ev.evaluate(ps, "A"), programs[: max(2, len(programs) // 4)], repeats)
    new = _per_s(lambda ps: new_ev.evaluate(ps, "A"), programs, repeats)
    singles = [make_evaluator("default", strategy="interpreted", lr_grid=[c]) for c in LR_GRID]

    def sequential(ps):
        for ev in singles:
            ev.evaluate_losses(ps, "A")
    seq = _per_s(sequential, programs, repeats)
    lanes = _per_s(lambda ps: new_ev.evaluate_losses(ps, "A"), programs, repeats)
    one = _per_s(lambda ps: singles[LR_GRID.index(1.0)].evaluate_losses(ps, "A"), programs, repeats)
    out = {"stage_a_candidates_per_s_old": old, "stage_a_candidates_per_s": new, "speedup": new / old,
           "lanes_vs_sequential": lanes / seq, "grid_cost_vs_one_scale": one / lanes,
           "old_task": old_ev.stage("A").task, "task": new_ev.stage("A").task}
    if log:
        log(f"  stage A: {old:.2f} -> {new:.1f} candidates/s ({new / old:.0f}x; {out['old_task']} -> "
            f"{out['task']}); lr grid as lanes vs one scale per call: {out['lanes_vs_sequential']:.2f}x; "
            f"the grid costs {out['grid_cost_vs_one_scale']:.2f}x one scale")
    return out
