"""Exported Lion vs optax.lion / optax.adamw and lion-pytorch / torch AdamW (same as ``symopt bench lion``).

    python benchmarks/lion.py [--quick] [--json]
"""

import json
import sys

from symopt.bench.lion import run

if __name__ == "__main__":
    quick = "--quick" in sys.argv
    as_json = "--json" in sys.argv
    figures = run(quick=quick, log=None if as_json else print)
    print(json.dumps(figures, sort_keys=True) if as_json else "\n".join(f"{k}  {v}" for k, v in figures.items()))
