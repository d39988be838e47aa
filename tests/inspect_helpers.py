"""A synthetic run directory for the inspect tests (helpers only: this module holds no tests).

Why synthetic: a real ``symopt search`` takes seconds and its log depends on timing; these tests
need a known, varied log (ancestry chains, cache hits, meta-validation,
a run in progress). The programs, mutations and hashes are REAL (search_space's Mutator and
functional_hash, written with symopt.rundir's real writer); only the fitness numbers are drawn
at random. ``test_inspect_real_run.py`` covers a run written by the real search.
"""

from __future__ import annotations

import numpy as np

from search_space.hashing import functional_hash
from search_space.mutation import Mutator
from search_space.program import format_program
from search_space.seeds import load_seed
from search_space.spaces import load_space
from symopt.rundir import RunDir


def make_run(path, n: int = 60, seed: int = 0, hof: bool = True, truncate: bool = False) -> dict:
    """Write a run of ``n`` candidates from AdamW; return {"records", "hof", "rundir"}."""
    rng = np.random.default_rng(seed)
    mut = Mutator(load_space("compact"))
    rd = RunDir.create(path, f'[search]\nbudget = {n}\n[funnel]\nname = "test"\n')
    seed_p = load_seed("adamw")
    pop = [(seed_p, functional_hash(seed_p))]
    records = [{"eval_id": 0, "hash": pop[0][1], "parent": None, "mutation": "seed",
                "program": format_program(seed_p), "fitness": {"A": 1.0, "B": 1.0, "C": 1.0},
                "seconds": 0.1, "worker": "w0", "cached": False, "time": 0.5}]
    seen = {pop[0][1]: records[0]["fitness"]}
    for i in range(1, n):
        parent, ph = pop[int(rng.integers(len(pop)))] if i % 3 else pop[-1]
        child, mutation = mut.mutate(parent, rng)
        h = functional_hash(child)
        cached = h in seen
        if cached:
            fit = seen[h]
        else:
            a = float(rng.uniform(0.5, 1.5)) if rng.random() > 0.1 else None
            fit = {"A": a}
            if a is not None and a < 0.9:
                fit["B"] = float(rng.uniform(0.6, 1.2))
            seen[h] = fit
        records.append({"eval_id": i, "hash": h, "parent": ph, "mutation": str(mutation),
                        "program": format_program(child), "fitness": fit, "seconds": 0.0 if cached else 0.05,
                        "worker": "cache" if cached else f"w{i % 2}", "cached": cached, "time": 0.5 + 0.1 * i})
        pop.append((child, h))
    rd.append_evaluations(records)
    best: dict[str, dict] = {}
    for r in records:
        best.setdefault(r["hash"], r)

    def key(r):
        f = r["fitness"]
        last = [s for s in "ABC" if s in f][-1]
        return (-len(f), f[last] if f[last] is not None else float("inf"), r["eval_id"])

    entries = [{k: r[k] for k in ("hash", "program", "fitness", "eval_id", "parent")}
               for r in sorted(best.values(), key=key)[:10]]
    if hof:
        rd.write_hall_of_fame(entries)
    rd.append_meta([{"time": 1.0 + k, "evaluations": 10 * (k + 1), "hash": entries[k % len(entries)]["hash"],
                     "meta": 1.0 - 0.05 * k, "heldout": 1.02 - 0.04 * k} for k in range(4)])
    if truncate:
        with open(rd.child("evaluations.jsonl"), "a") as fh:
            fh.write(f'{{"eval_id": {n}, "hash": "abc')
    return {"records": records, "hof": entries, "rundir": rd}
