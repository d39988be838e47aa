"""Where a search trains its programs: batches and population sized for an accelerator, the in-process
search without Ray, and the population strategy fed batches by real Ray workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from search_space.parser import parse
from symopt.config import load_config
from symopt.evaluation import make_evaluator
from symopt.rundir import RunDir
from symopt.search import device, run_search

ROOT = Path(__file__).resolve().parents[1]


def test_on_an_accelerator_batches_and_population_grow_and_one_device_needs_no_ray(monkeypatch):
    """Why a stand-in: the test machine has no accelerator, so ``local_accelerator`` is made to answer
    as JAX does on one; ``adapt`` itself runs unchanged."""
    cfg = load_config()
    assert device.adapt(cfg) == (cfg, "cpu")              # this machine: CPU workers, nothing changes
    monkeypatch.setattr(device, "local_accelerator", lambda: "gpu:NVIDIA H200")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    local, where = device.adapt(cfg)
    assert where == "in-process" and local.ray.workers == 0
    assert local.ray.batch_size == cfg.ray.device_batch_size
    assert local.evolution.population >= cfg.evolution.device_population
    assert local.evolution.population % local.evolution.islands == 0
    shared, where = device.adapt(cfg.override({"ray": {"gpus_per_worker": 0.5}}, "test"))
    assert where == "ray-gpu" and shared.ray.workers == cfg.ray.workers
    cluster = cfg.override({"ray": {"address": "auto"}}, "test")
    assert device.adapt(cluster) == (cluster, "cpu")      # a cluster's workers: only a GPU share says so


def test_in_process_population_search_runs_without_ray_installed(tmp_path):
    """``import ray`` fails in this process (as on a machine without Ray); the in-process search with the
    population strategy still runs and logs every candidate."""
    conf = tmp_path / "pop.toml"
    conf.write_text('[evaluation]\nstrategy = "population"\n[ray]\nbatch_size = 12\n'
                    '[funnel]\nmeta_every = 0\nmeta_top = 0\n')
    code = ("import sys; sys.modules['ray'] = None\n"
            "from symopt.cli import main\n"
            f"sys.exit(main(['search', '--funnel', 'test', '--workers', '0', '--budget', '30', '--config', "
            f"{str(conf)!r}, '--run-dir', {str(tmp_path / 'run')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = RunDir.open(tmp_path / "run").evaluations()
    assert [r["eval_id"] for r in recs] == list(range(30))


def test_ray_workers_score_population_batches_as_one_evaluator_does(ray_local, tmp_path):
    cfg = load_config(overrides={
        "search": {"budget": 40, "run_dir": str(tmp_path / "run"), "seed": 1},
        "funnel": {"name": "test", "meta_every": 0, "meta_top": 0, "search_stages": 1},
        "evolution": {"population": 8, "tournament": 2, "islands": 1},
        "ray": {"workers": 2, "batch_size": 10, "in_flight": 1}, "evaluation": {"strategy": "population"}})
    run_search(cfg)
    recs = RunDir.open(tmp_path / "run").evaluations()
    assert [r["eval_id"] for r in recs] == list(range(40))
    scored = [r for r in recs[1:] if not r["cached"]]
    assert {r["worker"] for r in scored} == {"w0", "w1"}
    again = make_evaluator("test", strategy="population", lr_grid=cfg.funnel.lr_grid).evaluate(
        [parse(r["program"]) for r in scored], "A")
    logged = np.array([np.inf if r["fitness"]["A"] is None else r["fitness"]["A"] for r in scored])
    again = np.array(again)
    assert np.array_equal(np.isfinite(logged), np.isfinite(again))
    fin = np.isfinite(logged)
    rel = np.abs(logged[fin] - again[fin]) / np.abs(again[fin])
    assert np.median(rel) < 1e-5 and np.mean(rel < 1e-4) >= 0.8     # chaotic programs aside (see population tests)
