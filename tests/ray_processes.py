"""Find the Ray processes of one ``symopt`` (or ``ray start``) process by its Ray temp directory.

A test gives the process it starts its own ``RAY_TMPDIR``; every Ray process that process starts (GCS,
raylet, agents, the worker actors, whose command lines Ray rewrites) inherits that variable or names the
directory on its command line, so that ``/proc`` tells them apart from every other Ray on the machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def private_ray_tmp():
    """A short, private Ray temp directory for one test's commands (Ray's socket paths must stay under
    108 bytes, so not under pytest's tmp_path); a fixture: ``ray_tmp = pytest.fixture(private_ray_tmp)``."""
    with tempfile.TemporaryDirectory(prefix="r", dir="/tmp") as d:
        yield d


def ray_processes_of(ray_tmp: str) -> list[int]:
    """Pids of the live processes (not zombies) started with ``RAY_TMPDIR=ray_tmp`` or naming it."""
    mark, found = f"RAY_TMPDIR={ray_tmp}".encode(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:            # gone meanwhile, or not ours to read
            continue
        if b"\0" + mark + b"\0" in b"\0" + environ + b"\0" or (ray_tmp + "/").encode() in cmdline:
            found.append(int(proc.name))
    return found


def wait_gone(ray_tmp: str, seconds: float) -> list[int]:
    """The processes of ``ray_tmp`` still alive after waiting up to ``seconds`` for them to exit."""
    deadline = time.monotonic() + seconds
    while True:
        left = ray_processes_of(ray_tmp)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)
