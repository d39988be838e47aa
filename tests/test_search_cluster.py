"""`symopt search --address` against a real `ray start --head` cluster on a free port."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from symopt.rundir import RunDir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_using(marker: str) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and int(p.name) != os.getpid():
            try:
                if marker.encode() in (p / "cmdline").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


@pytest.fixture
def ray_head():
    """A head node with its own temp dir; afterwards its processes (found by that dir) are stopped by PID,
    so the session's embedded Ray (``ray_local``) is left alone (a bare ``ray stop`` would stop it too)."""
    beside = os.path.join(os.path.dirname(sys.executable), "ray")   # pip puts it there, venv active or not
    ray_bin = beside if os.access(beside, os.X_OK) else shutil.which("ray")
    assert ray_bin, "the `ray` command (installed with ray by pip) is neither beside python nor on PATH"
    port = free_port()
    temp = tempfile.mkdtemp(prefix="symray")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["RAY_AUTH_MODE"] = "disabled"
    subprocess.run([ray_bin, "start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
                    f"--temp-dir={temp}", "--disable-usage-stats"], env=env, check=True, capture_output=True,
                   timeout=120)
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        for pid in _pids_using(temp):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def test_search_on_a_ray_start_head_cluster(ray_head, tmp_path):
    address, env = ray_head
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "symopt", "search", "--address", address, "--workers", "1", "--funnel", "test",
         "--budget", "5", "--run-dir", str(run), "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = RunDir.open(run).evaluations()
    assert [r["eval_id"] for r in recs] == list(range(5))
    assert {r["worker"] for r in recs if not r["cached"]} == {"w0"}
    assert '"run_dir"' in proc.stdout.splitlines()[-1]
