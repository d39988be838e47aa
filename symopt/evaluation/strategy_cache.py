"""Measured evaluation strategies, remembered per machine next to JAX's compilation cache.

The ``auto`` strategy measures, per task, whether compiling each program beats the
compiled-once interpreter (see :func:`symopt.evaluation.auto_strategy.measure`).  The answer depends on the
task, the number of lanes per call (seeds x lr scales), the device and the JAX version, so it is stored
under exactly that key in ``<cache dir>/strategies.json`` (a private, user-owned
directory): the next worker and the next run on this machine reuse it instead of
measuring again.  A damaged file is ignored (and rewritten), never an error.
"""

from __future__ import annotations

import hashlib
import json

import jax

from filekit import machine_cache
from symopt.evaluation.strategies import NAMES

FILE = "strategies.json"


def key(task, n_lanes: int) -> str:
    """The store's key for ``task`` with ``n_lanes`` lanes per call on this machine.

    Args:
      task: the proxy task (its configuration is hashed).
      n_lanes: lanes per call (seeds x lr scales).

    Returns:
      ``name|config digest|lanes=N|platform|device kind|jax-version``.
    """
    device = jax.devices()[0]
    config = json.dumps(task.info.get("config", {"name": task.name}), sort_keys=True, default=str)
    digest = hashlib.sha256(config.encode()).hexdigest()[:12]
    return f"{task.name}|{digest}|lanes={n_lanes}|{device.platform}|{device.device_kind}|jax-{jax.__version__}"


def recall(task, n_lanes: int) -> dict | None:
    """The stored measurement for this task and machine.

    Args:
      task: the proxy task.
      n_lanes: lanes per call (seeds x lr scales).

    Returns:
      ``{"strategy", costs...}``, or None when none is stored (or its strategy is not known).
    """
    entry = machine_cache.read(FILE).get(key(task, n_lanes))
    if isinstance(entry, dict) and entry.get("strategy") in NAMES:
        return entry
    return None


def remember(task, n_lanes: int, cost: dict) -> None:
    """Store a measurement (atomically: temp file + rename; concurrent writers both measured).

    Args:
      task: the proxy task.
      n_lanes: lanes per call (seeds x lr scales).
      cost: the measurement, as :func:`symopt.evaluation.auto_strategy.measure` returns it.
    """
    data = machine_cache.read(FILE)
    data[key(task, n_lanes)] = cost
    machine_cache.write(FILE, data)     # a read-only cache costs a measurement next time, nothing else
