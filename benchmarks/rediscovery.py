"""Rediscovery study: does evolution from a seed reach a target family on real proxies?

For each row and search seed, one search (the engine of ``symopt search``) with a time or candidate
budget; for each run it reports whether ANY logged candidate (after exact simplification) is
recognised in the target family, the candidates and seconds to the first one, the recognised family
of the run's best program, and the lineage of each success (the mutations that made it).

    python benchmarks/rediscovery.py                               # every row, seeds 0-4
    python benchmarks/rediscovery.py --rows lion --seeds 0,1 --time 3600
    python benchmarks/rediscovery.py --json > results.jsonl        # one JSON object per run on stdout
    python benchmarks/rediscovery.py --from-log results.jsonl      # the README table of finished runs

Rows (targets are families named by symopt.recognise):
  lion  AdamW -> the Lion family on the default funnel (``lion``: stages A and B, lr-tuned fitness)
  sign  AdamW -> the sign family (signsgd / signum / lion) on the LM funnel (``lm``)
  sgd   SGD   -> an adaptive normaliser (rmsprop / adam) on the ill-conditioned funnel (``illcond``)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

ROWS = {
    "lion": dict(seed_program="adamw", funnel="default", targets={"lion"}, time=3600.0, stages=2),
    "sign": dict(seed_program="adamw", funnel="lm", targets={"signsgd", "signum", "lion"}, time=1800.0, stages=1),
    "sgd": dict(seed_program="sgd", funnel="illcond", targets={"rmsprop", "adam"}, time=600.0, stages=2),
}


def family_of(text: str, memo: dict) -> str | None:
    from search_space.parser import parse
    from symopt.recognise import recognise

    if text not in memo:
        try:
            memo[text] = recognise(parse(text)).family
        except Exception:  # noqa: BLE001 - an unreadable program is simply "new" here
            memo[text] = None
    return memo[text]


def run_row(name: str, seed: int, seconds: float, budget: int, workers: int, root: str) -> dict:
    from symopt.config import load_config
    from symopt.inspect.lineage import lineage
    from symopt.rundir import RunDir
    from symopt.search import run_search

    row = ROWS[name]
    run_dir = os.path.join(root, f"{name}-{seed}")
    cfg = load_config(None, {
        "search": {"seed_program": row["seed_program"], "budget": budget, "time": 0.0 if budget else seconds,
                   "seed": seed, "run_dir": run_dir},
        "funnel": {"name": row["funnel"], "meta_every": 0, "meta_top": 0, "search_stages": row["stages"]},
        "ray": {"workers": workers},
    })
    start = time.time()
    result = run_search(cfg)
    wall = time.time() - start
    memo: dict = {}
    first = None
    for rec in RunDir.open(run_dir).evaluations():
        if next(iter(rec.get("fitness", {}).values()), None) is not None \
                and family_of(rec["program"], memo) in row["targets"]:
            first = rec
            break
    best_family = family_of(result.hall_of_fame[0]["program"], memo) if result.hall_of_fame else None
    path = [p["mutation"] for p in lineage(RunDir.open(run_dir), first["hash"])][1:] if first else []
    return {
        "row": name, "seed": seed, "budget": budget or None, "time": None if budget else seconds,
        "best_family": best_family, "best_fitness": result.best_fitness, "reached": first is not None,
        "candidates_to_first": None if first is None else first["eval_id"] + 1,
        "seconds_to_first": None if first is None else round(first["time"], 1),
        "candidates": result.counters["candidates"], "wall_s": round(wall, 1), "lineage": path,
    }


def table(results: list[dict], rows) -> str:
    """The README's markdown table from the per-run results (rows with no finished run are left out)."""
    lines = ["| row | seed -> target (funnel, per run) | runs reaching target | best family per run | "
             "candidates to first | seconds to first | candidates per run |", "|---|---|---|---|---|---|---|"]
    for name in rows:
        rs = [r for r in results if r["row"] == name]
        if not rs:
            continue
        row, hit = ROWS[name], [r for r in rs if r["reached"]]
        limit = f"{rs[0]['budget']} candidates" if rs[0].get("budget") else f"{rs[0]['time']:.0f} s"
        lines.append(
            f"| {name} | {row['seed_program']} -> {'/'.join(sorted(row['targets']))} ({row['funnel']}, {limit}) | "
            f"{len(hit)}/{len(rs)} | {', '.join(str(r['best_family']) for r in rs)} | "
            f"{', '.join(str(r['candidates_to_first']) for r in hit) or '-'} | "
            f"{', '.join(str(r['seconds_to_first']) for r in hit) or '-'} | "
            f"{', '.join(str(r['candidates']) for r in rs)} |")
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers, got {text!r}") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=lambda t: t.split(","), default=list(ROWS), help="e.g. lion,sign")
    ap.add_argument("--seeds", type=_seeds, default=[0, 1, 2, 3, 4], help="search seeds, e.g. 0,1,2")
    ap.add_argument("--time", type=float, default=0.0, help="seconds per run (default: the row's)")
    ap.add_argument("--budget", type=int, default=0, help="candidates per run instead of a time")
    ap.add_argument("--workers", type=int, default=2, help="Ray workers (0 = in-process)")
    ap.add_argument("--json", action="store_true", help="one JSON object per run on stdout, no table")
    ap.add_argument("--from-log", metavar="FILE", help="only print the table of the JSON lines in FILE")
    args = ap.parse_args(argv)
    for name in args.rows:
        if name not in ROWS:
            print(f"rediscovery.py: error: unknown row {name!r} (known: {', '.join(ROWS)})", file=sys.stderr)
            return 1
    if args.from_log:
        with open(args.from_log, encoding="utf-8") as fh:
            results = [json.loads(line) for line in fh if line.startswith('{"')]
        print(table(results, args.rows))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="symopt-rediscovery-") as root:
        for name in args.rows:
            for seed in args.seeds:
                r = run_row(name, seed, args.time or ROWS[name]["time"], args.budget, args.workers, root)
                results.append(r)
                print(json.dumps(r, sort_keys=True) if args.json else json.dumps(r), flush=True,
                      file=sys.stdout if args.json else sys.stderr)
    if not args.json:
        print(table(results, args.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
