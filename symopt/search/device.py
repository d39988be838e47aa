"""Where a search trains its programs, and the batch and population sizes that follow from it.

CPU workers take small batches (``ray.batch_size``, 8 by default): one program per call is what a
CPU core runs best.  Evaluators on an accelerator train a whole batch as lanes of one call
(:mod:`symopt.evaluation.population`), so the engine hands them ``ray.device_batch_size``
candidates at a time (1,024 by default), and the population grows to
``evolution.device_population`` so that one batch replaces a fraction of it, not all of it
(aging evolution keeps only the youngest members).

On a machine whose JAX sees an accelerator, a search with no Ray address and no GPU share per
worker runs in-process (``ray.workers = 0``: no Ray needed for one accelerator); Ray stays the way
to use many accelerators or nodes (``--gpus-per-worker``, ``--address``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os

from symopt.config import Config


def accelerator_backend_installed() -> bool:
    """Whether JAX could see an accelerator here.

    Answered without starting JAX's backend (a started backend makes the later fork of Ray's
    processes unsafe).

    Returns:
      True when a JAX plugin (CUDA, ROCm, ...) or libtpu is installed and ``JAX_PLATFORMS`` does not
      restrict JAX to the CPU.
    """
    if os.environ.get("JAX_PLATFORMS", "").strip().lower() == "cpu":
        return False
    plugins = importlib.metadata.entry_points(group="jax_plugins")
    return bool(plugins) or any(importlib.util.find_spec(name) for name in ("jax_plugins", "libtpu"))


def local_accelerator() -> str | None:
    """This process's accelerator, if any.

    Returns:
      ``platform:kind`` of its first JAX device when it is not a CPU, else ``None``.
    """
    if not accelerator_backend_installed():
        return None
    import jax  # lazy: the CLI starts without JAX

    device = jax.devices()[0]
    return None if device.platform == "cpu" else f"{device.platform}:{device.device_kind}"


def placement(cfg: Config) -> str:
    """Where the evaluators of ``cfg`` run.

    Args:
      cfg: the resolved configuration.

    Returns:
      ``"ray-gpu"`` (Ray workers with a GPU share), ``"in-process"`` (this process's accelerator, with
      no Ray address) or ``"cpu"`` (CPU workers, Ray or in-process).
    """
    rc = cfg.ray
    if rc.gpus_per_worker > 0:
        return "ray-gpu"
    if rc.address or os.environ.get("RAY_ADDRESS"):
        return "cpu"
    return "in-process" if local_accelerator() else "cpu"


def adapt(cfg: Config) -> tuple[Config, str]:
    """``cfg`` sized for where its evaluators run, and that place (see :func:`placement`).

    Args:
      cfg: the resolved configuration.

    Returns:
      ``(config, placement)``: on an accelerator, batches of ``ray.device_batch_size``, a
      population of at least ``evolution.device_population`` and ``funnel.meta_every`` scaled by
      the batches' growth (in-process: ``ray.workers = 0``); on CPUs ``cfg`` unchanged.
    """
    where = placement(cfg)
    if where == "cpu":
        return cfg, where
    ev, rc = cfg.evolution, cfg.ray
    population = max(ev.population, ev.device_population)
    overrides = {"ray": {"batch_size": rc.device_batch_size},
                 "evolution": {"population": population - population % ev.islands},
                 # as many meta-validations per batch as on CPUs, not one after every batch
                 "funnel": {"meta_every": cfg.funnel.meta_every * max(1, rc.device_batch_size // rc.batch_size)}}
    if where == "in-process":
        overrides["ray"]["workers"] = 0
    return cfg.override(overrides, "accelerator sizing"), where
