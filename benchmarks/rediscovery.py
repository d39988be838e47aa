"""Rediscovery benchmark: does evolution from a seed reach a target family of optimizers?

For each row, several search seeds with a fixed budget; for each run it reports the recognised
family of the best program (after exact simplification), whether any logged program reached the
target family, and the candidates / wall time to the first one that did.

    python benchmarks/rediscovery.py                 # all rows, 5 seeds each
    python benchmarks/rediscovery.py --rows sgd --seeds 2 --budget 300
    python benchmarks/rediscovery.py --json out.json

Rows (targets are families named by symopt.recognise):
  sgd   SGD  -> an adaptive normaliser (rmsprop / adam) on an ill-conditioned synthetic funnel
  sign  AdamW -> the sign family (signsgd / signum / lion) on the LM funnel (stage A only matters)
  lion  AdamW -> the Lion family on the Lion-favouring synthetic funnel (the moonshot)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

ROWS = {
    "sgd": dict(seed_program="sgd", funnel="illcond", targets={"rmsprop", "adam"}, budget=600),
    "sign": dict(seed_program="adamw", funnel="default", targets={"signsgd", "signum", "lion"}, budget=150),
    "lion": dict(seed_program="adamw", funnel="lion_synth", targets={"lion"}, budget=600),
}


def family_of(text: str, memo: dict) -> str | None:
    from search_space.parse import parse
    from symopt.recognise import recognise
    from symopt.simplify import simplify_exact

    if text not in memo:
        try:
            memo[text] = recognise(simplify_exact(parse(text)).program).family
        except Exception:  # an unsimplifiable program is simply "new" here
            memo[text] = None
    return memo[text]


def run_row(name: str, seed: int, budget: int, workers: int, root: str) -> dict:
    from symopt.config import load_config
    from symopt.rundir import RunDir
    from symopt.search import run_search

    row = ROWS[name]
    run_dir = os.path.join(root, f"{name}-{seed}")
    cfg = load_config(None, {
        "search": {"seed_program": row["seed_program"], "budget": budget, "seed": seed, "run_dir": run_dir},
        "funnel": {"name": row["funnel"], "meta_every": 0, "meta_top": 0},   # families only: no meta-validation
        "ray": {"workers": workers},
    })
    start = time.time()
    result = run_search(cfg)
    wall = time.time() - start
    memo: dict = {}
    first = None
    for rec in RunDir.open(run_dir).evaluations():
        if rec.get("fitness", {}).get("A") is None:
            continue
        if family_of(rec["program"], memo) in row["targets"]:
            first = rec
            break
    best_family = family_of(result.hall_of_fame[0]["program"], memo) if result.hall_of_fame else None
    return {
        "row": name, "seed": seed, "budget": budget, "best_family": best_family,
        "best_fitness": result.best_fitness, "reached": first is not None,
        "candidates_to_first": None if first is None else first["eval_id"] + 1,
        "seconds_to_first": None if first is None else round(first["time"], 1),
        "wall_s": round(wall, 1),
    }


def table(results: list[dict], rows) -> str:
    """The README's markdown table from the per-run results (rows with no finished run are left out)."""
    lines = ["| row | seed -> target (funnel, budget) | runs reaching target | best family per run | "
             "candidates to first | seconds to first | wall s per run |", "|---|---|---|---|---|---|---|"]
    for name in rows:
        rs = [r for r in results if r["row"] == name]
        if not rs:
            continue
        row = ROWS[name]
        hit = [r for r in rs if r["reached"]]
        lines.append(
            f"| {name} | {row['seed_program']} -> {'/'.join(sorted(row['targets']))} ({row['funnel']}, "
            f"{rs[0]['budget']}) | {len(hit)}/{len(rs)} | {', '.join(str(r['best_family']) for r in rs)} | "
            f"{', '.join(str(r['candidates_to_first']) for r in hit) or '-'} | "
            f"{', '.join(str(r['seconds_to_first']) for r in hit) or '-'} | "
            f"{', '.join(str(round(r['wall_s'])) for r in rs)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="search seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--budget", type=int, default=0, help="candidates per run (default: the row's)")
    ap.add_argument("--workers", type=int, default=0, help="Ray workers (0 = in-process)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--from-log", metavar="FILE", help="only print the table from the JSON lines a run wrote "
                                                       "to stderr (e.g. an interrupted run)")
    args = ap.parse_args(argv)
    if args.from_log:
        with open(args.from_log, encoding="utf-8") as fh:
            results = [json.loads(line) for line in fh if line.startswith('{"row"')]
        print(table(results, args.rows))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="symopt-rediscovery-") as root:
        for name in args.rows:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                r = run_row(name, seed, args.budget or ROWS[name]["budget"], args.workers, root)
                results.append(r)
                print(json.dumps(r), file=sys.stderr, flush=True)
    print(table(results, args.rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
