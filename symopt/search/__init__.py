"""Search: the engine (ask/tell), ``evolve`` in-process with any fitness, and ``run_search`` on Ray workers.

``evolve(seed_program, fitness, budget=...) -> SearchResult`` runs the engine with a user fitness;
``run_search(config) -> SearchResult`` is ``symopt search`` (``config`` from :func:`symopt.config.load_config`).
Both run the same :class:`~symopt.search.engine.Engine`.
"""

from symopt.search.inprocess import evolve
from symopt.search.options import EvolveOptions
from symopt.search.result import Record, SearchResult


def run_search(*args, **kwargs):
    """Run (or resume) a funnel search on Ray workers: see :func:`symopt.search.run.run_search`.

    Args:
      *args: :func:`symopt.search.run.run_search`'s positional arguments (the configuration).
      **kwargs: its keyword arguments (``resume``, ``pool``, ``progress``).

    Returns:
      The :class:`SearchResult`.
    """
    from symopt.search.run import run_search as run  # lazy: the Ray search loads JAX; evolve() needs none

    return run(*args, **kwargs)


__all__ = ["EvolveOptions", "Record", "SearchResult", "evolve", "run_search"]
