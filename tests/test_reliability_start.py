"""Starts a search refuses: one line naming the flag (or file), exit 1, checked before anything is written,
and a refused start leaves no run directory behind (a plain re-run of the fixed command works).

Bad flag values and inputs run through ``symopt.cli.main`` in this process (the console script's code
path); the cluster checks run the real ``symopt`` in fresh processes, with their own Ray temp directory
(``RAY_TMPDIR``), and check that no Ray process of theirs is left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ray_processes import private_ray_tmp, ray_processes_of, wait_gone

from symopt.cli import main

ray_tmp = pytest.fixture(private_ray_tmp)

def _main(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in args])
    return code, err.getvalue()


def _one_line(err: str, *needles: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _env(ray_tmp: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["RAY_TMPDIR"] = ray_tmp       # this process's Ray files (and `ray start`'s record of a cluster)
    return env


def _symopt(*args, env, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symopt", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


BAD_FLAGS = [
    (["--seed", "-1"], "--seed", "'search.seed' must be >= 0"),
    (["--time", "nan"], "--time", "'search.time' must be a finite number"),
    (["--time", "inf"], "--time", "'search.time' must be a finite number"),
    (["--budget", "-3"], "--budget", "'search.budget' must be >= 0"),
    (["--workers", "-1"], "--workers", "'ray.workers' must be >= 0"),
]


@pytest.mark.parametrize("command", ["search", "rediscover"])
@pytest.mark.parametrize("flags, flag, needle", BAD_FLAGS, ids=[" ".join(f[0]) for f in BAD_FLAGS])
def test_bad_flag_values_are_one_line_naming_the_flag_and_write_nothing(tmp_path, command, flags, flag, needle):
    run = tmp_path / "run"
    code, err = _main(command, "--funnel", "test", "--run-dir", run, *flags)
    assert code == 1
    _one_line(err, f"symopt {command}: error: {flag}:", needle)
    assert not run.exists()


@pytest.mark.parametrize("text, needle", [
    ("[search]\nseed = -1\n", "'search.seed' must be >= 0"),
    ("[search]\ntime = nan\n", "'search.time' must be a finite number"),
    ("[ray]\nbatch_deadline = inf\n", "'ray.batch_deadline' must be a finite number"),
    ("[funnel]\npromote_margin = nan\n", "'funnel.promote_margin' must be a finite number"),
])
def test_bad_config_values_are_one_line_naming_the_file(tmp_path, text, needle):
    cfg, run = tmp_path / "c.toml", tmp_path / "run"
    cfg.write_text(text)
    for command in ("search", "rediscover"):
        code, err = _main(command, "--config", cfg, "--run-dir", run)
        assert code == 1
        _one_line(err, str(cfg), needle)
        assert not run.exists()


SEEDS = {   # a bad --seed-program of each kind -> what its one line says (it names the file, and the line)
    "missing.program": (None, "cannot read file"),
    "empty.program": (b"", "empty program"),
    "binary.program": (b"\x00\xff\xfe\x00", "not UTF-8"),
    "utf16.program": ("def train(w, g, m, v, lr):\n    return g, m, v\n".encode("utf-16"), "not UTF-8"),
    "syntax.program": (b"def train(w, g, m, v, lr):\n    u = = g\n", ":2:"),
    "invalid.program": (b"def train(w, g, m, v, lr):\n    u = w * lr\n    return u, m, v\n",
                        ":2:5: the update 'u' does not depend on the gradient g"),
    "outside.program": (b"def train(w, g, m, v, lr):\n    # arcsin is a hero function\n    u = arcsin(g)\n"
                        b"    u = u * lr\n    return u, m, v\n", ":3:5: function 'arcsin' is not in space 'compact'"),
    "long.program": (("def train(w, g, m, v, lr):\n    u = g * 1.0\n" + "    u = u + g\n" * 20
                      + "    u = u * lr\n    return u, m, v\n").encode(), "statements exceed the 12 of space"),
    "huge.program": (("def train(w, g, m, v, lr):\n    u = g * 1.0\n" + "    u = u + g\n" * 200
                      + "    u = u * lr\n    return u, m, v\n").encode(), ":130:5: the program has 202 live"),
}


def test_bad_seed_programs_funnels_spaces_and_names_leave_no_run_directory(tmp_path):
    run = tmp_path / "run"
    for name, (data, needle) in SEEDS.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        code, err = _main("search", "--funnel", "test", "--workers", "0", "--seed-program", tmp_path / name,
                          "--run-dir", run)
        assert code == 1, (name, err)
        _one_line(err, str(tmp_path / name), needle)
        assert not run.exists(), name
    cfg = tmp_path / "names.toml"
    cfg.write_text('[funnel]\nname = "nope"\n')
    for flags, needle in [(["--funnel", "nosuch"], "unknown funnel 'nosuch'"),
                          (["--funnel", "test", "--space", "nosuch"], "no search space named 'nosuch'"),
                          (["--funnel", "test", "--seed-program", "nosuch"], "no seed program named 'nosuch'"),
                          (["--config", cfg], "unknown funnel 'nope'")]:
        for command in ("search", "rediscover"):
            code, err = _main(command, "--workers", "0", "--budget", "3", "--run-dir", run, *flags)
            assert code == 1, (flags, err)
            _one_line(err, needle)
            assert not run.exists(), flags
    # a run directory the user made beforehand is kept, empty, and a plain re-run accepts it
    run.mkdir()
    assert _main("search", "--funnel", "nosuch", "--workers", "0", "--run-dir", run)[0] == 1
    assert sorted(os.listdir(run)) == []
    code, err = _main("search", "--funnel", "test", "--workers", "0", "--budget", "3", "--run-dir", run)
    assert code == 0, err
    assert len((run / "evaluations.jsonl").read_text().splitlines()) == 3


def test_export_of_a_missing_run_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    code, err = _main("export", "lion", "--name", "lion", "--out", out, "--run", tmp_path / "missing")
    assert code == 1
    _one_line(err, "symopt export: error:", "missing: no such run directory")
    assert not out.exists()


def test_too_many_workers_are_refused_before_ray_starts(tmp_path, ray_tmp):
    run = tmp_path / "run"
    r = _symopt("search", "--funnel", "test", "--budget", "5", "--workers", "1000", "--run-dir", run,
                env=_env(ray_tmp))
    assert r.returncode == 1
    _one_line(r.stderr, "symopt search: error: --workers 1000: this machine has", "each worker takes one")
    assert not run.exists() and not ray_processes_of(ray_tmp)
    assert not any(Path(ray_tmp).iterdir())            # Ray was never started


def test_auto_address_without_a_cluster_and_unreachable_addresses_are_one_line(tmp_path, ray_tmp):
    run = tmp_path / "run"
    r = _symopt("search", "--address", "auto", "--funnel", "test", "--budget", "5", "--run-dir", run,
                env=_env(ray_tmp))
    assert r.returncode == 1 and not run.exists()
    _one_line(r.stderr, "--address auto: no Ray cluster is running on this machine")

    with socket.socket() as server:                 # a server that is not Ray: it answers HTTP/1 and hangs up
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def serve():
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    conn.recv(100)
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

        threading.Thread(target=serve, daemon=True).start()
        for address, needle in [("127.0.0.1:1", "cannot reach a Ray cluster there"),
                                (f"127.0.0.1:{port}", "is not a Ray cluster")]:
            started = time.monotonic()
            r = _symopt("search", "--address", address, "--funnel", "test", "--budget", "5", "--run-dir", run,
                        env=_env(ray_tmp), timeout=120)      # Ray alone retries for many minutes
            assert r.returncode == 1 and not run.exists(), r.stderr
            _one_line(r.stderr, f"symopt search: error: --address {address}:", needle)
            assert time.monotonic() - started < 120


def test_a_gpu_share_is_refused_on_a_machine_without_a_gpu(tmp_path, ray_tmp, ray_local):
    """``--gpus-per-worker 1`` where the embedded Ray finds no GPU: one line naming the flag, no run directory,
    no Ray process left (on a machine with a GPU the flag is accepted: see the next test)."""
    if ray_local.cluster_resources().get("GPU", 0) > 0:
        return
    run = tmp_path / "run"
    r = _symopt("search", "--gpus-per-worker", "1", "--workers", "1", "--funnel", "test", "--budget", "3",
                "--run-dir", run, env=_env(ray_tmp))
    assert r.returncode == 1 and not run.exists()
    _one_line(r.stderr, "symopt search: error: --gpus-per-worker 1: this machine has no GPU")
    assert wait_gone(ray_tmp, 10) == []


@pytest.mark.slow
def test_a_cluster_with_a_gpu_accepts_a_gpu_share_and_refuses_more_workers_than_cpus(tmp_path, ray_tmp):
    """A cluster started with ``ray start --num-gpus 1`` (joined with ``--address auto``) accepts
    ``--gpus-per-worker 1`` and runs the search; it refuses more workers than its CPUs in one line."""
    run, env = tmp_path / "run", _env(ray_tmp)
    head = subprocess.run(["ray", "start", "--head", "--port", "0", "--num-cpus", "2", "--num-gpus", "1",
                           "--include-dashboard", "false", "--disable-usage-stats"], capture_output=True, text=True,
                          timeout=180, env=env)
    try:
        assert head.returncode == 0, head.stderr[-2000:]
        r = _symopt("search", "--address", "auto", "--workers", "3", "--funnel", "test", "--budget", "3",
                    "--run-dir", run, env=env)
        assert r.returncode == 1 and not run.exists()
        _one_line(r.stderr, "--workers 3: the Ray cluster at", "has 2 CPU(s)")
        r = _symopt("search", "--address", "auto", "--gpus-per-worker", "1", "--workers", "1", "--funnel", "test",
                    "--budget", "3", "--run-dir", run, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        assert len((run / "evaluations.jsonl").read_text().splitlines()) == 3
    finally:
        for proc in ray_processes_of(ray_tmp):          # the head this test started, by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc, 9)
    assert wait_gone(ray_tmp, 10) == []
