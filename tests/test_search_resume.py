"""`symopt search --resume` after a real SIGKILL of the driver: nothing lost, nothing logged twice."""

import os
import signal
import subprocess
import sys
import time

from symopt.config import dumps, load_config
from symopt.rundir import RunDir
from symopt.search import run_search

BUDGET = 150


def config(run_dir):
    return load_config(overrides={
        "search": {"budget": BUDGET, "run_dir": str(run_dir), "seed": 7},
        "funnel": {"name": "test", "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 6, "tournament": 2, "islands": 1},
        "ray": {"workers": 0, "batch_size": 3}, "run": {"checkpoint_every": 10}})


def sequence(run_dir):
    return [(r["eval_id"], r["hash"], r["parent"], r["fitness"]) for r in RunDir.open(run_dir).evaluations()]


def symopt(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "symopt", "search", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_driver_sigkill_then_resume(tmp_path):
    cfg_file = tmp_path / "cfg.toml"
    cfg_file.write_text(dumps(config(tmp_path / "run")))
    run = tmp_path / "run"
    proc = symopt("--config", str(cfg_file))
    log, ckpt = run / "evaluations.jsonl", run / "checkpoint.json"
    deadline = time.monotonic() + 300
    # kill once a checkpoint exists AND candidates were logged after it (they must be replayed, not redone)
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.exists() and log.exists():
            done = RunDir.open(run).checkpoint()["counters"]["candidates"]
            if len(log.read_text().splitlines()) > done >= 4:
                break
        time.sleep(0.05)
    assert proc.poll() is None, f"the search ended before it could be killed: {proc.stderr.read()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with open(log, "a") as fh:  # the kill may also leave half a line
        fh.write('{"eval_id": 999, "hash": "trunc')
    before = sequence(run)
    assert 0 < len(before) < BUDGET

    resumed = symopt("--resume", str(run))
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    after = sequence(run)
    assert [e[0] for e in after] == list(range(BUDGET))      # none lost, none duplicated
    assert after[: len(before)] == before                     # logged evaluations kept as they were

    run_search(config(tmp_path / "straight"))                 # an uninterrupted run: same programs, same fitness
    assert sequence(tmp_path / "straight") == after


def test_resume_errors(tmp_path):
    from symopt.cli import main

    assert main(["search", "--resume", str(tmp_path / "missing")]) == 1
    run = tmp_path / "run"
    run_search(config(run).override({"search": {"budget": 4}}, "test"))
    (run / "checkpoint.json").write_text('{"format": 1, "sha256": "00", "state": {}}')
    assert main(["search", "--resume", str(run)]) == 1
    assert main(["search", "--resume", str(run), "--seed", "3"]) == 1


def test_sigkill_before_the_first_checkpoint_then_resume_replays_the_log(tmp_path):
    """No checkpoint yet: --resume rebuilds the search from evaluations.jsonl and keeps every logged
    evaluation exactly once (nothing re-evaluated, nothing lost)."""
    cfg = config(tmp_path / "run").override({"run": {"checkpoint_every": 100_000, "checkpoint_seconds": 100_000.0}},
                                            "test")
    cfg_file = tmp_path / "cfg.toml"
    cfg_file.write_text(dumps(cfg))
    run = tmp_path / "run"
    proc = symopt("--config", str(cfg_file))
    log = run / "evaluations.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 20:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the search ended before it could be killed: {proc.stderr.read()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (run / "checkpoint.json").exists()
    before = sequence(run)
    assert 20 <= len(before) < BUDGET

    resumed = symopt("--resume", str(run))
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    after = sequence(run)
    assert [e[0] for e in after] == list(range(BUDGET))      # every id once, none lost
    assert after[: len(before)] == before                     # the logged ones untouched, not redone
    assert len({e[1] for e in after}) > len({e[1] for e in before})   # and the search went on


def test_a_checkpoint_is_written_by_time_as_well_as_by_count(tmp_path):
    cfg = config(tmp_path / "run").override({"run": {"checkpoint_every": 100_000, "checkpoint_seconds": 0.5},
                                             "search": {"budget": 60}}, "test")
    import symopt.search.driver as driver

    writes = []
    real = driver.Search.checkpoint

    def counted(self):
        writes.append(self.counters["candidates"])
        real(self)

    driver.Search.checkpoint = counted
    try:
        real_tell = driver.Search._tell

        def slow_tell(self, job):      # stretch the run so that time, not count, triggers checkpoints
            time.sleep(0.05)
            real_tell(self, job)

        driver.Search._tell = slow_tell
        run_search(cfg)
    finally:
        driver.Search.checkpoint = real
        driver.Search._tell = real_tell
    assert len(writes) >= 3 and writes[-1] == 60      # several by time, then the final one
