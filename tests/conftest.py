"""Shared test fixtures.

``ray_local`` starts ONE real embedded Ray (2 CPUs, dashboard off) for the whole
session, so that every test that claims Ray behaviour runs on real Ray without
paying its start-up cost more than once.

A test that cannot run (a skip, ``pytest.importorskip`` of a missing package, ...) is reported
as a failure with its reason, unless it skipped through ``needs.need`` (it needs something a
fresh machine lacks: a browser, a GPU; ``SYMOPT_REQUIRE_EXTERNAL=1`` makes those failures too,
except the GPU).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from needs import is_allowed_skip

# Keep XLA from spawning more threads than this 2-core machine has.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


@pytest.fixture(scope="session")
def ray_local():
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def symopt_search():
    """``symopt_search(path, budget=N, workers=W)``: run the real ``symopt search`` (test funnel) in a fresh
    process, writing the run directory ``path``; return ``path``."""

    def run(path, *, budget: int, workers: int):
        proc = subprocess.run([sys.executable, "-m", "symopt", "search", "--funnel", "test", "--budget", str(budget),
                               "--workers", str(workers), "--run-dir", str(path)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return path

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not is_allowed_skip(reason):
            report.outcome = "failed"
            report.longrepr = f"this test could not run (only tests.needs.need may skip): {reason}"
