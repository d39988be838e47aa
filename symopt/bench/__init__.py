"""Benchmarks runnable as ``symopt bench NAME``.

Each module defines ``run(quick: bool, log: Callable[[str], None] | None) -> dict``
returning the machine-readable figures (ratios measured side by side in one run).
"""
