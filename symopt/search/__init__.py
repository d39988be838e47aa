"""Search: regularized evolution on Ray workers, with a funnel, a hall of fame and a resumable run directory.

``run_search(config) -> SearchResult`` is the Python API (``config`` from :func:`symopt.config.load_config`).
"""

from symopt.search.driver import SearchResult
from symopt.search.run import run_search

__all__ = ["run_search", "SearchResult"]
