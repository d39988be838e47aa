"""SIGINT (once or twice) and SIGTERM to a real ``symopt search`` / ``rediscover`` on a real embedded Ray:
one line on stderr, exit 130 / 143, a run directory that resumes with every candidate logged once, and no
Ray process of the command left a few seconds after it exits.

Each command runs in its own session (as a shell runs a job: Ctrl-C reaches its whole process group) with
its own Ray temp directory, through which its Ray processes are found (``ray_processes``).  A SIGKILLed
command leaves none either (``symopt.search.reaper``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ray_processes import private_ray_tmp, ray_processes_of, wait_gone

from symopt.cli import main
from symopt.rundir import RunDir

GONE_WITHIN = 10.0      # seconds after the command exits (its embedded Ray stops within a few)


ray_tmp = pytest.fixture(private_ray_tmp)

def _start(*args, ray_tmp: str, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_TMPDIR=ray_tmp, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "symopt", *map(str, args)], stdout=stdout,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL)


def _logged(run: Path) -> int:
    try:
        return (run / "evaluations.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _wait_for(proc: subprocess.Popen, ready, what: str, seconds: float = 400) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert proc.poll() is None, f"exited before {what}: {proc.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.2)


def _signal_when(proc: subprocess.Popen, ready, what: str, signals: list, gap: float = 0.0,
                 group: bool = True) -> str:
    """Wait until ``ready()``, send ``signals`` (``gap`` seconds apart) to the process (to its process group
    with ``group``, as Ctrl-C in a shell does), and return its stderr once it exited."""
    send = (lambda sig: os.killpg(proc.pid, sig)) if group else (lambda sig: os.kill(proc.pid, sig))
    try:
        _wait_for(proc, ready, what)
        for k, sig in enumerate(signals):
            time.sleep(gap if k else 0.0)
            send(sig)
        return proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:          # it did not end: the test fails, and leaves nothing running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ids(run: Path) -> list[int]:
    return [r["eval_id"] for r in RunDir.open(run).evaluations()]


CASES = {   # name -> (signals sent to the process group, seconds between them, exit status, line)
    "sigint_twice": ([signal.SIGINT, signal.SIGINT], 0.7, 130, "interrupted"),
    "sigterm": ([signal.SIGTERM], 0.0, 143, "terminated (SIGTERM)"),
    "sigint_once": ([signal.SIGINT], 0.0, 130, "interrupted"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_signal_to_a_ray_search_is_one_line_and_leaves_a_resumable_run_and_no_ray_process(tmp_path, ray_tmp,
                                                                                           case):
    signals, gap, status, what = CASES[case]
    run = tmp_path / "run"
    proc = _start("search", "--funnel", "test", "--workers", "2", "--budget", "0", "--time", "600",
                  "--run-dir", run, ray_tmp=ray_tmp)
    err = _signal_when(proc, lambda: _logged(run) >= 4, "4 logged candidates", signals, gap)
    assert proc.returncode == status, err
    assert err.splitlines() == [f"symopt search: {what}; continue with: symopt search --resume {run}"], err
    assert wait_gone(ray_tmp, GONE_WITHIN) == []

    before = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()
              if line.endswith("}")]
    from symopt.search.run import resume_config, run_search

    # resumed here, evaluating in-process (no second Ray start), past the batches that were in flight
    budget = len(before) + 40
    run_search(resume_config(run, {"search": {"budget": budget, "time": 0.0}, "ray": {"workers": 0}}), resume=run)
    after = RunDir.open(run).evaluations()
    assert [r["eval_id"] for r in after] == list(range(budget))
    assert after[:len(before)] == before


@pytest.mark.parametrize("case", ["sigint_twice", "sigterm"])
def test_a_signal_during_warm_up_is_one_line_and_stops_every_ray_process(tmp_path, ray_tmp, case):
    """The same once the run directory is made, while the workers build their trainers (nothing logged
    yet): the run directory then resumes as a fresh start."""
    signals, gap, status, what = CASES[case]
    run = tmp_path / "run"
    proc = _start("search", "--funnel", "test", "--workers", "2", "--budget", "50", "--run-dir", run,
                  ray_tmp=ray_tmp)
    err = _signal_when(proc, lambda: (run / "config.toml").exists(), "the run directory", signals, gap)
    assert proc.returncode == status, err
    assert err.splitlines() == [f"symopt search: {what}; continue with: symopt search --resume {run}"], err
    assert wait_gone(ray_tmp, GONE_WITHIN) == []
    from symopt.search.run import resume_config, run_search

    logged = len(_ids(run))            # 0, unless the warm-up ended before the signal: then past what was in flight
    budget = logged + 40 if logged else 3
    run_search(resume_config(run, {"search": {"budget": budget}, "ray": {"workers": 0}}), resume=run)
    assert _ids(run) == list(range(budget))


def test_a_sigkilled_search_leaves_no_ray_process(tmp_path, ray_tmp):
    """SIGKILL cannot be handled: the reaper that runs beside the embedded Ray kills what is left of it."""
    run = tmp_path / "run"
    proc = _start("search", "--funnel", "test", "--workers", "2", "--budget", "50", "--run-dir", run,
                  ray_tmp=ray_tmp)
    _signal_when(proc, lambda: len(ray_processes_of(ray_tmp)) >= 6, "the embedded Ray and its agents",
                 [signal.SIGKILL], group=False)
    assert wait_gone(ray_tmp, GONE_WITHIN) == []


@pytest.mark.slow
def test_rediscover_sigterm_then_resume_then_ctrl_c_during_its_final_shutdown(tmp_path, ray_tmp):
    """SIGTERM to ``rediscover`` mid-search: one line naming ``rediscover --resume``; ``rediscover --resume``
    continues the main job to its budget (every eval_id once) and exports the result; a Ctrl-C once the
    job has printed its result (while it shuts Ray down) changes nothing: exit 0, no traceback, no Ray
    process left."""
    run, budget = tmp_path / "run", 30
    args = ("--funnel", "test", "--workers", "1", "--budget", budget, "--no-measure", "--meta-top", "1")
    proc = _start("rediscover", *args, "--run-dir", run, ray_tmp=ray_tmp)
    err = _signal_when(proc, lambda: _logged(run) >= 4, "4 logged candidates", [signal.SIGTERM], group=False)
    assert proc.returncode == 143, err
    assert err.splitlines() == [f"symopt rediscover: terminated (SIGTERM); continue with: symopt rediscover "
                                f"--resume {run}"], err
    assert wait_gone(ray_tmp, GONE_WITHIN) == []
    stopped = _ids(run)
    assert 4 <= len(stopped) < budget and not (run / "export").exists()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):   # a plain re-run says how
        assert main(["rediscover", *map(str, args), "--run-dir", str(run)]) == 1
    assert err.getvalue().endswith(f"run directory exists and is not empty (use --resume {run} to continue it)\n")
    assert _ids(run) == stopped

    again = _start("rediscover", "--no-measure", "--resume", run, ray_tmp=ray_tmp, stdout=subprocess.PIPE)
    try:
        lines = []
        for line in again.stdout:              # the job's last line: then it shuts Ray down and exits
            lines.append(line)
            if line.startswith(("exported to", "written to")):
                os.killpg(again.pid, signal.SIGINT)
                break
        out, err = again.communicate(timeout=120)
    finally:
        if again.poll() is None:
            os.killpg(again.pid, signal.SIGKILL)
    assert again.returncode == 0, "".join(lines) + out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines[0].startswith("continuing the search from adamw")
    assert _ids(run) == list(range(budget))                 # continued, not restarted: every candidate once
    assert any((run / "export").glob("*.program"))
    assert wait_gone(ray_tmp, GONE_WITHIN) == []
