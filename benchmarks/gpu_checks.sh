#!/usr/bin/env bash
# Every accelerator figure of the README in one run, written under OUTDIR (default runs/gpu-checks):
#   env.txt                  the device and the JAX version
#   bench.log, bench.json    symopt bench evaluator --population (the population path against its limit)
#   strategies.log           the auto strategy's choice per task of the default funnel (measured, remembered)
#   rediscover.log, table.json, runs.tgz
#                            symopt rediscover --seed N, seeds 0-4 at once on the one device
# Usage: bash benchmarks/gpu_checks.sh [OUTDIR] [SECONDS_PER_SEARCH]
set -u
out=${1:-runs/gpu-checks}
search_time=${2:-120}
mkdir -p "$out"
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1   # several processes share the device
py=${PYTHON:-python3}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; $py -c "import jax; print('jax', jax.__version__, jax.devices())"; } > "$out/env.txt" 2>&1
timeout 170 $py -c "
import json
from symopt.bench.population import run
json.dump(run(log=lambda s: print(s, flush=True), equality_programs=8), open('$out/bench.json', 'w'), indent=1)
" > "$out/bench.log" 2>&1
timeout 100 $py -c "
from symopt.evaluation import make_evaluator
ev = make_evaluator('default', lr_grid=True)
for st in (*ev.funnel.stages, ev.funnel.meta):
    print(st.name, st.task, ev.strategy_for(ev.task(st.task), tuple(st.seeds)), ev.costs[st.task], flush=True)
" > "$out/strategies.log" 2>&1
timeout $((search_time + 150)) $py benchmarks/rediscover_seeds.py --seeds 0,1,2,3,4 --parallel 5 \
    --out /tmp/gpu-seeds -- --time "$search_time" > "$out/rediscover.log" 2>&1
cp /tmp/gpu-seeds/table.json "$out/" 2>/dev/null
tar czf "$out/runs.tgz" -C /tmp gpu-seeds 2>/dev/null
ls -la "$out"
