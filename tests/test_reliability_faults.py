"""Fault injection with real processes: a full disk during checkpoint and log writes (a writer process under
``RLIMIT_FSIZE`` with SIGXFSZ ignored, so writes past the limit fail with EFBIG like on a full disk), and a
truncated last log line followed by a resume.

Complements tests/test_rundir.py (in-process damage) and tests/test_search_*.py (resume, determinism):
here the writer is a separate process that really hits the limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import pytest

from symopt.rundir import RunDir

# Runs in a child process: write checkpoint 1 (small), lower the file-size limit, try checkpoint 2 (big).
CHECKPOINT_WRITER = textwrap.dedent("""
    import os, resource, signal, sys
    from symopt.rundir import RunDir
    from symopt.errors import UserError
    path, limit = sys.argv[1], int(sys.argv[2])
    rd = RunDir.create(path, "[search]\\nseed = 1\\n")
    rd.append_evaluations([{"eval_id": i, "fitness": {"A": 0.5}} for i in range(3)])
    rd.write_checkpoint({"generation": 1, "population": ["p"] * 10})
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        rd.write_checkpoint({"generation": 2, "population": ["x" * 1000] * 100})
    except UserError as exc:
        print("USERERROR", exc, file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
""")

LOG_WRITER = textwrap.dedent("""
    import resource, signal, sys
    from symopt.rundir import RunDir
    from symopt.errors import UserError
    path, limit = sys.argv[1], int(sys.argv[2])
    rd = RunDir.create(path, "[search]\\nseed = 1\\n")
    rd.append_evaluations([{"eval_id": i, "program": "x" * 50} for i in range(3)])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        rd.append_evaluations([{"eval_id": i, "program": "x" * 50} for i in range(3, 100)])
    except UserError as exc:
        print("USERERROR", exc, file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
""")


def _writer(script: str, path, limit: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, str(path), str(limit)], capture_output=True, text=True,
                          timeout=120)


def test_full_disk_during_checkpoint_keeps_the_previous_checkpoint(tmp_path):
    run = tmp_path / "run"
    r = _writer(CHECKPOINT_WRITER, run, 4096)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "USERERROR" in r.stderr
    message = r.stderr.strip().splitlines()
    assert len(message) == 1 and "checkpoint.json" in message[0], r.stderr
    rd = RunDir.open(run)
    assert rd.checkpoint() == {"generation": 1, "population": ["p"] * 10}      # intact and loadable
    assert [e["eval_id"] for e in rd.evaluations()] == [0, 1, 2]                 # the log is untouched
    assert sorted(os.listdir(run)) == ["checkpoint.json", "config.toml", "evaluations.jsonl"]  # no temp file


def test_full_disk_during_log_append_loses_no_complete_line(tmp_path):
    run = tmp_path / "run"
    r = _writer(LOG_WRITER, run, 1000)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "evaluations.jsonl" in r.stderr
    rd = RunDir.open(run)
    data = rd.child("evaluations.jsonl").read_bytes()
    assert len(data) <= 1000
    with warnings.catch_warnings():                 # a cut last line, if any, is skipped with a warning
        warnings.simplefilter("ignore")
        ids = [e["eval_id"] for e in rd.evaluations()]
    assert ids[:3] == [0, 1, 2] and ids == list(range(len(ids)))                 # the 3 written before survive
    rd.repair_log()
    assert rd.child("evaluations.jsonl").read_bytes().endswith(b"\n")
    rd.append_evaluations([{"eval_id": len(ids)}])
    assert [e["eval_id"] for e in rd.evaluations()] == list(range(len(ids) + 1))



# -- a whole search under a full disk, then resumed ---------------------------------------------------

SEARCH_CONFIG = """\
[search]
budget = {budget}
seed = 3
[funnel]
name = "test"
meta_every = 0
meta_top = 0
heldout = false
[evolution]
population = 6
tournament = 2
islands = 1
tune_variants = 0
[ray]
workers = 0
batch_size = 4
[run]
checkpoint_every = 4
hall_of_fame = 3        # a small checkpoint: the log, not the checkpoint, meets the size limit
"""


# ``symopt search`` in a child process whose files may not grow past LIMIT bytes (a full disk).
LIMITED_CLI = ("import resource, signal, sys\n"
               "limit = int(sys.argv[1])\n"
               "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
               "from symopt.cli import main\n"
               "sys.exit(main(sys.argv[2:]))\n")


def _search(args, cwd, limit):
    return subprocess.run([sys.executable, "-c", LIMITED_CLI, str(limit), "search", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def _records(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RunDir.open(run).evaluations()


def _sequence(run):
    return [(r["eval_id"], r["hash"], r["parent"], r["fitness"]) for r in _records(run)]


BUDGET = 24


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run (in this process: it shares compiled code with the resumes below)."""
    from symopt.config import load_config
    from symopt.search import run_search

    d = tmp_path_factory.mktemp("ref")
    (d / "c.toml").write_text(SEARCH_CONFIG.format(budget=BUDGET))
    run_search(load_config(d / "c.toml", {"search": {"run_dir": str(d / "run")}}))
    return d / "run"


def _resume(run):
    from symopt.search import run_search
    from symopt.search.run import resume_config

    return run_search(resume_config(run), resume=run)


def test_search_hits_a_full_disk_then_resumes_to_the_same_run(reference, tmp_path):
    """A real search process hits the file-size limit while appending to its log (a cut last line): it
    stops with one clear line; the checkpoint is intact; every logged record survives; the resumed run ends
    exactly like an uninterrupted run with the same seed (so its best equals or improves the pre-crash
    best).  (A full disk during a checkpoint write: test_full_disk_during_checkpoint_keeps_the_previous_checkpoint.)"""
    which = "evaluations.jsonl"
    # the limit cuts the log two thirds of the way, and stays above every checkpoint (the last is the
    # largest; the small hall of fame of SEARCH_CONFIG keeps it well under the log's size)
    log_size, checkpoint_size = (reference / which).stat().st_size, (reference / "checkpoint.json").stat().st_size
    limit = max(log_size * 2 // 3, checkpoint_size * 5 // 4)
    assert limit < log_size, "the checkpoint outgrew the log: enlarge BUDGET or shrink the hall of fame"
    (tmp_path / "c.toml").write_text(SEARCH_CONFIG.format(budget=BUDGET))
    run = tmp_path / "run"
    r = _search(["--config", str(tmp_path / "c.toml"), "--run-dir", str(run)], cwd=tmp_path, limit=limit)
    assert r.returncode == 1, (r.returncode, r.stderr[-3000:])
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr and len(lines) == 1 and which in lines[0], r.stderr[-3000:]
    before = _records(run)
    hof_before = RunDir.open(run).hall_of_fame()
    checkpoint = RunDir.open(run).checkpoint()                 # intact (or none yet), never damaged
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]
    if checkpoint is None:
        pytest.skip("the limit was hit before the first checkpoint; nothing to resume")
    data = (run / "evaluations.jsonl").read_bytes()
    if data.endswith(b"\n") and before and before[-1]["eval_id"] >= checkpoint["counters"]["candidates"]:
        # cut the last line (a record after the last checkpoint), as a kill in mid-write would
        cut = data.rfind(b"\n", 0, len(data) - 1) + 1 + 10
        (run / "evaluations.jsonl").write_bytes(data[:cut])
        before = before[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _resume(run)
    after = _records(run)
    by_id = {rec["eval_id"]: rec for rec in after}
    assert [rec["eval_id"] for rec in after] == list(range(BUDGET))        # each candidate exactly once
    for rec in before:                                                    # nothing logged was lost or changed
        assert by_id[rec["eval_id"]] == rec
    assert _sequence(run) == _sequence(reference)
    hof_after, hof_ref = RunDir.open(run).hall_of_fame(), RunDir.open(reference).hall_of_fame()
    assert hof_after[0]["hash"] == hof_ref[0]["hash"] and hof_after[0]["fitness"] == hof_ref[0]["fitness"]
    if hof_before:                                                        # the best kept or improved
        assert hof_before[0]["hash"] in [e["hash"] for e in hof_after] or len(hof_after) >= 20
