"""``symopt equiv A B [--json]``: numerical equivalence over multi-step trajectories (exit 0 only if equivalent)."""

from __future__ import annotations

import argparse
import json

from search_space.seeds import load_seed
from symopt.equiv import RTOL, equivalent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="first program file (or seed name)")
    parser.add_argument("b", help="second program file (or seed name)")
    parser.add_argument("--json", action="store_true", help='print {"equivalent": bool, "max_rel_err": float}')


def run(args: argparse.Namespace) -> int:

    a, b = load_seed(args.a), load_seed(args.b)
    r = equivalent(a, b)
    if args.json:
        print(json.dumps(r.to_json()))
    else:
        verdict = "equivalent" if r.equivalent else "NOT equivalent"
        print(f"{verdict}: largest relative deviation of the update {r.max_rel_err:.3g} (tolerance {RTOL:g})")
        print(f"canonical forms structurally equal: {'yes' if r.structural else 'no'}")
    return 0 if r.equivalent else 1
