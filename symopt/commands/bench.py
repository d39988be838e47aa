"""``symopt bench WHICH``: run one of the benchmarks of :mod:`symopt.bench`."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json

from search_space.errors import InputError
from symopt.commands.arguments import name_list, positive_int, seed_list

BENCHES = {
    "evaluator": "symopt.bench.evaluator",
    "search": "symopt.bench.search",
    "lion": "symopt.bench.lion",
    "planted": "symopt.bench.planted",
    "programs": "symopt.bench.programs",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", choices=sorted(BENCHES), help="which benchmark to run")
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute or so)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON to stdout: one object (one per line for a benchmark with rows)")
    parser.add_argument("--seeds", type=seed_list, help="planted: search seeds, e.g. 0,1,2,3,4")
    parser.add_argument("--rows", type=name_list, help="planted: rows, e.g. adamw->lion,sgd->adam")
    parser.add_argument("--spaces", type=name_list, help="planted: spaces, e.g. compact,hero")
    parser.add_argument("--budget", type=positive_int, help="planted: candidates per run (default: per row)")
    parser.add_argument("--ablation", dest="ablation_table", action="store_true",
                        help="planted: the search features one at a time, cumulatively (docs/search.md)")
    parser.add_argument("--population", action="store_true",
                        help="evaluator: the population path (many programs per call) against its limit")


def run(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module(BENCHES[args.which])
    except ModuleNotFoundError as exc:
        if exc.name == BENCHES[args.which]:
            raise InputError(f"benchmark {args.which!r} is not available in this build") from None
        raise
    accepted = inspect.signature(module.run).parameters
    extra = {k: getattr(args, k) for k in ("seeds", "rows", "spaces", "budget", "ablation_table", "population")
             if getattr(args, k) not in (None, False)}
    for key in extra:
        if key not in accepted:
            flag = "--ablation" if key == "ablation_table" else f"--{key}"
            raise InputError(f"{flag} does not apply to benchmark {args.which!r}")
    figures = module.run(quick=args.quick, log=None if args.json else print, **extra)
    if not isinstance(figures, dict):      # rows (a list, or a generator yielding each as it finishes)
        for row in figures:
            if args.json:
                print(json.dumps(row, sort_keys=True), flush=True)
        return 0
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        width = max(len(k) for k in figures) if figures else 0
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0
