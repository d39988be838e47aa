"""Argument types shared by the commands, so that one flag means one thing everywhere (docs/cli.md).

A bad value is an ``argparse`` error: one line ``symopt CMD: error: argument --FLAG: ...``, exit status 2.

>>> seed_list("0, 1,2")
(0, 1, 2)
>>> name_list("adamw->lion, sgd->adam")
['adamw->lion', 'sgd->adam']
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: expected a positive integer, got '0'
"""

from __future__ import annotations

import argparse


def name_list(text: str) -> list[str]:
    """A comma-separated list of names (blanks around the commas are dropped)."""
    return [x.strip() for x in text.split(",") if x.strip()]


def seed_list(text: str) -> tuple[int, ...]:
    """``--seeds``: a non-empty comma-separated list of non-negative integers, e.g. ``0,1,2``."""
    try:
        seeds = tuple(int(x) for x in name_list(text))
    except ValueError:
        seeds = ()
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of seeds (integers >= 0), got {text!r}")
    return seeds


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value
