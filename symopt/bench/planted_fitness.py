"""The planted-target fitness: how far a program's update stream is from a target's.

A benchmark of the search engine alone (as AutoML-Zero plants its targets):
the fitness is known to be minimised by the target program, so a search that
reaches the target's family shows search power, not proxy quality.  Never
used by ``symopt search`` or ``rediscover`` to score candidates.

Streams (deterministic for a ``seed``): ``streams`` independent problems of
``size`` coordinates, each a noisy ill-conditioned quadratic whose gradient
is ``g_t = d_t * (h * (w_t - w*) + noise_t)`` with

- per-coordinate curvatures ``h`` spread over three orders of magnitude
  (heterogeneous scales: normalising optimizers differ from SGD),
- a slowly drifting magnitude ``d_t`` per coordinate (Adam's second moment
  lags behind, a sign does not care),
- heavy-tailed Student-t noise (df 2.5) with a per-coordinate level (signs of
  the raw gradient flip often; a momentum's do not),
- weights *teacher-forced* along the target's own trajectory
  (``w_{t+1} = w_t - target_update_t``), so every candidate sees the same
  ``w_t`` and ``g_t`` and the target reproduces its stream exactly,
- a decaying learning-rate schedule, so a program that ignores or stores
  ``lr`` differs from one that scales by it.

Distance per stream: ``min over a >= 0 of |a U - U*| / |U*|`` over the whole
stream (``U``: the candidate's updates, ``U*``: the target's), i.e.
``sqrt(1 - max(cos, 0)^2)``: 0 for the target (and any positive rescaling of
it), 1 for an update uncorrelated with or opposite to it.  The fitness is the
mean over streams; non-finite updates score ``inf``.

>>> from search_space.seeds import load_seed
>>> f = PlantedFitness("lion")
>>> [round(x, 3) for x in f([load_seed("lion"), load_seed("adamw")])][0]
0.0
"""

from __future__ import annotations

import math

import numpy as np

from search_space.program import Program
from search_space.rows import compile_rows
from search_space.seeds import load_seed

DEFAULTS = dict(streams=4, size=24, steps=48, seed=0)


def _load(target: Program | str) -> Program:
    if isinstance(target, Program):
        return target

    return load_seed(target)


class PlantedFitness:
    """``fitness(programs) -> list[float]`` against ``target`` (a Program or a seed name).

    ``distances(program)`` gives the per-stream distances (the "seeds" of a paired
    comparison, as the measured simplifier uses them).
    """

    def __init__(self, target: Program | str, *, streams: int = DEFAULTS["streams"], size: int = DEFAULTS["size"],
                 steps: int = DEFAULTS["steps"], seed: int = DEFAULTS["seed"]):
        self.target = _load(target)
        self.target_name = target if isinstance(target, str) else "target"
        self.streams, self.size, self.steps, self.seed = streams, size, steps, seed
        rng = np.random.default_rng(seed)
        shape = (streams, size)
        h = 10.0 ** rng.uniform(-2.0, 1.0, shape)
        w_star = rng.normal(0.0, 1.0, shape)
        w0 = w_star + rng.normal(0.0, 2.0, shape)
        level = h * 10.0 ** rng.uniform(-1.5, 0.0, shape)
        phase, freq = rng.uniform(0, 2 * math.pi, shape), rng.uniform(0.5, 2.0, shape)
        t = np.arange(steps)[:, None, None]
        drift = np.exp(1.2 * np.sin(2 * math.pi * freq * t / steps + phase))
        noise = rng.standard_t(2.5, (steps, *shape)) * level
        self.lrs = (0.1 * (0.3 + 0.7 * np.cos(0.5 * math.pi * np.arange(steps) / steps))).astype(np.float32)
        ws, gs, us = [], [], []
        step = compile_rows(self.target)
        w = w0.astype(np.float32)
        states = tuple(np.zeros(shape, np.float32) for _ in self.target.states)
        for k in range(steps):
            g = (drift[k] * (h * (w - w_star) + noise[k])).astype(np.float32)
            u, states = step(w, g, states, np.full((streams, 1), self.lrs[k], np.float32))
            ws.append(w)
            gs.append(g)
            us.append(np.asarray(u, np.float32))
            w = (w - u).astype(np.float32)
        self.ws, self.gs = np.stack(ws), np.stack(gs)
        self.target_updates = np.stack(us).astype(np.float64)          # (steps, streams, size)
        self._target_norm = np.sqrt(np.sum(self.target_updates ** 2, axis=(0, 2)))
        if not np.all(np.isfinite(self.target_updates)) or np.any(self._target_norm == 0):
            raise ValueError("the planted target's update stream is zero or not finite")
        self._lr_rows = [np.full((streams, 1), x, np.float32) for x in self.lrs]

    def updates(self, program: Program) -> np.ndarray:
        """The program's updates along the teacher-forced streams: ``(steps, streams, size)``."""
        step = compile_rows(program)
        states = tuple(np.zeros((self.streams, self.size), np.float32) for _ in program.states)
        out = np.empty((self.steps, self.streams, self.size), np.float64)
        with np.errstate(all="ignore"):
            for k in range(self.steps):
                out[k], states = step(self.ws[k], self.gs[k], states, self._lr_rows[k])
        return out

    def distances(self, program: Program) -> np.ndarray:
        """Per-stream distance to the target's stream (see the module docstring)."""
        u = self.updates(program)
        if not np.all(np.isfinite(u)):
            return np.full(self.streams, math.inf)
        norm = np.sqrt(np.sum(u * u, axis=(0, 2)))
        dot = np.sum(u * self.target_updates, axis=(0, 2))
        with np.errstate(all="ignore"):
            cos = np.where(norm > 0, dot / (norm * self._target_norm), 0.0)
        cos = np.clip(np.nan_to_num(cos, nan=0.0), 0.0, 1.0)
        return np.sqrt(1.0 - cos * cos)

    def distance(self, program: Program) -> float:
        d = self.distances(program)
        return float(np.mean(d))

    def __call__(self, programs: list[Program]) -> list[float]:
        return [self.distance(p) for p in programs]

    @property
    def description(self) -> str:
        return f"the planted {self.target_name} streams (1 + distance per stream)"

    def evaluate_losses(self, programs, stage=None, seeds=None) -> list[list[float]]:
        """``1 + distance`` per stream (``seeds``: stream indexes), the measured simplifier's losses:
        a paired relative change of 0.5 % is a distance change of about 0.005."""
        idx = list(seeds) if seeds is not None else list(range(self.streams))
        return [list(1.0 + self.distances(p)[idx]) for p in programs]
