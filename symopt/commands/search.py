"""``symopt search``: run or resume a regularized-evolution search (see docs/search.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from symopt.errors import UserError


def add_arguments(parser: argparse.ArgumentParser, *, resume: bool = True) -> None:
    a = parser.add_argument
    a("--space", help="search space: compact, hero or a space TOML file")
    a("--seed-program", help="warm-start program: a seed name (adamw, sgd, ...) or a program file")
    a("--budget", type=int, help="candidates to log, cache hits included (0 = no limit)")
    a("--time", type=float, help="seconds of search (0 = no limit)")
    a("--workers", type=int, help="Ray worker actors (0 = evaluate in this process)")
    a("--address", help="Ray cluster to join ('auto', HOST:PORT); default: RAY_ADDRESS or an embedded local Ray")
    a("--gpus-per-worker", type=float, help="Ray GPUs per worker actor (fractional allowed)")
    a("--run-dir", help="run directory to create (default runs/search-<UTC time>)")
    if resume:
        a("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    a("--seed", type=int, help="RNG seed of the evolution")
    a("--config", help="a TOML file overriding symopt/configs/search.toml")
    a("--funnel", help="evaluation funnel (default, test, ...)")
    a("--json", action="store_true", help="print one JSON object with the result at the end")


_FLAGS = {  # argument -> (section, key)
    "space": ("search", "space"), "seed_program": ("search", "seed_program"), "budget": ("search", "budget"),
    "time": ("search", "time"), "workers": ("ray", "workers"), "address": ("ray", "address"),
    "gpus_per_worker": ("ray", "gpus_per_worker"), "run_dir": ("search", "run_dir"), "seed": ("search", "seed"),
    "funnel": ("funnel", "name"),
}


def overrides_from(args: argparse.Namespace) -> dict:
    out: dict = {}
    for flag, (section, key) in _FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            out.setdefault(section, {})[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    from symopt.config import load_config
    from symopt.rundir import RunDir
    from symopt.search import run_search
    from symopt.search.progress import Progress
    from symopt.search.run import resume_config

    overrides = overrides_from(args)
    if args.resume:
        allowed = {("search", "budget"), ("search", "time"), ("ray", "address")}
        bad = [f"--{k.replace('_', '-')}" for k, sk in _FLAGS.items()
               if getattr(args, k, None) is not None and sk not in allowed]
        if bad or args.config:
            raise UserError(f"--resume continues a run with its own config; cannot change {(bad or ['--config'])[0]}")
        RunDir.open(args.resume).lock()    # held until this process exits: one writer per run directory
        cfg = resume_config(args.resume, overrides)
    else:
        cfg = load_config(args.config, overrides)
    progress = Progress(sys.stderr if args.json else sys.stdout)
    result = run_search(cfg, resume=args.resume, progress=progress)
    from search_space.program import one_line

    best = one_line(result.best) if result.best is not None else None
    if args.json:
        print(json.dumps({"run_dir": os.fspath(result.run_dir), "best": best, "fitness": result.best_fitness,
                          "counters": result.counters}, sort_keys=True))
    else:
        print(f"run directory: {result.run_dir}")
        print(f"best: {best}")
        print(f"fitness (vs AdamW, lower is better): {result.best_fitness}")
        c = result.counters
        print(f"candidates {c['candidates']}, evaluated {c['evaluated']}, cache hit rate {c['cache_hit_rate']:.2f}")
    return 0
