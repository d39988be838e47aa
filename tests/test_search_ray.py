"""Search on real local Ray workers: 2 workers, a worker SIGKILLed mid-search, a hung worker."""

import os
import signal

import pytest

from symopt.config import load_config
from symopt.rundir import RunDir
from symopt.search import run_search
from symopt.search.workers import RayPool

BUDGET = 13


def config(run_dir, **ray):
    return load_config(overrides={
        "search": {"budget": BUDGET, "run_dir": str(run_dir), "seed": 3},
        "funnel": {"name": "test", "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 6, "tournament": 2, "islands": 1},
        "ray": {"workers": 2, "batch_size": 3, "in_flight": 2, **ray}, "run": {"checkpoint_every": 6}})


def sequence(run_dir):
    return [(r["eval_id"], r["hash"], r["fitness"]) for r in RunDir.open(run_dir).evaluations()]


class SignallingPool(RayPool):
    """A real RayPool that sends one real signal to worker 0's process while it holds a batch."""

    def __init__(self, sig, **kw):
        super().__init__("test", 2, lr_grid=load_config().funnel.lr_grid, **kw)
        self.sig, self.pid = sig, self.worker_pids()[0]
        self.sent, self.calls = False, 0

    def result(self, job_id):
        self.calls += 1
        if not self.sent and self.calls >= 2 and any(self.where[j] == 0 for j in self.refs):
            os.kill(self.pid, self.sig)
            self.sent = True
        return super().result(job_id)


@pytest.fixture(scope="module")
def reference(ray_local, tmp_path_factory):
    d = tmp_path_factory.mktemp("ray") / "run"
    result = run_search(config(d))
    return d, result


def test_two_worker_local_ray_search(reference):
    d, result = reference
    recs = RunDir.open(d).evaluations()
    assert [r["eval_id"] for r in recs] == list(range(BUDGET))
    assert {r["worker"] for r in recs[1:] if not r["cached"]} == {"w0", "w1"}
    assert recs[0]["worker"] == "w0+w1", "the seed's stages are scored on both workers at once"
    assert result.counters["busy_seconds"] > 0


def test_killed_worker_is_restarted_and_nothing_is_lost_or_duplicated(reference, tmp_path):
    d, _ = reference
    pool = SignallingPool(signal.SIGKILL, max_restarts=3)
    try:
        run_search(config(tmp_path / "run"), pool=pool)
    finally:
        pool.close()
    assert pool.sent and pool.resubmitted >= 1
    # 0 evaluations lost or duplicated, and the same programs and fitnesses as the undisturbed run
    assert sequence(tmp_path / "run") == sequence(d)


def test_hung_worker_is_killed_at_the_deadline(reference, tmp_path):
    d, _ = reference
    pool = SignallingPool(signal.SIGSTOP, max_restarts=3, deadline=30.0)  # > a fresh worker's compile
    try:
        run_search(config(tmp_path / "run"), pool=pool)
    finally:
        try:
            os.kill(pool.pid, signal.SIGKILL)  # in case it is still stopped
        except ProcessLookupError:
            pass
        pool.close()
    assert pool.sent and pool.killed >= 1 and pool.resubmitted >= 1
    assert sequence(tmp_path / "run") == sequence(d)


def test_worker_environment_pins_threads():
    from symopt.search.workers import worker_env

    env = worker_env(0.0)
    assert env["OMP_NUM_THREADS"] == "1" and "intra_op_parallelism_threads=1" in env["XLA_FLAGS"]
    assert worker_env(0.5)["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


def test_workers_that_cannot_be_placed_are_one_clear_error(ray_local):
    """Asking for more than the cluster has (a GPU here) fails in one line instead of waiting forever."""
    from symopt.errors import UserError

    with pytest.raises(UserError, match=r"could not start 2 worker\(s\) of 1 CPU and 1 GPU each in 3 s") as err:
        RayPool("test", 2, gpus_per_worker=1.0, place_timeout=3.0)
    assert "\n" not in str(err.value)
