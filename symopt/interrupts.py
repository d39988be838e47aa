"""SIGINT and SIGTERM for the command line: one line, exit 130 / 143, a clean shut-down.

While a command runs (:func:`handling`), the first SIGINT or SIGTERM raises :class:`Interrupted` in the
main thread; later ones are ignored, and so is every signal once the command shuts down
(:func:`shield`), so that a second Ctrl-C cannot break the run directory's last writes or the stopping
of the Ray processes.  Ray installs its own SIGTERM handlers when it starts (one of them prints a stack
dump and aborts), so :func:`reinstall` puts these back after ``ray.init``.  Python drops an exception
raised in a callback: a signal that arrives while Ray forks its processes is delivered just after the
fork (:func:`watch_forks`); for other callbacks (``__del__``, a weakref's) :func:`check`, called by the
loops a command spends its time in, raises it.

>>> Interrupted(2).exit_code, Interrupted(15).exit_code, Interrupted(15).what
(130, 143, 'terminated (SIGTERM)')
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state: dict = {"active": False, "shielded": False, "received": None, "pending": False, "forking": False,
                "watching": False}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while a command ran; ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum
        self.what = "interrupted" if signum == signal.SIGINT else f"terminated ({signal.Signals(signum).name})"


def _handle(signum, frame):
    if _state["shielded"] or (_state["received"] is not None and not _state["pending"]):
        return
    _state["received"] = signum
    if _state["forking"]:      # Python would drop an exception raised in an at-fork callback: raise it after
        _state["pending"] = True
        return
    _state["pending"] = False
    raise Interrupted(signum)


def _forking() -> None:
    _state["forking"] = True


def _forked() -> None:
    _state["forking"] = False
    if _state["pending"]:      # the signal that arrived during the fork, delivered again once the callbacks ran
        threading.Timer(0.01, _thread.interrupt_main, (_state["received"],)).start()


def watch_forks() -> None:
    """Defer a signal that arrives while this process forks (Ray starts its processes so) to after the fork.

    Call it after the modules that fork are imported: the hooks registered last run first before a
    fork and last after it.
    """
    if not _state["watching"]:
        os.register_at_fork(before=_forking, after_in_parent=_forked)
        _state["watching"] = True


def check() -> None:
    """Raise :class:`Interrupted` if a signal arrived whose exception Python dropped (see the module docstring)."""
    if _state["active"] and _state["received"] is not None and not _state["shielded"]:
        shield()
        raise Interrupted(_state["received"])


def received(exc: BaseException) -> Interrupted:
    """What interrupted the command that raised ``exc`` (a KeyboardInterrupt).

    The signal this module received, even where a library turned its :class:`Interrupted` into a
    plain KeyboardInterrupt (Ray does, when the signal arrives while it waits), else SIGINT.
    """
    if isinstance(exc, Interrupted):
        return exc
    return Interrupted(_state["received"] or signal.SIGINT)


def _install() -> None:
    for s in SIGNALS:
        signal.signal(s, _handle)


def shield() -> None:
    """Ignore SIGINT and SIGTERM from now on (while the command shuts down)."""
    _state["shielded"] = True


def reinstall() -> None:
    """Put the handlers back after a library (Ray) replaced them; nothing outside :func:`handling`."""
    if _state["active"] and threading.current_thread() is threading.main_thread():
        _install()


@contextlib.contextmanager
def handling(*, to_exit: bool = False):
    """Within the block, SIGINT / SIGTERM raise :class:`Interrupted` once, then are ignored.

    After it,
    the previous handlers come back, unless ``to_exit`` (the block is the process's whole command): then
    signals stay ignored until the process has exited, so that one arriving while Python finishes (its
    exit handlers) cannot print a traceback.  Only the main thread handles signals: elsewhere this does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread() or _state["active"]:
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.update(active=True, shielded=False, received=None, pending=False)
    _install()
    try:
        yield
    finally:
        if to_exit:        # ignored by the kernel: Python's finalization would reset a handler to the default
            _state.update(active=False, shielded=True)
            for s in SIGNALS:
                signal.signal(s, signal.SIG_IGN)
        else:
            _state.update(active=False, shielded=False)
            for s, handler in previous.items():
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)
