"""``make_evaluator``: fitness of optimizer programs on the stages of a proxy funnel.

>>> from search_space.seeds import load_seed
>>> ev = make_evaluator("test")
>>> ev.evaluate([load_seed("adamw")], "A")
[1.0]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

import proxies
from search_space.errors import ProgramError
from search_space.program import Program
from search_space.seeds import load_seed
from search_space.validity import check
from symopt.errors import UserError
from symopt.evaluation import auto_strategy, reference_cache, strategies
from symopt.evaluation.compiled import compiled_trainer, enable_persistent_cache
from symopt.evaluation.fitness import LR_GRID, REFERENCE, REFINE, normalise, reference_grid, tuned

log = logging.getLogger(__name__)

STRATEGIES = ("auto", *strategies.NAMES)
_SHARED: dict[tuple, strategies.Interpreter] = {}   # (strategy, task name, options) -> shared by evaluators
DEFAULT_GROUP = 1            # programs sharing an opcode stream trained in one vmapped call
MAX_REFERENCE_EXTENSIONS = 8  # lr scales the tuned reference may add beyond its grid's edges


class Evaluator:
    """Scores programs on a funnel's stages (see the module docstring of :mod:`symopt.evaluation`).

    Args:
      funnel: a funnel's name (``proxies/configs/funnels.toml``) or a ``proxies.Funnel``.
      strategy: ``"auto"`` or a name of :data:`symopt.evaluation.strategies.NAMES`.
      lr_grid: the lr scales each program trains at: ``False`` (1 only), ``True``
        (:data:`~symopt.evaluation.fitness.LR_GRID`) or a sequence of positive numbers.
      group: programs sharing an opcode stream trained in one vmapped call (``interpreted``).

    Raises:
      UserError: an unknown strategy or funnel, or an invalid ``lr_grid``.

    Attributes:
      funnel: the funnel.
      scales: the programs' lr scales.
      ref_scales: the reference's lr scales (finer, see :func:`~symopt.evaluation.fitness.reference_grid`).
      costs: per task, the strategy ``auto`` chose and the seconds it measured.
      reference: the reference program (AdamW).
      trained: training runs so far (program x seed x lr scale).
    """

    def __init__(self, funnel, *, strategy: str = "auto", lr_grid=False, group: int = DEFAULT_GROUP):

        if strategy not in STRATEGIES:
            raise UserError(f"unknown evaluation strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
        if isinstance(funnel, str):
            try:
                funnel = proxies.load_funnel(funnel)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        self.funnel = funnel
        self.strategy, self.group = strategy, group
        self.scales = _grid(lr_grid)
        self.lr_grid = len(self.scales) > 1 or self.scales != (1.0,)
        # the reference is tuned more finely than the programs (see fitness.reference_grid)
        self.ref_scales = reference_grid(self.scales) if self.lr_grid else self.scales
        self._tasks: dict[str, object] = {}
        self._interp: dict[tuple, object] = {}       # (task, strategy) -> the strategy used
        self._reference: dict[tuple, float] = {}      # (task, strategy, seed, scale) -> loss
        self._ref_scales_of: dict[tuple, tuple] = {}  # (task, strategy, seeds) -> scales the reference tried
        self._recalled: set = set()                   # (task, strategy) whose stored reference losses were read
        self.costs: dict[str, dict] = {}              # task -> strategy and measured seconds (auto)
        self.reference = load_seed(REFERENCE)         # parsed once: every batch compares against it
        self.trained = 0                              # training runs (program x seed x scale)

    # ------------------------------------------------------------------ stages and tasks
    def stage(self, name: str):
        """The funnel's stage called ``name``.

        Args:
          name: ``"A"``, ``"B"``, ``"C"`` (the funnel's stages) or ``"meta"``.

        Returns:
          The ``proxies.Stage``.

        Raises:
          UserError: the funnel has no such stage.
        """
        for s in (*self.funnel.stages, self.funnel.meta):
            if s.name == name:
                return s
        known = [s.name for s in self.funnel.stages] + ["meta"]
        raise UserError(f"unknown stage {name!r} of funnel {self.funnel.name!r} (known: {', '.join(known)})")

    def task(self, name: str):
        """The proxy task called ``name``, loaded once per evaluator.

        Args:
          name: a task's registry name.

        Returns:
          The ``proxies.Task``.
        """
        if name not in self._tasks:

            self._tasks[name] = proxies.get_task(name)
        return self._tasks[name]

    def implementation(self, task, name: str) -> strategies.Interpreter:
        """The strategy ``name`` for ``task``, built once per process.

        Tasks come from ``get_task(name)``, so evaluators of the same task share compiled code.

        Args:
          task: the proxy task.
          name: a name of :data:`symopt.evaluation.strategies.NAMES`.

        Returns:
          The strategy's :class:`~symopt.evaluation.strategies.Interpreter`.
        """
        enable_persistent_cache()    # workers and later runs load what was compiled once per machine
        options = {"group": self.group} if name == "interpreted" else {}
        key = (name, task.name, tuple(sorted(options.items())))
        if key not in _SHARED:
            _SHARED[key] = strategies.build(name, task, **options)
        self._interp[(task.name, name)] = _SHARED[key]
        return _SHARED[key]

    def interpreter(self, task):
        """The per-program interpreter of ``task``.

        Args:
          task: the proxy task.

        Returns:
          The :class:`symopt.evaluation.interpreter.Interpreted` of the ``interpreted`` strategy.
        """
        return self.implementation(task, "interpreted").interpreter

    def compiles(self) -> int:
        """Compilations held by this evaluator's strategies (all tasks).

        Returns:
          Their number.
        """
        return sum(i.compiles() for i in self._interp.values())

    # ------------------------------------------------------------------ public API
    def evaluate(self, programs: Sequence[Program], stage: str, seeds=None) -> list[float]:
        """Fitness per program: mean over seeds of loss / AdamW's loss, at the program's best lr scale.

        Invalid programs are not trained; duplicates train once.

        Args:
          programs: the programs.
          stage: the stage's name (see :meth:`stage`).
          seeds: the training seeds (default: the stage's).

        Returns:
          One fitness per program (lower is better, 1.0 is AdamW, ``inf`` for invalid or diverged).
        """
        st = self.stage(stage)
        task = self.task(st.task)
        seeds = tuple(int(s) for s in (st.seeds if seeds is None else seeds))
        strategy = self.strategy_for(task, seeds)
        ref = self.reference_losses(task, seeds, strategy)
        return [math.inf if table is None else normalise(table, ref)
                for table in self._losses(list(programs), task, seeds, strategy)]

    def evaluate_losses(self, programs: Sequence[Program], stage: str, seeds=None) -> list[list[float]]:
        """Raw validation losses per program and seed, at the program's best lr scale.

        Args:
          programs: the programs.
          stage: the stage's name (see :meth:`stage`).
          seeds: the training seeds (default: the stage's).

        Returns:
          Per program, one loss per seed (all ``inf`` for an invalid program, ``inf`` for a diverged run).
        """
        st = self.stage(stage)
        task = self.task(st.task)
        seeds = tuple(int(s) for s in (st.seeds if seeds is None else seeds))
        strategy = self.strategy_for(task, seeds)
        out = []
        for table in self._losses(list(programs), task, seeds, strategy):
            out.append([math.inf] * len(seeds) if table is None else [float(x) for x in tuned(table)[1]])
        return out

    def reference_losses(self, task, seeds: tuple, strategy: str) -> np.ndarray:
        """AdamW's validation loss per seed at its best lr scale (by mean), cached: computed once per stage.

        With an lr grid the reference is *tuned*: it trains on ``ref_scales`` (the grid, its midpoints
        and one more step each way), and while its best scale lies on the edge of what it tried, one
        more scale beyond that edge (at most ``MAX_REFERENCE_EXTENSIONS``), so a program cannot beat it
        by re-tuning its own lr constant.  Losses trained before on this machine are read from
        :mod:`symopt.evaluation.reference_cache`.

        Args:
          task: the proxy task.
          seeds: the training seeds.
          strategy: the evaluation strategy's name.

        Returns:
          float64 ``[seed]`` losses.
        """
        key = (task.name, strategy, seeds)
        if key not in self._ref_scales_of:
            scales = list(self.ref_scales)
            for _ in range(MAX_REFERENCE_EXTENSIONS if self.lr_grid else 0):
                best = tuned(self._reference_table(task, seeds, strategy, scales))[0]
                if 0 < best < len(scales) - 1:
                    break
                scales.insert(0, scales[0] / REFINE) if best == 0 else scales.append(scales[-1] * REFINE)
            self._ref_scales_of[key] = tuple(scales)
        return tuned(self._reference_table(task, seeds, strategy, self._ref_scales_of[key]))[1]

    def _recall_reference(self, task, strategy: str) -> None:
        """Reference losses this machine trained before (same task, lanes, strategy, device, JAX)."""
        if (task.name, strategy) in self._recalled:
            return
        self._recalled.add((task.name, strategy))
        for seeds_n in {len(st.seeds) for st in (*self.funnel.stages, self.funnel.meta) if st.task == task.name}:
            for (s, c), loss in reference_cache.recall(task, seeds_n * len(self.scales), strategy).items():
                self._reference.setdefault((task.name, strategy, s, c), loss)

    def _reference_table(self, task, seeds: tuple, strategy: str, scales) -> np.ndarray:
        """The reference's ``[scale, seed]`` losses, training only what is not cached yet.

        It trains in calls of as many scales as a program's (the same lane shape: no compilation of its own).
        """
        self._recall_reference(task, strategy)
        missing = [c for c in scales if any((task.name, strategy, s, c) not in self._reference for s in seeds)]
        width = len(self.scales)
        for start in range(0, len(missing), width):
            chunk = missing[start:start + width]
            padded = tuple(chunk + [chunk[-1]] * (width - len(chunk)))
            table = self._train([self.reference], task, seeds, strategy, padded)[0]
            trained = {(s, c): float(table[k, j]) for k, c in enumerate(chunk) for j, s in enumerate(seeds)}
            for (s, c), loss in trained.items():
                self._reference[(task.name, strategy, s, c)] = loss
            reference_cache.remember(task, len(seeds) * width, strategy, trained)
        return np.array([[self._reference[(task.name, strategy, s, c)] for s in seeds] for c in scales])

    def train_curve(self, program: Program, stage: str, seed: int, every: int | None = None):
        """The training loss curve of one run of ``program`` (compiled, lr scale 1).

        Args:
          program: the optimizer program.
          stage: the stage whose task trains.
          seed: the training seed.
          every: record the loss every ``every`` steps (default: a hundredth of the steps).

        Returns:
          ``(steps, losses)``: the step numbers and the training losses there (``inf`` once diverged).
        """
        task = self.task(self.stage(stage).task)
        every = every or max(1, task.steps // 100)
        fn = compiled_trainer(task, program, curve_every=every)
        _, losses = fn(jnp.asarray([seed], jnp.int32), jnp.float32(1.0))
        losses = np.asarray(losses)[0].astype(np.float64)
        losses[~np.isfinite(losses)] = math.inf
        return np.arange(0, task.steps, every), losses

    # ------------------------------------------------------------------ strategy
    def strategy_for(self, task, seeds: tuple) -> str:
        """The strategy for ``task``: the one asked for, or with ``auto`` the one recalled or measured.

        ``auto`` decides once per task (:mod:`symopt.evaluation.auto_strategy`) and keeps its costs in
        ``costs``.

        Args:
          task: the proxy task.
          seeds: the training seeds (their number sets the lanes per call).

        Returns:
          The strategy's name.
        """
        if self.strategy != "auto":
            return self.strategy
        if task.name not in self.costs:
            self.costs[task.name] = auto_strategy.choose(task, seeds, self.scales, self.reference,
                                                          self.implementation)
        return self.costs[task.name]["strategy"]

    # ------------------------------------------------------------------ training
    def _losses(self, programs: list[Program], task, seeds: tuple, strategy: str) -> list:
        """Per program: float64 [scale, seed] validation losses, or None when invalid."""
        out: list = [None] * len(programs)
        todo: dict[str, list[int]] = {}       # structural key -> program indices (duplicates train once)
        first: dict[str, Program] = {}
        for i, p in enumerate(programs):
            try:
                check(p)
            except ProgramError:
                continue
            key = repr(p)
            todo.setdefault(key, []).append(i)
            first.setdefault(key, p)
        known = {}
        ref_key = repr(self.reference)   # the reference program itself: its losses are known
        if ref_key in todo and all((task.name, strategy, s, c) in self._reference for s in seeds for c in self.scales):
            known[ref_key] = np.array([[self._reference[(task.name, strategy, s, c)] for s in seeds]
                                       for c in self.scales])
        keys = [k for k in todo if k not in known]
        results = self._train([first[k] for k in keys], task, seeds, strategy, self.scales)
        for k, r in [*zip(keys, results), *known.items()]:
            for i in todo[k]:
                out[i] = r
        return out

    def _train(self, programs: list[Program], task, seeds: tuple, strategy: str, scales: tuple) -> list[np.ndarray]:
        """Per program: float64 [scale, seed] losses from ``strategy``.

        A program the strategy cannot take (too long to encode) is compiled on its own.
        """
        results = self.implementation(task, strategy).train(programs, seeds, scales)
        rest = [i for i, r in enumerate(results) if r is None]
        if rest:
            for i, r in zip(rest, self.implementation(task, "compiled").train([programs[i] for i in rest],
                                                                              seeds, scales)):
                results[i] = r
        self.trained += len(programs) * len(seeds) * len(scales)
        return [np.where(np.isfinite(r), np.asarray(r, np.float64), np.inf) for r in results]


def _grid(lr_grid) -> tuple[float, ...]:
    """The program lr scales: ``False`` -> (1,), ``True`` -> :data:`LR_GRID`, or the sequence given."""
    if lr_grid is True:
        return LR_GRID
    if lr_grid is False or lr_grid is None:
        return (1.0,)
    grid = tuple(float(x) for x in lr_grid)
    if not grid or not all(math.isfinite(x) and x > 0 for x in grid):
        raise UserError(f"funnel.lr_grid must be a non-empty list of positive numbers, got {list(lr_grid)!r}")
    return grid


def make_evaluator(funnel="default", *, strategy: str = "auto", lr_grid=False,
                   group: int = DEFAULT_GROUP) -> Evaluator:
    """An :class:`Evaluator` for ``funnel``.

    Args:
      funnel: a funnel's name (``proxies/configs/funnels.toml``) or a ``proxies.Funnel``.
      strategy: ``"auto"`` or a name of :data:`symopt.evaluation.strategies.NAMES`.
      lr_grid: ``False`` (lr scale 1), ``True`` (:data:`~symopt.evaluation.fitness.LR_GRID`) or the scales.
      group: programs sharing an opcode stream trained in one vmapped call (``interpreted``).

    Returns:
      The evaluator.
    """
    return Evaluator(funnel, strategy=strategy, lr_grid=lr_grid, group=group)
