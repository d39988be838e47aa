"""symopt proxy tasks: small, real, deterministic JAX training problems that score optimizers.

Imports nothing from ``symopt`` or ``search_space``. See ``docs/proxies.md``.

>>> import optax, proxies
>>> task = proxies.get_task("synth_linear_tiny")
>>> proxies.train_optax(task, optax.adam(1e-2), seed=0) < 1.0
True
"""
from .funnel import Funnel, Stage, funnel_names, load_funnel
from .registry import get_task, task_config, task_names
from .task import Task, finite_or_inf
from .train import make_optax_trainer, train_optax, train_optax_curve

__all__ = [
    "Task", "Stage", "Funnel", "get_task", "task_names", "task_config", "load_funnel", "funnel_names",
    "train_optax", "train_optax_curve", "make_optax_trainer", "finite_or_inf",
]
