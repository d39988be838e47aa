"""The main job for several seeds at once, each ``symopt rediscover --seed N`` in its own process.

On one accelerator the processes share the device (each in-process: the device is what limits
them, not the CPU); on CPU cores run them one at a time (``--parallel 1``). Prints the README's
rediscovery table and writes ``OUT/table.json`` (one row per seed: family, program, fitness per
stage, meta-validation, candidates, seconds, exit status, and where the Lion family first appeared
in the log (``lion`` or ``lion_like``) and what became of its best program, as ``symopt show
RUN --family`` reads it) and ``OUT/seed-N.log``.  ``--summarise`` reads the runs already in OUT and
prints the table again.

    python benchmarks/rediscover_seeds.py --seeds 0,1,2,3,4 --parallel 5 --out runs/gpu-seeds
    python benchmarks/rediscover_seeds.py --seeds 0,1 --parallel 1 -- --budget 500   # extra rediscover flags
    python benchmarks/rediscover_seeds.py --seeds 0,1,2,3,4 --out runs/seeds --summarise
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from search_space.parser import parse
from symopt.inspect.families import programs
from symopt.inspect.rundata import rank_key
from symopt.recognise import recognise
from symopt.rundir import RunDir


def start(seed: int, out: Path, extra: list[str]) -> subprocess.Popen:
    log = open(out / f"seed-{seed}.log", "w")       # noqa: SIM115 - closed when the process is collected
    cmd = [sys.executable, "-m", "symopt", "rediscover", "--seed", str(seed), "--json",
           "--run-dir", str(out / f"seed-{seed}"), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    proc.log, proc.seed, proc.t0 = log, seed, time.time()
    return proc


def collect(proc: subprocess.Popen, out: Path) -> dict:
    stdout, _ = proc.communicate()
    proc.log.close()
    row = {"seed": proc.seed, "exit": proc.returncode, "seconds": round(time.time() - proc.t0, 1)}
    try:
        row.update(json.loads(stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        row["error"] = (out / f"seed-{proc.seed}.log").read_text()[-500:]
    return {**row, **diagnosis(out / f"seed-{proc.seed}")}


def diagnosis(run: Path, families: tuple[str, ...] = ("lion", "lion_like")) -> dict:
    """Candidates logged, where the Lion family (``families``) first appeared, its programs, and its
    best program's fate; the family of the returned program as the recogniser names it."""
    evals = run / "evaluations.jsonl"
    out = {"candidates": sum(1 for _ in evals.open()) if evals.exists() else 0}
    if not evals.exists():
        return out
    every = programs(RunDir.open(run))
    rows = [r for r in every["rows"] if r["family"] in families]
    best = min(rows, key=lambda r: rank_key(r["fitness"], every["stages"]), default=None)
    out.update({"lion_first": rows[0]["eval_id"] if rows else None, "lion_programs": len(rows),
                "lion_best": best and {k: best[k] for k in ("eval_id", "family", "fitness", "meta", "fate")}})
    result = run / "result.json"
    if result.exists():
        out["family"] = recognise(parse(json.loads(result.read_text())["program"])).family
    return out


def table(rows: list[dict]) -> str:
    def f(x):
        return "—" if x is None else f"{x:.3f}"
    def lion(r):
        best = r.get("lion_best")
        if not best:
            return "never appeared"
        fit = ", ".join(f"{k} {f(v)}" for k, v in best["fitness"].items())
        return (f"first at {r['lion_first']:,}; {r['lion_programs']} program(s); best, {best['family']} "
                f"({fit}): {best['fate']}")
    lines = ["| seed | family | A | B | C | meta | candidates | wall time | Lion family in the log |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: r["seed"]):
        fit = r.get("fitness_vs_seed") or {}
        lines.append(f"| {r['seed']} | {r.get('family') or 'new'} | {f(fit.get('A'))} | {f(fit.get('B'))} | "
                     f"{f(fit.get('C'))} | {f(r.get('meta_validation_vs_seed'))} | {r['candidates']:,} | "
                     f"{r['seconds']:.0f} s | {lion(r)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--out", default="runs/seeds")
    ap.add_argument("--summarise", action="store_true", help="only read the runs in OUT and print the table")
    ap.add_argument("extra", nargs="*", help="flags passed to every symopt rediscover (after --)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.summarise:
        old = {r["seed"]: r for r in json.loads((out / "table.json").read_text())} \
            if (out / "table.json").exists() else {}
        rows = [{**old.get(int(s), {"seed": int(s), "exit": None, "seconds": 0.0}),
                 **diagnosis(out / f"seed-{s}")} for s in args.seeds.split(",")]
        (out / "table.json").write_text(json.dumps(rows, indent=1))
        print(table(rows))
        return 0
    todo, running, rows = [int(s) for s in args.seeds.split(",")], [], []
    while todo or running:
        while todo and len(running) < max(1, args.parallel):
            running.append(start(todo.pop(0), out, args.extra))
        done = next((p for p in running if p.poll() is not None), None)
        if done is None:
            time.sleep(0.5)
            continue
        running.remove(done)
        rows.append(collect(done, out))
        (out / "table.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
