"""``symopt bench WHICH``: run one of the benchmarks of :mod:`symopt.bench`."""

from __future__ import annotations

import argparse
import importlib
import json

from search_space.errors import InputError

BENCHES = {
    "evaluator": "symopt.bench.evaluator",
    "search": "symopt.bench.search",
    "lion": "symopt.bench.lion",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", choices=sorted(BENCHES), help="which benchmark to run")
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute or so)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the figures")


def run(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module(BENCHES[args.which])
    except ModuleNotFoundError as exc:
        if exc.name == BENCHES[args.which]:
            raise InputError(f"benchmark {args.which!r} is not available in this build") from None
        raise
    figures = module.run(quick=args.quick, log=None if args.json else print)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        width = max(len(k) for k in figures) if figures else 0
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0
