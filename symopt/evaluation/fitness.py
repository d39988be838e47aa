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

    Args:
      grid: the programs' lr scales.

    Returns:
      The reference's scales, ascending.

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
    """The best lr scale of a ``[scale, seed]`` loss table, by mean loss over seeds.

    A scale with a non-finite loss is never the best; when every scale has one, the first is returned.

    Args:
      losses: ``losses[scale, seed]``.

    Returns:
      ``(index of the best scale, that scale's losses)``.

    >>> tuned(np.array([[3.0, 3.0], [1.0, 2.0], [np.inf, 0.0]]))
    (1, array([1., 2.]))
    """
    means = [float(np.mean(row)) if np.all(np.isfinite(row)) else math.inf for row in losses]
    best = int(np.argmin(means)) if any(math.isfinite(m) for m in means) else 0
    return best, losses[best]


def normalise(losses: np.ndarray, reference: np.ndarray) -> float:
    """Fitness of a program from ``losses[scale, seed]`` against the tuned reference ``reference[seed]``.

    The fitness is the least, over scales whose losses are all finite, of the mean over seeds of
    ``loss / reference``.

    Args:
      losses: the program's ``[scale, seed]`` validation losses.
      reference: the reference's ``[seed]`` losses at its best scale.

    Returns:
      The fitness (lower is better, 1.0 is the reference), ``inf`` when no scale is finite.

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
    """Mean and (population) standard deviation of finite values.

    Args:
      values: the values.

    Returns:
      ``(mean, std)``; ``(inf, 0.0)`` when ``values`` is empty or any is not finite.

    >>> mean_std([1.0, 3.0])
    (2.0, 1.0)
    >>> mean_std([1.0, float("inf")])
    (inf, 0.0)
    """
    arr = np.asarray(values, np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        return math.inf, 0.0
    return float(arr.mean()), float(arr.std())
