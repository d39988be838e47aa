"""One writer per run directory: an flock held by ``symopt search`` / ``rediscover``, tested with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from symopt.errors import UserError
from symopt.rundir import LOCK, RunDir

HOLD = textwrap.dedent("""
    import sys, time
    from symopt.rundir import RunDir
    {call}
    print("locked", flush=True)
    time.sleep(600)
""")


def holder(path, call: str = "RunDir.reserve(sys.argv[1])") -> subprocess.Popen:
    """A real process that holds the lock of ``path`` until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(call=call), str(path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def symopt(*argv, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symopt", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_a_second_process_is_refused_and_a_dead_holders_lock_is_taken_over(tmp_path):
    path = tmp_path / "run"
    first = holder(path)
    try:
        assert (path / LOCK).read_text().strip() == str(first.pid)
        with pytest.raises(UserError) as err:
            RunDir(path).lock()
        assert str(err.value) == f"{path} is in use by pid {first.pid} (one process writes a run directory at a time)"
        with pytest.raises(UserError, match=f"in use by pid {first.pid}"):
            RunDir.create(path, "[search]\n", lock=True)
        assert sorted(os.listdir(path)) == [LOCK]       # nothing written by the refused process
    finally:
        kill(first)
    rd = RunDir.create(path, "[search]\n", lock=True)   # the kernel dropped the dead holder's lock
    try:
        assert rd.locked() and (path / LOCK).read_text().strip() == str(os.getpid())
        rd.lock()                                        # re-entrant within one process
        rd.unlock()
        assert rd.locked()
    finally:
        rd.unlock()
    assert not rd.locked()
    second = holder(path, "RunDir.open(sys.argv[1]).lock()")        # released: another process can take it
    kill(second)


def test_reserve_refuses_a_used_directory_even_when_unlocked(tmp_path):
    rd = RunDir.create(tmp_path / "run", "[search]\n")
    with pytest.raises(UserError, match="not empty"):
        RunDir.reserve(rd.path)
    assert not rd.locked()


def test_symopt_search_twice_on_one_run(tmp_path):
    """A running search holds its run; a second search or --resume exits at once with one line naming
    the holder's pid; after the holder is SIGKILLed, --resume takes the lock over and continues."""
    run, cfg = tmp_path / "run", tmp_path / "cfg.toml"
    cfg.write_text("[run]\ncheckpoint_every = 5\n")
    first = subprocess.Popen([sys.executable, "-m", "symopt", "search", "--funnel", "test", "--workers", "0",
                              "--budget", "0", "--time", "600", "--config", cfg, "--run-dir", run],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (run / "checkpoint.json").exists():     # the seed and a first batch are logged
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()[-2000:]
            time.sleep(0.2)
        for argv in (["--resume", run], ["--resume", run, "--budget", "5"], ["--run-dir", run, "--funnel", "test"]):
            before = len((run / "evaluations.jsonl").read_text().splitlines())
            second = symopt("search", *argv)
            assert second.returncode == 1 and second.stdout == ""
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
            if argv[0] == "--resume":
                assert lines[0] == (f"symopt search: error: {run} is in use by pid {first.pid} "
                                    "(one process writes a run directory at a time)")
            else:
                assert lines[0].startswith(f"symopt search: error: {run}: run directory exists and is not empty")
            assert first.poll() is None                  # the holder was not disturbed
        rediscover = symopt("rediscover", "--funnel", "test", "--budget", "5", "--run-dir", run)
        assert rediscover.returncode == 1 and len(rediscover.stderr.strip().splitlines()) == 1
        assert len((run / "evaluations.jsonl").read_text().splitlines()) >= before
    finally:
        kill(first)
    logged = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()
              if line.endswith("}")]
    resumed = symopt("search", "--resume", run, "--budget", len(logged) + 12, "--json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    ids = [json.loads(line)["eval_id"] for line in (run / "evaluations.jsonl").read_text().splitlines()]
    assert ids == list(range(len(logged) + 12))          # every candidate logged once, by one writer
    assert (run / LOCK).read_text().strip() != str(first.pid)


def test_rediscover_holds_its_run_directory(tmp_path):
    run = tmp_path / "run"
    first = holder(run)
    try:
        proc = symopt("rediscover", "--funnel", "test", "--budget", "5", "--run-dir", run)
    finally:
        kill(first)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"symopt rediscover: error: {run} is in use by pid {first.pid} (one process writes a run directory at a time)"]
    assert sorted(os.listdir(run)) == [LOCK]
