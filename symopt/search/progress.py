r"""Live progress of a search: one rewritten status line on a terminal, plain lines otherwise.

>>> import io
>>> out = io.StringIO()
>>> p = Progress(out, every=0.0)
>>> p.update(evaluations=10, elapsed=2.0, hit_rate=0.5, best=0.9, program="update = sign(g)")
>>> "10 cand" in out.getvalue() and "\r" not in out.getvalue()
True
"""

from __future__ import annotations

import math
import shutil
import sys
import time


def status_line(evaluations: int, elapsed: float, hit_rate: float, best, program: str,
                budget: int | None = None, time_limit: float | None = None) -> str:
    """One status line: time, candidates, rate, cache hit rate, best fitness and best program.

    Args:
      evaluations: candidates so far.
      elapsed: seconds so far.
      hit_rate: the fraction of candidates answered by the cache.
      best: the best fitness (``None`` or not finite: ``-``).
      program: the best program, on one line.
      budget: the candidate budget, if any.
      time_limit: the time limit in seconds, if any.

    Returns:
      The line.

    >>> status_line(10, 2.0, 0.5, 0.9, "update = sign(g)", budget=100)
    '2 s  10/100 cand  5.0/s  cache 50%  best 0.9000  update = sign(g)'
    """
    rate = evaluations / elapsed if elapsed > 0 else 0.0
    of = f"/{budget}" if budget else ""
    clock = f"{elapsed:.0f}/{time_limit:.0f} s" if time_limit else f"{elapsed:.0f} s"
    best_s = "-" if best is None or not math.isfinite(best) else f"{best:.4f}"
    return (f"{clock}  {evaluations}{of} cand  {rate:.1f}/s  cache {100 * hit_rate:.0f}%  best {best_s}  {program}")


class Progress:
    """``update(...)`` redraws (terminal) or prints a line every ``every`` seconds (pipe / file).

    Args:
      stream: where to write (default: standard output).
      every: seconds between lines on a pipe or file (a terminal redraws every 0.2 s).
      enabled: write nothing when false.
    """

    def __init__(self, stream=None, every: float = 5.0, enabled: bool = True):
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every, self.enabled = (0.2 if self.tty else every), enabled
        self._last = -math.inf

    def update(self, *, force: bool = False, budget: int | None = None, **fields) -> None:
        """Show the status line, unless the last one is more recent than ``every`` seconds.

        Args:
          force: show it regardless of the time.
          budget: the candidate budget, if any.
          **fields: :func:`status_line`'s other arguments.
        """
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        line = status_line(budget=budget, **fields)
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\x1b[K" + line[:width])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, message: str) -> None:
        """Write a line of its own (e.g. what the search is waiting for), between status updates.

        Args:
          message: the line.
        """
        if self.enabled:
            self.stream.write(("\r\x1b[K" if self.tty else "") + message + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the status line on a terminal."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
