"""SIGINT and SIGTERM for the command line: one line, exit 130 / 143, a clean shut-down.

While a command runs (:func:`handling`), the first SIGINT or SIGTERM raises :class:`Interrupted` in the
main thread; from then on both signals are ignored (:func:`shield`), so that a second Ctrl-C cannot
break the shut-down that follows (the run directory's last writes, stopping the Ray processes).  Ray
installs its own SIGTERM handlers when it starts (one of them prints a stack dump and aborts), so
:func:`reinstall` puts these back after ``ray.init``.

>>> Interrupted(2).exit_code, Interrupted(15).exit_code, Interrupted(15).what
(130, 143, 'terminated (SIGTERM)')
"""

from __future__ import annotations

import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"active": False, "shielded": False}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while a command ran; ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum
        self.what = "interrupted" if signum == signal.SIGINT else f"terminated ({signal.Signals(signum).name})"


def _raise(signum, frame):
    shield()
    raise Interrupted(signum)


def _install() -> None:
    for s in SIGNALS:
        signal.signal(s, _raise)


def shield() -> None:
    """Ignore SIGINT and SIGTERM from now on (while the command shuts down)."""
    if _state["active"]:
        _state["shielded"] = True
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


def reinstall() -> None:
    """Put the handlers back after a library (Ray) replaced them; nothing outside :func:`handling`."""
    if _state["active"] and threading.current_thread() is threading.main_thread():
        if _state["shielded"]:
            shield()
        else:
            _install()


@contextlib.contextmanager
def handling():
    """Within the block, SIGINT / SIGTERM raise :class:`Interrupted` once, then are ignored; the previous
    handlers are restored after it (only the main thread can handle signals: elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread() or _state["active"]:
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.update(active=True, shielded=False)
    _install()
    try:
        yield
    finally:
        _state.update(active=False, shielded=False)
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
