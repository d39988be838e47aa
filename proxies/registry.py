"""``get_task`` / ``task_names``: tasks are defined in ``configs/tasks.toml``, built on demand."""
from __future__ import annotations

from typing import Any

from .config import TASKS_TOML, load_task_configs, resolve
from .families import lanes, lm, synthetic, vision
from .task import Task


def task_names(path: str = TASKS_TOML) -> list[str]:
    """Names of all tasks in the tasks file, in file order.

    Args:
      path: the tasks file (default: the shipped one).

    Returns:
      The names.

    >>> "synth_linear_tiny" in task_names()
    True
    """
    return list(load_task_configs(path)[0])


def task_config(name: str, path: str = TASKS_TOML, **overrides: Any) -> dict[str, Any]:
    """The resolved (validated, defaults filled) configuration of a task, with overrides applied.

    Args:
      name: the task.
      path: the tasks file.
      **overrides: fields to replace (not ``family`` or ``model``).

    Returns:
      The configuration.

    Raises:
      ValueError: an unknown task, or an unknown or invalid override (one line).

    >>> task_config("synth_linear_tiny", steps=5)["steps"]
    5
    """
    tasks, _ = load_task_configs(path)
    if name not in tasks:
        raise ValueError(f"unknown task {name!r} (known: {', '.join(tasks)})")
    if not overrides:
        return dict(tasks[name])
    entry = {k: v for k, v in tasks[name].items() if k != "name"}
    bad = sorted(set(overrides) - set(entry))
    if bad:
        raise ValueError(f"task {name!r}: unknown override {bad[0]!r} (allowed: {', '.join(sorted(entry))})")
    if any(k in overrides for k in ("family", "model")):
        raise ValueError(f"task {name!r}: 'family' and 'model' cannot be overridden; define a new task instead")
    return resolve(name, {**entry, **overrides}, source="overrides")


def get_task(name: str, **overrides: Any) -> Task:
    """Build the task ``name`` from ``configs/tasks.toml``; keyword overrides replace config fields.

    Args:
      name: the task.
      **overrides: fields to replace (see :func:`task_config`).

    Returns:
      The :class:`~proxies.task.Task`.

    >>> t = get_task("synth_linear_tiny", steps=20)
    >>> t.steps, t.family
    (20, 'synthetic')
    """
    cfg = task_config(name, **overrides)
    _, corpora = load_task_configs(TASKS_TOML)
    fam = cfg["family"]
    if fam == "lm":
        mod = lm
    elif fam == "vision":
        mod = vision
    elif cfg["model"].startswith("lanes_"):
        mod = lanes
    else:
        mod = synthetic
    return mod.build(cfg, corpora)
