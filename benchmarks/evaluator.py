"""Evaluator benchmark (same as ``symopt bench evaluator``): ``python benchmarks/evaluator.py [--quick] [--json]``."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from symopt.bench.evaluator import run  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    figures = run(quick=a.quick, log=None if a.json else print)
    print(json.dumps(figures, sort_keys=True, default=str) if a.json else
          "\n".join(f"{k}: {v}" for k, v in figures.items() if k not in ("seed_table", "details")))
