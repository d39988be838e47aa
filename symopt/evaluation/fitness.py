"""Fitness = validation loss / the reference program's (AdamW seed) on the same task and seeds.

Lower is better; 1.0 is AdamW; ``math.inf`` for invalid or diverged programs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LR_GRID = (1.0 / 3.0, 1.0, 3.0)   # the paper's lr tuning stand-in: best of 3 scales a factor 3 apart
REFINE = 3.0 ** 0.5                # the reference is tuned twice as finely, over twice the range


def reference_grid(grid) -> tuple[float, ...]:
    """The reference's lr scales: ``grid`` plus the geometric midpoints and one more step at each end.

    The reference (AdamW) is tuned more finely than the programs, so a program cannot beat it by
    re-tuning its own lr constant between the grid's points.

    >>> [round(x, 3) for x in reference_grid((1 / 3, 1.0, 3.0))]
    [0.192, 0.333, 0.577, 1.0, 1.732, 3.0, 5.196]
    """
    grid = sorted(float(x) for x in grid)
    if len(grid) == 1:
        return (grid[0] / REFINE, grid[0], grid[0] * REFINE)
    out = {grid[0] / REFINE, grid[-1] * REFINE, *grid}
    out.update((a * b) ** 0.5 for a, b in zip(grid, grid[1:]))
    return tuple(sorted(out))
REFERENCE = "adamw"


def tuned(losses: np.ndarray) -> tuple[int, np.ndarray]:
    """``losses[scale, seed]`` -> (index of the best scale by mean loss, that scale's losses)."""
    means = [float(np.mean(row)) if np.all(np.isfinite(row)) else math.inf for row in losses]
    best = int(np.argmin(means)) if any(math.isfinite(m) for m in means) else 0
    return best, losses[best]


def normalise(losses: np.ndarray, reference: np.ndarray) -> float:
    """Fitness of a program from ``losses[scale, seed]`` against the tuned reference ``reference[seed]``.

    >>> normalise(np.array([[2.0, 4.0]]), np.array([2.0, 2.0]))
    1.5
    >>> normalise(np.array([[2.0, np.inf]]), np.array([2.0, 2.0]))
    inf
    """
    best = math.inf
    for row in np.asarray(losses, np.float64):
        if not np.all(np.isfinite(row)):
            continue
        value = float(np.mean(row / np.asarray(reference, np.float64)))
        if math.isfinite(value) and value < best:
            best = value
    return best


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and (population) std of finite values; (inf, 0) if any is not finite."""
    arr = np.asarray(values, np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        return math.inf, 0.0
    return float(arr.mean()), float(arr.std())
