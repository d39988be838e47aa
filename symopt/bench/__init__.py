"""The benchmarks, run as ``symopt bench NAME`` (the one way to run them; see docs/cli.md).

Each module defines ``run(quick: bool, log: Callable[[str], None] | None, **options)`` returning the
machine-readable figures: a dict (ratios measured side by side in one run) or, for a benchmark with
rows, a list of dicts.  ``options`` are the ``symopt bench`` flags the benchmark accepts
(``planted``: ``seeds``, ``rows``, ``spaces``, ``budget``, ``ablation_table``).
"""
