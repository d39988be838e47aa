"""Shared test fixtures.

``ray_local`` starts ONE real embedded Ray (2 CPUs, dashboard off) for the whole
session, so that every test that claims Ray behaviour runs on real Ray without
paying its start-up cost more than once.

A test that cannot run (a skip, ``pytest.importorskip`` of a missing package, ...) is reported
as a failure with its reason, unless it is marked ``gpu`` (it needs hardware the machine lacks).
"""

from __future__ import annotations

import os

import pytest

# Keep XLA from spawning more threads than this 2-core machine has.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


@pytest.fixture(scope="session")
def ray_local():
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("gpu") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"this test could not run (only tests marked gpu may skip): {reason}"
