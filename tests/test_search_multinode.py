"""`symopt search --address` on a real two-node Ray cluster (``ray.cluster_utils.Cluster`` on this machine).

The cluster lives in a controller process (this file run as a script), so that the test session's
embedded Ray (``ray_local``) is never touched: the controller starts a head node and a second node
of one CPU each (so the two workers land one per node), runs the real ``symopt search --address``,
records on which node each worker actor runs (Ray's actor table), removes the second node in the
middle of the search, and writes what it saw as JSON.  The search must finish with the one worker
left, every candidate logged exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

BUDGET = 600
REMOVE_AT = 40          # logged candidates when the second node goes
CONFIG = """
[search]
seed = 5
[evolution]
population = 20
tournament = 3
[funnel]
meta_every = 0
meta_top = 0
[ray]
batch_size = 4
in_flight = 2
"""


def _logged(run: Path) -> int:
    try:
        return (run / "evaluations.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _workers_by_node(ray) -> dict[str, str]:
    """Actor id -> node id of every live worker actor of symopt (Ray's actor table)."""
    table = ray._private.state.actors()
    return {k: a["Address"]["NodeID"] for k, a in table.items()
            if a["ActorClassName"].endswith("Worker") and a["State"] == "ALIVE"}


def controller(run: Path, config: Path, out: Path) -> None:
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, connect=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    seen: dict = {"head": cluster.head_node.node_id}
    try:
        side = cluster.add_node(num_cpus=1, resources={"side": 1.0})
        cluster.wait_for_nodes()
        seen["side"] = side.node_id
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        search = subprocess.Popen(
            [sys.executable, "-m", "symopt", "search", "--address", cluster.address, "--workers", "2",
             "--funnel", "test", "--budget", str(BUDGET), "--config", str(config), "--run-dir", str(run), "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while _logged(run) < REMOVE_AT and search.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["workers"] = _workers_by_node(ray)
        seen["logged_at_removal"] = _logged(run)
        seen["running_at_removal"] = search.poll() is None
        cluster.remove_node(side, allow_graceful=False)
        stdout, stderr = search.communicate(timeout=300)
        results = [line for line in stdout.splitlines() if line.startswith('{"')]   # Ray may log here too
        seen.update(returncode=search.returncode, result=json.loads(results[-1]) if results else None,
                    stderr=stderr[-3000:])
    finally:
        out.write_text(json.dumps(seen))
        ray.shutdown()
        cluster.shutdown()


def test_search_across_two_nodes_survives_losing_one(tmp_path):
    run, config, out = tmp_path / "run", tmp_path / "search.toml", tmp_path / "seen.json"
    config.write_text(CONFIG)
    proc = subprocess.run([sys.executable, __file__, str(run), str(config), str(out)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert out.exists(), proc.stderr[-3000:]
    seen = json.loads(out.read_text())
    assert seen.get("returncode") == 0, seen.get("stderr", proc.stderr[-3000:])
    # one worker on each node while both were up
    assert sorted(seen["workers"].values()) == sorted([seen["head"], seen["side"]]), seen["workers"]
    # the node went in the middle of the search, and the search went on without it
    assert seen["running_at_removal"] and REMOVE_AT <= seen["logged_at_removal"] < BUDGET
    # 0 evaluations lost or duplicated: every eval_id once, in order
    records = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    evaluated = [r for r in records if not r["cached"]]
    # the last ones by the worker left (a removed node's worker can go on for a second or two, ~100
    # evaluations of the test funnel, before Ray notices its node is gone)
    assert len({r["worker"] for r in evaluated[-150:]}) == 1, seen["logged_at_removal"]
    assert [r["eval_id"] for r in records] == list(range(BUDGET))
    assert len({r["eval_id"] for r in records}) == BUDGET
    counters = seen["result"]["counters"]
    assert counters["candidates"] == BUDGET and counters["resubmitted"] >= 1


if __name__ == "__main__":
    controller(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
