"""``symopt search``: run or resume a regularized-evolution search (see docs/search.md)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from search_space.program import one_line
from symopt.config import load_config, merge
from symopt.errors import UserError
from symopt.rundir import CONFIG, RunDir
from symopt.search import run_search
from symopt.search.progress import Progress
from symopt.search.run import default_run_dir, resume_config


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


def flag_name(section: str, key: str) -> str:
    """The command-line flag of a config key (``--seed`` for ``search.seed``), else "command line"."""
    return next((f"--{flag.replace('_', '-')}" for flag, sk in _FLAGS.items() if sk == (section, key)),
                "command line")


def apply_flags(cfg, overrides: dict):
    """``cfg`` with the command line's ``overrides`` applied one key at a time, so that a bad value is
    one line naming its flag: ``--seed: key 'search.seed' must be >= 0, got -1``."""

    for section, table in overrides.items():
        for key, value in table.items():
            cfg = merge(cfg, {section: {key: value}}, flag_name(section, key))
    return cfg


RESUMABLE = {("search", "budget"), ("search", "time"), ("ray", "address")}


def check_resume_flags(args: argparse.Namespace) -> None:
    """``--resume`` continues a run with its own config: only its length and the cluster may change."""
    bad = [f"--{k.replace('_', '-')}" for k, sk in _FLAGS.items()
           if getattr(args, k, None) is not None and sk not in RESUMABLE]
    if bad or args.config:
        raise UserError(f"--resume continues a run with its own config; cannot change {(bad or ['--config'])[0]}")


@contextlib.contextmanager
def resumable(command: str, run_dir):
    """An interrupt within the block names the command that continues the run (when it wrote one)."""
    try:
        yield
    except KeyboardInterrupt as exc:

        if (Path(run_dir) / CONFIG).is_file():
            exc.resume = f"symopt {command} --resume {run_dir}"
        raise


def run(args: argparse.Namespace) -> int:

    overrides = overrides_from(args)
    if args.resume:
        check_resume_flags(args)
        RunDir.open(args.resume).lock()    # held until this process exits: one writer per run directory
        cfg = apply_flags(resume_config(args.resume), overrides)
    else:
        cfg = apply_flags(load_config(args.config), overrides)
        if not cfg.search.run_dir:
            cfg = cfg.override({"search": {"run_dir": default_run_dir()}}, "run directory")
    progress = Progress(sys.stderr if args.json else sys.stdout)
    with resumable("search", args.resume or cfg.search.run_dir):
        result = run_search(cfg, resume=args.resume, progress=progress)

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
