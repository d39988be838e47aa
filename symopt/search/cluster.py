"""The Ray cluster of a search: join or start one, check that it holds the workers, shut down what was started.

* ``address`` HOST:PORT (or ``RAY_ADDRESS``): joined after a bounded check that a Ray cluster answers
  there (:data:`CONNECT_TIMEOUT` seconds); otherwise one line naming the address.
* ``"auto"``: the cluster that ``ray start`` recorded on this machine (``RAY_ADDRESS`` first); none is
  one line saying so.  A private embedded Ray of another process is never joined.
* ``""``: an embedded local Ray with one CPU per core of this machine (no dashboard).

:func:`connect` refuses, before the search writes anything, more workers than the cluster's CPUs and
a GPU share where the cluster has no GPU (Ray would wait for them forever).  :func:`shutdown` stops
the embedded Ray's processes (every one of them, within a few seconds) or leaves a joined cluster;
if this process ends without it (SIGKILL), :mod:`symopt.search.reaper` kills what is left of them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time

from symopt import interrupts
from symopt.errors import UserError
from symopt.search import reaper

CONNECT_TIMEOUT = 10.0     # seconds to reach a cluster's address and hear a Ray (gRPC) server there
GRACE = 3.0                # seconds the embedded Ray's processes get to exit before they are killed
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_started: dict = {"ours": False, "embedded": False}   # this process started / joined its Ray; the reaper


def machine_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count).

    Returns:
      Their number, at least 1.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:        # not Linux
        return os.cpu_count() or 1


def resolve(address: str) -> str:
    """``address`` as HOST:PORT, or "" for an embedded Ray.

    ``RAY_ADDRESS`` answers when ``address`` is empty or "auto"; otherwise "auto" is the cluster that
    ``ray start`` recorded on this machine.

    Args:
      address: HOST:PORT, "auto" or "".

    Returns:
      The address to join ("" when none: an embedded Ray).

    Raises:
      UserError: "auto" and no Ray cluster is recorded on this machine.
    """
    env = os.environ.get("RAY_ADDRESS", "")
    if address in ("", "auto") and env:
        return env
    if address != "auto":
        return address
    from ray._private.utils import read_ray_address  # lazy: Ray costs seconds to import; only Ray searches

    found = read_ray_address()
    if not found:
        raise UserError("--address auto: no Ray cluster is running on this machine (start one with "
                        "'ray start --head', or pass --address HOST:PORT)")
    return found


def probe(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Check that a gRPC server (Ray's GCS speaks gRPC) answers at ``address`` within ``timeout`` seconds.

    Ray itself retries an unreachable address for many minutes.

    Args:
      address: HOST:PORT.
      timeout: seconds to connect and hear the server's first frame.

    Raises:
      UserError: ``address`` is not HOST:PORT, nothing answers there in time, or what answers does
        not speak gRPC (one line).
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise UserError(f"--address {address}: expected HOST:PORT or 'auto'")
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            sock.sendall(_HTTP2_PREFACE)
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            head = sock.recv(9)
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc) or type(exc).__name__)
        raise UserError(f"--address {address}: cannot reach a Ray cluster there within {timeout:g} s "
                        f"({reason})") from None
    if len(head) < 9 or head[3] != 0x4:       # a gRPC server answers the preface with a SETTINGS frame
        raise UserError(f"--address {address}: the server there is not a Ray cluster (it does not speak gRPC)")


def _embedded_processes(ray) -> list:
    """The processes of the embedded Ray this process started, as ``psutil.Process`` objects.

    Its node's processes and their children, workers included.
    """
    import psutil  # lazy: Ray's own copy, on the path once ray is imported

    node = getattr(ray._private.worker, "_global_node", None)
    procs = []
    for infos in (node.all_processes.values() if node is not None else ()):
        for info in infos:
            try:
                proc = psutil.Process(info.process.pid)
                procs += [proc, *proc.children(recursive=True)]
            except psutil.Error:
                continue
    return procs


def start(address: str, num_cpus: int):
    """Join ``address`` (see :func:`resolve`) or start an embedded local Ray of ``num_cpus`` CPUs.

    Nothing is done when Ray is initialised already.  An embedded Ray gets a
    :mod:`symopt.search.reaper`.

    Args:
      address: HOST:PORT, "auto" or "" (embedded).
      num_cpus: the embedded Ray's CPUs.

    Returns:
      The ``ray`` module, initialised.

    Raises:
      UserError: the cluster at ``address`` cannot be reached or joined.
      symopt.interrupts.Interrupted: a signal arrived while Ray started.
    """
    import ray  # lazy: Ray costs seconds to import; only Ray searches need it

    if ray.is_initialized():
        return ray
    interrupts.watch_forks()          # ray.init forks Ray's processes: a signal meanwhile is raised after
    target = resolve(address)
    if target:
        probe(target)
    _started.update(ours=True, embedded=not target)    # before ray.init: a start cut short is cleaned up too
    if not target:
        _start_reaper()
    try:
        if target:
            ray.init(address=target, log_to_driver=False, configure_logging=False)
        else:
            # Ray turns token authentication on for a new local cluster and says so on stderr: errors only there
            logging.getLogger("ray._private.authentication").setLevel(logging.ERROR)
            # "local": always a new embedded instance, never a cluster left running (or recorded) on this machine
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
    except SystemExit:      # Ray's own SIGTERM handlers, in place while ray.init runs, exit the process
        raise interrupts.Interrupted(signal.SIGTERM) from None
    except (ConnectionError, RuntimeError, ValueError) as exc:
        if not target:
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"--address {target}: cannot join the Ray cluster there ({first})") from None
    finally:
        interrupts.reinstall()          # ray.init installs its own SIGTERM handlers
    interrupts.check()                  # a signal that arrived while Ray forked its processes
    return ray


def _start_reaper() -> None:
    """Mark the processes of the embedded Ray about to start and start :mod:`symopt.search.reaper`.

    The mark is in this process's environment, which Ray's processes inherit; the reaper kills what is
    left of them once this process ends.
    """
    value = f"{os.getpid()}-{time.time_ns()}"
    read_end, write_end = os.pipe()             # not inherited by Ray's processes: only this one holds it
    env = {k: v for k, v in os.environ.items() if k != reaper.MARK}
    proc = subprocess.Popen([sys.executable, reaper.__file__, value], stdin=read_end, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(read_end)
    os.environ[reaper.MARK] = value
    _started["reaper"] = (write_end, proc)


def _stop_reaper() -> None:
    """Close the reaper's pipe: it kills any marked process left and exits."""
    held = _started.pop("reaper", None)
    if held is not None:
        os.close(held[0])
        os.environ.pop(reaper.MARK, None)
        try:
            held[1].wait(timeout=GRACE)
        except subprocess.TimeoutExpired:     # it goes on alone; nothing waits for it
            pass


def _check_capacity(ray, workers: int, gpus_per_worker: float, where: str) -> None:
    resources = ray.cluster_resources()
    cpus = int(resources.get("CPU", 0))
    if workers > cpus:
        raise UserError(f"--workers {workers}: {where} has {cpus} CPU(s) and each worker takes one; "
                        f"use --workers {max(cpus, 1)} or fewer")
    if gpus_per_worker <= 0:
        return
    gpus = resources.get("GPU", 0)
    if gpus <= 0:
        raise UserError(f"--gpus-per-worker {gpus_per_worker:g}: {where} has no GPU")
    if workers * gpus_per_worker > gpus:
        raise UserError(f"--gpus-per-worker {gpus_per_worker:g} with --workers {workers} needs "
                        f"{workers * gpus_per_worker:g} GPU(s); {where} has {gpus:g}")


def connect(rc) -> None:
    """Start or join the cluster for the ``[ray]`` section ``rc`` and check that it holds the workers.

    Each of ``rc.workers`` workers takes one CPU (and ``rc.gpus_per_worker`` GPU).

    Args:
      rc: the configuration's ``[ray]`` section (``address``, ``workers``, ``gpus_per_worker``).

    Raises:
      UserError: the cluster cannot be reached or does not hold the workers (one line; nothing is
        left running), or ``gpus_per_worker`` is neither a fraction of one GPU nor whole GPUs.
    """
    g = rc.gpus_per_worker
    if g > 1 and g != int(g):
        raise UserError(f"--gpus-per-worker {g:g}: a worker takes a fraction of one GPU or whole GPUs")
    target = resolve(rc.address)
    cpus = machine_cpus()
    if not target and rc.workers > cpus:     # refused before an embedded Ray is started at all
        raise UserError(f"--workers {rc.workers}: this machine has {cpus} CPU(s) and each worker takes one; "
                        f"use --workers {cpus} or fewer")
    ray = start(rc.address, cpus)
    try:
        _check_capacity(ray, rc.workers, g, f"the Ray cluster at {target}" if target else "this machine")
    except UserError:
        shutdown()
        raise


def shutdown() -> None:
    """Leave the cluster this process joined, or stop the embedded Ray it started.

    Any of the embedded Ray's processes still alive :data:`GRACE` seconds later is killed.  A Ray
    started by someone else (the caller of :func:`~symopt.search.run.run_search`) is left alone.
    """
    if not _started["ours"]:
        return
    import ray  # lazy: Ray costs seconds to import; only Ray searches need it

    procs = _embedded_processes(ray) if _started["embedded"] else []
    ray.shutdown()
    interrupts.reinstall()      # Ray's shut-down resets the signals' handlers to the defaults
    _started.update(ours=False, embedded=False)
    _reap(procs)
    _stop_reaper()


def _reap(procs: list) -> None:
    """Wait :data:`GRACE` seconds for ``procs`` to exit, then kill those still alive."""
    import psutil  # lazy: Ray's own copy, on the path once ray is imported

    _, alive = psutil.wait_procs(procs, timeout=GRACE)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=GRACE)
