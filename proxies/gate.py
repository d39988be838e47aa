"""The Lion gate: does a funnel reward Lion, beyond noise, with every optimizer's lr tuned?

Test (docs/proxies.md): on every stage A, B, C of the funnel, tuned Lion has a lower mean
validation loss than tuned Signum AND tuned AdamW with

    z = (mean_other - mean_lion) / sqrt(sd_lion**2 / n_lion + sd_other**2 / n_other) > z_min (3)

(sample standard deviations, ddof = 1; unpaired), over >= ``MIN_SEEDS`` (5) training seeds, once on
search seeds and once on the funnel's held-out seeds; on the meta-validation stage Lion has the
lowest tuned mean (the ordering carries; its z is reported). "Tuned": for each optimizer and seed set
the lr scale with the lowest mean loss over ``LR_GRID`` (the evaluator's grid), non-finite rows
excluded — the rule of ``symopt.evaluation.fitness.tuned``.

This module imports nothing from ``symopt``: the losses come from a *backend*, a callable
``losses(optimizer, stage, seeds) -> array`` returning final validation losses either per
``[lr scale, seed]`` (the gate tunes) or per seed (already tuned). Two backends:

* :func:`optax_backend` (here): the seed programs written as optax transformations, trained by
  :func:`proxies.make_optax_trainer` (same data, seeds and lr schedule as the evaluator);
* :func:`evaluator_backend` (here, duck-typed): any object with the evaluator's
  ``evaluate_losses(programs, stage, seeds)``, e.g.
  ``symopt.evaluation.make_evaluator(funnel, lr_grid=True)`` with the seed programs
  ``search_space.seeds.load_seed("lion")`` ... (what ``benchmarks/proxy_table.py --gate`` uses).

>>> round(z_score([1.0, 1.2, 1.1], [2.0, 2.2, 2.1]), 6)
12.247449
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .funnel import FUNNELS_TOML, Funnel, Stage, load_funnel
from .registry import get_task
from .train import make_optax_trainer

LR_GRID = (1.0 / 3.0, 1.0, 3.0)          # == symopt.evaluation.fitness.LR_GRID (tests/test_proxies_gate.py)
Z_MIN = 3.0
MIN_SEEDS = 5
LION = "lion"
RIVALS = ("signum", "adamw")
GATE_OPTIMIZERS = (LION, *RIVALS)
NAMES = {"lion": "Lion", "signum": "Signum", "adamw": "AdamW"}

Backend = Callable[[str, Stage, Sequence[int]], Any]


# ----------------------------------------------------------------------------- statistics

def z_score(lion: Sequence[float], other: Sequence[float]) -> float:
    """``(mean(other) - mean(lion)) / sqrt(var(lion)/n_lion + var(other)/n_other)`` (ddof 1).

    Positive when Lion's mean loss is lower. Non-finite losses: ``-inf`` if Lion has any,
    else ``+inf`` if ``other`` has any. Zero spread: ``+-inf`` by the sign of the difference
    (``nan`` if equal).

    Args:
      lion: Lion's losses (>= 2).
      other: the rival's losses (>= 2).

    Returns:
      The z score.

    Raises:
      ValueError: fewer than 2 losses on a side.

    >>> z_score([1.0, 1.0], [2.0, float("inf")])
    inf
    """
    a, b = np.asarray(lion, np.float64), np.asarray(other, np.float64)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"z needs >= 2 losses per optimizer, got {a.size} and {b.size}")
    if not np.all(np.isfinite(a)):
        return -math.inf
    if not np.all(np.isfinite(b)):
        return math.inf
    d = float(b.mean() - a.mean())
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    if se == 0.0:
        return math.copysign(math.inf, d) if d != 0.0 else math.nan
    return d / se


def tune(table: Any) -> tuple[int | None, np.ndarray]:
    """The best lr scale of a table of losses, by mean.

    Rows with a non-finite loss never win (all non-finite: index 0).

    Args:
      table: ``losses[scale, seed]``; a 1-D array is taken as already tuned.

    Returns:
      ``(index of the best scale, or None for a 1-D table; its losses)``.

    >>> tune([[1.0, 2.0], [0.5, 0.7], [0.1, float("inf")]])[0]
    1
    """
    t = np.asarray(table, np.float64)
    if t.ndim == 1:
        return None, t
    means = [float(r.mean()) if np.all(np.isfinite(r)) else math.inf for r in t]
    best = int(np.argmin(means)) if any(math.isfinite(m) for m in means) else 0
    return best, t[best]


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties; ``inf`` values rank last, tied).

    Args:
      x: the first values.
      y: the second values, as many.

    Returns:
      The correlation in [-1, 1] (``nan`` when a side has no spread).

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float((rx ** 2).sum() * (ry ** 2).sum()))
    return float((rx * ry).sum() / den) if den > 0 else math.nan


def _ranks(v: Sequence[float]) -> np.ndarray:
    a = np.asarray(v, np.float64)
    a = np.where(np.isfinite(a), a, np.inf)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a), np.float64)
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and a[order[j + 1]] == a[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


# ----------------------------------------------------------------------------- the gate

@dataclasses.dataclass(frozen=True)
class GateRow:
    """One (stage, seed set) measurement: tuned losses per optimizer and Lion's z against each rival.

    Attributes:
      stage: ``"A"``, ``"B"``, ``"C"`` or ``"meta"``.
      split: ``"search"`` or ``"heldout"`` (the seeds).
      task: the stage's task.
      seeds: the training seeds.
      losses: per optimizer, the per-seed losses at its tuned lr scale.
      scales: per optimizer, the tuned lr scale (None: the backend tuned it).
      z: per rival, Lion's z score against it.
      z_min: the z a stage must exceed.
      seconds: how long the row took.
    """
    stage: str                               # "A", "B", "C" or "meta"
    split: str                               # "search" or "heldout"
    task: str
    seeds: tuple[int, ...]
    losses: Mapping[str, tuple[float, ...]]  # optimizer -> per-seed losses at its tuned scale
    scales: Mapping[str, float | None]       # optimizer -> tuned lr scale (None: backend tuned it)
    z: Mapping[str, float]                   # rival -> z
    z_min: float
    seconds: float = 0.0

    def mean(self, opt: str) -> float:
        """The mean loss of an optimizer (``inf`` if any loss is not finite).

        Args:
          opt: ``"lion"``, ``"signum"`` or ``"adamw"``.

        Returns:
          The mean.
        """
        v = np.asarray(self.losses[opt], np.float64)
        return float(v.mean()) if np.all(np.isfinite(v)) else math.inf

    def sd(self, opt: str) -> float:
        """The sample standard deviation of an optimizer's losses (``nan`` if not finite or one seed).

        Args:
          opt: ``"lion"``, ``"signum"`` or ``"adamw"``.

        Returns:
          The standard deviation (ddof 1).
        """
        v = np.asarray(self.losses[opt], np.float64)
        return float(v.std(ddof=1)) if np.all(np.isfinite(v)) and v.size > 1 else math.nan

    @property
    def lion_best(self) -> bool:
        """Whether Lion's mean loss is lower than every rival's."""
        return all(self.mean(LION) < self.mean(o) for o in self.z)

    @property
    def passed(self) -> bool:
        """Whether the row passes: Lion best on meta-validation; z above ``z_min`` against every rival elsewhere."""
        if self.stage == "meta":
            return self.lion_best
        return all(z > self.z_min for z in self.z.values())   # nan fails


@dataclasses.dataclass(frozen=True)
class GateResult:
    """The gate measured on one funnel: one :class:`GateRow` per stage and seed set.

    Attributes:
      funnel: the funnel's name.
      rows: the measurements.
      source: the funnels file named in :meth:`failures`.
    """
    funnel: str
    rows: tuple[GateRow, ...]
    source: str = os.path.basename(FUNNELS_TOML)

    @property
    def passed(self) -> bool:
        """Whether every row passes."""
        return all(r.passed for r in self.rows)

    def stage_z(self) -> dict[tuple[str, str], dict[str, float]]:
        """Lion's z against each rival, per stage and seed set.

        Returns:
          ``{(stage, split): {rival: z}}``.
        """
        return {(r.stage, r.split): dict(r.z) for r in self.rows}

    def failures(self) -> list[str]:
        """One line per failing row, naming the funnel key.

        Returns:
          The lines, e.g. ``funnels.toml: [lion.B]: tuned Lion does not beat tuned Signum beyond 3 sigma (z = 1.2)``.
        """
        out = []
        for r in self.rows:
            where = f"{self.source}: [{self.funnel}.{r.stage}]"
            if r.split == "heldout":
                where += f" (held-out seeds {_seed_list(r.seeds)})"
            if r.stage == "meta":
                if not r.lion_best:
                    best = min(r.z, key=r.mean)
                    out.append(f"{where}: tuned Lion is not best on meta-validation "
                               f"({NAMES.get(best, best)} {r.mean(best):.4g} <= Lion {r.mean(LION):.4g})")
                continue
            for o, z in r.z.items():
                if not z > r.z_min:
                    out.append(f"{where}: tuned Lion does not beat tuned {NAMES.get(o, o)} beyond "
                               f"{r.z_min:g} sigma (z = {z:.1f})")
        return out

    def table(self) -> str:
        """The measurements as a Markdown table.

        Returns:
          Mean ± sd per optimizer (tuned lr scale), z per rival and the verdict, one row per measurement.
        """
        opts = [LION, *[o for o in RIVALS if any(o in r.losses for r in self.rows)]]
        head = ("| stage | task | seeds | " + " | ".join(NAMES.get(o, o) for o in opts) + " | "
                + " | ".join(f"z vs {NAMES.get(o, o)}" for o in opts[1:]) + " | pass |")
        rows = [head, "|" + "---|" * (4 + 2 * (len(opts) - 1) + 1)]
        for r in self.rows:
            cells = []
            for o in opts:
                sc = r.scales.get(o)
                tag = f" (x{_fmt_scale(sc)})" if sc is not None else ""
                cells.append(f"{r.mean(o):.5f} ± {r.sd(o):.5f}{tag}")
            zs = [f"{r.z[o]:+.1f}" for o in opts[1:]]
            label = r.stage + (" held-out" if r.split == "heldout" else "")
            rows.append(f"| {label} | {r.task} | {_seed_list(r.seeds)} | " + " | ".join(cells) + " | "
                        + " | ".join(zs) + f" | {'yes' if r.passed else '**no**'} |")
        return "\n".join(rows)


def _fmt_scale(s: float) -> str:
    return {1.0 / 3.0: "1/3"}.get(s, f"{s:g}")


def _seed_list(seeds: Sequence[int]) -> str:
    s = list(seeds)
    if len(s) > 2 and s == list(range(s[0], s[0] + len(s))):
        return f"{s[0]}-{s[-1]}"
    return ",".join(map(str, s))


def gate_seeds(funnel: Funnel, stage: Stage, n: int = MIN_SEEDS) -> tuple[int, ...]:
    """The seeds the gate trains a stage on.

    Args:
      funnel: the funnel (its held-out seeds are never used).
      stage: the stage.
      n: the least number of seeds.

    Returns:
      The stage's own seeds, topped up with the smallest unused non-negative integers to at least ``n``, sorted.
    """
    seeds = list(stage.seeds)
    held = set(funnel.heldout_seeds)
    k = 0
    while len(seeds) < n:
        if k not in seeds and k not in held:
            seeds.append(k)
        k += 1
    return tuple(sorted(seeds))


def measure_gate(funnel: Funnel | str, backend: Backend, *, n_seeds: int = MIN_SEEDS,
                 heldout: bool = True, stages: Sequence[str] | None = None, z_min: float = Z_MIN,
                 log: Callable[[str], None] | None = None) -> GateResult:
    """Measure the gate on ``funnel``.

    For every stage: tuned losses of Lion, Signum and AdamW on :func:`gate_seeds` (>= ``n_seeds``)
    and, when ``heldout``, on the funnel's held-out seeds (which need >= 2 seeds for a z; the gate
    asks for >= ``MIN_SEEDS``).

    Args:
      funnel: a :class:`~proxies.funnel.Funnel` or a name in funnels.toml.
      backend: ``losses(optimizer, stage, seeds)`` (:func:`optax_backend`, :func:`evaluator_backend`).
      n_seeds: the least number of search seeds per stage (>= 2).
      heldout: also measure on the held-out seeds.
      stages: the stages to measure (default A, B, C, meta).
      z_min: the z a stage must exceed.
      log: called with one line per measurement.

    Returns:
      The :class:`GateResult` (``.passed``, ``.failures()``, ``.table()``, ``.stage_z()``).
    """
    f = load_funnel(funnel) if isinstance(funnel, str) else funnel
    if n_seeds < 2:
        raise ValueError(f"n_seeds must be >= 2, got {n_seeds}")
    by_name = {s.name: s for s in (*f.stages, f.meta)}
    names = list(stages) if stages else list(by_name)
    unknown = [s for s in names if s not in by_name]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r} of funnel {f.name!r} (known: {', '.join(by_name)})")
    rows = []
    for sname in names:
        st = by_name[sname]
        splits = [("search", gate_seeds(f, st, n_seeds))]
        if heldout:
            splits.append(("heldout", tuple(f.heldout_seeds)))
        for split, seeds in splits:
            t0 = time.perf_counter()
            losses, scales = {}, {}
            for o in GATE_OPTIMIZERS:
                k, row = tune(backend(o, st, seeds))
                losses[o] = tuple(float(x) for x in row)
                scales[o] = None if k is None else _grid_of(backend)[k]
            z = {o: z_score(losses[LION], losses[o]) for o in RIVALS}
            row = GateRow(stage=sname, split=split, task=st.task, seeds=tuple(seeds), losses=losses,
                          scales=scales, z=z, z_min=z_min, seconds=time.perf_counter() - t0)
            rows.append(row)
            if log:
                log(f"  {f.name}.{sname} {split} ({st.task}, seeds {_seed_list(seeds)}): "
                    + ", ".join(f"{o} {row.mean(o):.5f}±{row.sd(o):.5f}" for o in GATE_OPTIMIZERS)
                    + " | " + ", ".join(f"z {o} {v:+.1f}" for o, v in z.items())
                    + f" | {'pass' if row.passed else 'FAIL'} ({row.seconds:.0f} s)")
    return GateResult(funnel=f.name, rows=tuple(rows))


def _grid_of(backend) -> tuple[float, ...]:
    return tuple(getattr(backend, "lr_grid", LR_GRID))


# ----------------------------------------------------------------------------- backends

def seed_transforms() -> dict[str, Any]:
    """The gate's seed programs as optax transformations, constants included.

    The programs are ``search_space/seeds/{lion,signum,adamw}.program``; the task schedule and lr
    scale multiply the updates::

      lion:   u = sign(0.9 m + 0.1 g) + 0.01 w;  m <- 0.99 m + 0.01 g;      update = 3e-4 * u
      signum: m <- 0.9 m + 0.1 g;  u = sign(m);                            update = 3e-4 * u
      adamw:  m <- 0.9 m + 0.1 g;  v <- 0.999 v + 0.001 g^2;  u = m / (sqrt(v) + 1e-8) + 0.01 w
              (no bias correction, as the program);                       update = 1e-3 * u

    Returns:
      ``{"lion", "signum", "adamw"}`` -> ``optax.GradientTransformation``.
    """
    tm = jax.tree_util.tree_map

    def transform(init_fn, update_fn):
        return optax.GradientTransformation(init_fn, update_fn)

    def zeros(params):
        return tm(jnp.zeros_like, params)

    def lion_update(g, state, params):
        m = state
        u = tm(lambda gi, mi, w: -3e-4 * (jnp.sign(0.1 * gi + 0.9 * mi) + 0.01 * w), g, m, params)
        return u, tm(lambda gi, mi: 0.01 * gi + 0.99 * mi, g, m)

    def signum_update(g, state, params=None):
        m = tm(lambda gi, mi: 0.1 * gi + 0.9 * mi, g, state)
        return tm(lambda mi: -3e-4 * jnp.sign(mi), m), m

    def adamw_update(g, state, params):
        m, v = state
        m = tm(lambda gi, mi: 0.1 * gi + 0.9 * mi, g, m)
        v = tm(lambda gi, vi: 0.001 * gi * gi + 0.999 * vi, g, v)
        u = tm(lambda mi, vi, w: -1e-3 * (mi / (jnp.sqrt(jnp.abs(vi)) + 1e-8) + 0.01 * w), m, v, params)
        return u, (m, v)

    return {
        "lion": transform(zeros, lion_update),
        "signum": transform(zeros, signum_update),
        "adamw": transform(lambda p: (zeros(p), zeros(p)), adamw_update),
    }


def optax_backend(lr_grid: Sequence[float] = LR_GRID) -> Backend:
    """A backend training :func:`seed_transforms` with :func:`proxies.make_optax_trainer`.

    Args:
      lr_grid: the lr scales every optimizer is tuned over.

    Returns:
      ``losses(optimizer, stage, seeds) -> losses[scale, seed]``; one compilation per (task, optimizer).
    """
    txs = seed_transforms()
    tasks: dict[str, Any] = {}
    trainers: dict[tuple[str, str], Any] = {}

    def losses(opt: str, stage: Stage, seeds: Sequence[int]) -> np.ndarray:
        if stage.task not in tasks:
            tasks[stage.task] = get_task(stage.task)
        key = (stage.task, opt)
        if key not in trainers:
            trainers[key] = make_optax_trainer(tasks[stage.task], txs[opt])
        tr = trainers[key]
        return np.array([[float(tr(jnp.int32(s), c)) for s in seeds] for c in lr_grid], np.float64)

    losses.lr_grid = tuple(lr_grid)
    return losses


def evaluator_backend(evaluator: Any, programs: Mapping[str, Any]) -> Backend:
    """A backend over an evaluator (``symopt.evaluation.make_evaluator(funnel, lr_grid=True)``).

    Args:
      evaluator: an object with ``evaluate_losses(programs, stage_name, seeds) -> [[loss per seed]]``
        at each program's best lr scale.
      programs: maps ``lion``, ``signum``, ``adamw`` to program objects.

    Returns:
      ``losses(optimizer, stage, seeds) -> losses[seed]`` (already tuned).

    Raises:
      ValueError: a gate optimizer has no program.
    """
    missing = [o for o in GATE_OPTIMIZERS if o not in programs]
    if missing:
        raise ValueError(f"evaluator_backend: no program for {missing[0]!r}")

    def losses(opt: str, stage: Stage, seeds: Sequence[int]) -> np.ndarray:
        return np.asarray(evaluator.evaluate_losses([programs[opt]], stage.name, tuple(seeds))[0], np.float64)

    return losses


# ----------------------------------------------------------------------------- ranking fidelity

def ranking_fidelity(fitness: Callable[[str, Sequence[int]], Sequence[float]], stages: Sequence[str],
                     seed_sets: Sequence[Sequence[int]], meta: str = "meta") -> dict[str, Any]:
    """How well each stage ranks programs as meta-validation does, and how stably across seeds.

    Args:
      fitness: ``fitness(stage, seeds)`` -> one lr-tuned fitness per program (lower is better, the same
        program order every call).
      stages: the stages compared with ``meta``.
      seed_sets: the seed sets (the first two also measure stability).
      meta: the reference stage.

    Returns:
      ``{"fitness": {(stage, i): [...]}, "rho_meta": {(stage, i): rho}, "rho_seeds": {stage: rho}}``: Spearman
      correlations with ``meta``'s ranking per seed set ``i``, and across the first two seed sets (meta included).
    """
    fit = {}
    for i, seeds in enumerate(seed_sets):
        for s in (*stages, meta):
            fit[(s, i)] = list(fitness(s, tuple(seeds)))
    rho_meta = {(s, i): spearman(fit[(s, i)], fit[(meta, i)]) for s in stages for i in range(len(seed_sets))}
    rho_seeds = {s: spearman(fit[(s, 0)], fit[(s, 1)]) for s in (*stages, meta)} if len(seed_sets) > 1 else {}
    return {"fitness": fit, "rho_meta": rho_meta, "rho_seeds": rho_seeds}
