"""Stops the Ray processes of a driver that ended without stopping them (SIGKILL, a crash).

:func:`symopt.search.cluster.start` runs this file as a script next to each embedded Ray it starts,
and marks every process of that Ray with ``SYMOPT_RAY_OWNER=<value>`` in their environment (they
inherit it).  The script waits on a pipe that only the driver holds open; when it closes (the
driver exited, however it ended) every process still carrying the mark is killed, so that no Ray
process outlives the command (Ray's own agents wait about 100 s for a dead cluster otherwise).  It
imports the standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

MARK = "SYMOPT_RAY_OWNER"


def marked(value: str) -> list[int]:
    """Pids of the processes (other than this one) whose environment holds ``SYMOPT_RAY_OWNER=value``.

    Args:
      value: the mark of one embedded Ray.

    Returns:
      Their pids (none where ``/proc`` is absent; another user's processes are skipped).

    >>> marked("no-such-mark")
    []
    """
    needle = f"\0{MARK}={value}\0".encode()
    found = []
    for proc in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in b"\0" + (proc / "environ").read_bytes() + b"\0":
                found.append(int(proc.name))
        except OSError:           # gone meanwhile, or another user's
            continue
    return found


def main(value: str) -> None:
    """Wait until the driver's end of the pipe on stdin closes, then kill every process marked ``value``.

    SIGINT, SIGTERM and SIGHUP are ignored, so that the reaper outlives the driver's job.

    Args:
      value: the mark of the driver's embedded Ray.
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)       # outlive the driver's job: this runs after it ends
    sys.stdin.buffer.read()                      # returns when the driver's end of the pipe closes
    for pid in marked(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


if __name__ == "__main__":
    main(sys.argv[1])
