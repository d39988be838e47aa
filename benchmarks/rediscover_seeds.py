"""The main job for several seeds at once, each ``symopt rediscover --seed N`` in its own process.

On one accelerator the processes share the device (each in-process: the device is what limits
them, not the CPU); on CPU cores run them one at a time (``--parallel 1``). Prints the README's
rediscovery table and writes ``OUT/table.json`` (one row per seed: family, program, fitness per
stage, meta-validation, candidates, seconds, exit status) and ``OUT/seed-N.log``.

    python benchmarks/rediscover_seeds.py --seeds 0,1,2,3,4 --parallel 5 --out runs/gpu-seeds
    python benchmarks/rediscover_seeds.py --seeds 0,1 --parallel 1 -- --budget 500   # extra rediscover flags
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


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
    evals = out / f"seed-{proc.seed}" / "evaluations.jsonl"
    row["candidates"] = sum(1 for _ in evals.open()) if evals.exists() else 0
    return row


def table(rows: list[dict]) -> str:
    def f(x):
        return "—" if x is None else f"{x:.3f}"
    lines = ["| seed | family | A | B | C | meta | candidates | wall time |", "|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: r["seed"]):
        fit = r.get("fitness_vs_seed") or {}
        lines.append(f"| {r['seed']} | {r.get('family') or 'new'} | {f(fit.get('A'))} | {f(fit.get('B'))} | "
                     f"{f(fit.get('C'))} | {f(r.get('meta_validation_vs_seed'))} | {r['candidates']:,} | "
                     f"{r['seconds']:.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--out", default="runs/seeds")
    ap.add_argument("extra", nargs="*", help="flags passed to every symopt rediscover (after --)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
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
