"""`symopt rediscover` end to end on the millisecond funnel, with a real local Ray worker."""

import json
import os
import subprocess
import sys

import pytest

from search_space.parse import parse
from symopt.rundir import RunDir

KEYS = {"run_dir", "family", "program", "fitness_vs_seed", "meta_validation_vs_seed", "export_dir"}


def rediscover(tmp_path, *args):
    env = {**os.environ, "SYMOPT_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "symopt", "rediscover", "--funnel", "test", "--budget", "30",
                           "--workers", "1", "--json", *args], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rediscover")
    r = rediscover(tmp, "--run-dir", str(tmp / "run"), "--export-to", str(tmp / "shipped"))
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp, r


def test_json_summary_is_the_last_line_and_complete(job):
    tmp, r = job
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert KEYS <= set(summary)
    assert set(summary["fitness_vs_seed"]) == {"A", "B", "C"}
    assert all(v is None or v > 0 for v in summary["fitness_vs_seed"].values())
    assert summary["meta_validation_vs_seed"] is None or summary["meta_validation_vs_seed"] > 0
    parse(summary["program"])                         # the printed program is a valid program
    assert summary["run_dir"] == str(tmp / "run")


def test_search_is_logged_and_export_carries_provenance(job):
    tmp, r = job
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    rd = RunDir.open(summary["run_dir"])
    assert len(rd.evaluations()) == 30
    assert rd.meta_validation(), "the hall of fame was meta-validated"
    export = summary["export_dir"]
    files = sorted(os.listdir(export))
    assert any(f.endswith(".provenance.json") for f in files) and any(f.endswith("_optax.py") for f in files)
    prov = json.load(open(os.path.join(export, [f for f in files if f.endswith(".provenance.json")][0])))
    assert prov["source"] == "search" and prov["run"] == summary["run_dir"]
    assert "symopt rediscover" in prov["command"]
    # --export-to copied the same files
    assert sorted(os.listdir(tmp / "shipped")) == files
    # the progress and the summary went to stderr, so stdout is only the JSON object
    assert len(r.stdout.strip().splitlines()) == 1 and "fitness vs AdamW" in r.stderr


def test_bad_flag_is_one_line_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "symopt", "rediscover", "--budget", "-3"], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
