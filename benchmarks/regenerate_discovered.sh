#!/bin/sh
# Regenerate discovered/ from the search run that found it: `symopt rediscover --seed 3`, the main job
# from AdamW with search seed 3, as the engine stood at commit 7680c1d (a search is deterministic for a
# seed and a worker count on one machine; the engine has changed since, and the same seed now returns
# another program: README, Research results). The search is replayed with that engine, in a temporary
# worktree and virtual environment; its result is then exported by this checkout's exporters, with the
# provenance that run wrote (its command, config, seed, lineage from AdamW, per-stage fitness and every
# simplification step). About 7 minutes on 2 CPU cores. Everything in discovered/ is written by this
# command; never edit it by hand. The second path to the same structure, Program 2 simplified
# automatically, is benchmarks/derive_program2.sh.
set -e
cd "$(dirname "$0")/.."
root=$PWD
commit=7680c1d
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/engine" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
git worktree add --detach "$tmp/engine" "$commit" >/dev/null
python3 -m venv --system-site-packages "$tmp/venv"          # the dependencies installed here serve both
"$tmp/venv/bin/pip" install -q --no-deps -e "$tmp/engine"
rm -rf runs/discovered-seed3                                 # the replayed run is kept there
(cd "$tmp/engine" && "$tmp/venv/bin/python" -m symopt rediscover --seed 3 --run-dir "$root/runs/discovered-seed3" \
    --export-to "$tmp/found")
python3 - "$tmp/found" <<'EOF'
import json, sys
from pathlib import Path
from search_space.parser import parse
from symopt.export import export_program

found = Path(sys.argv[1])
prov = json.loads((found / "lion.provenance.json").read_text())
if prov.get("family") != "lion":
    sys.exit(f"the replayed search returned {prov.get('family') or 'a new program'}, not Lion: discovered/ left as it was")
for path in export_program(parse((found / "lion.program").read_text()), "lion", "discovered", prov):
    print(path)
EOF
