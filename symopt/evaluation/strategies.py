"""The evaluation strategies behind one protocol, by name: how a task's programs become losses.

* ``interpreted`` (:class:`PerProgram`): the compiled-once interpreter, one opcode stream per call
  (programs that differ only in constants share it); the lr scales and seeds are lanes.
* ``compiled`` (:class:`Compiled`): each program compiled into its own training loop.
* ``population`` (:class:`symopt.evaluation.population.Population`): programs with different
  opcode streams as lanes of one call, thousands at once: the accelerator path.

Every strategy answers ``train(programs, seeds, scales)`` with one ``[scale, seed]`` loss table
per program (``inf``: diverged), or ``None`` for a program it cannot take (the evaluator then
trains it with ``compiled``).  ``auto`` is not a strategy but a choice among these per task
(:mod:`symopt.evaluation.auto_strategy`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import jax.numpy as jnp
import numpy as np

from search_space.program import Program
from symopt.errors import UserError
from symopt.evaluation.compiled import compiled_trainer, enable_persistent_cache
from symopt.evaluation.encoding import Encoded, NotEncodable, encode, opcode_signature
from symopt.evaluation.interpreter import Interpreted
from symopt.evaluation.population import Population, is_out_of_memory

log = logging.getLogger(__name__)


@runtime_checkable
class Interpreter(Protocol):
    """What an evaluation strategy offers for one task (structural: nothing inherits from it)."""

    name: str

    def train(self, programs: list[Program], seeds: Sequence[int], scales: Sequence[float]) -> list:
        """Train ``programs`` on the task at every lr scale and seed.

        Args:
          programs: valid programs.
          seeds: the seeds.
          scales: the lr scales.

        Returns:
          One float ``[scale, seed]`` loss table per program (``inf``: diverged), or ``None`` for a
          program the strategy cannot take.
        """

    def compiles(self) -> int:
        """Compilations it holds.

        Returns:
          Their number.
        """


class PerProgram:
    """``interpreted``: :class:`symopt.evaluation.interpreter.Interpreted`, one opcode stream per call.

    Args:
      task: the proxy task.
      group: programs sharing an opcode stream trained in one call.
    """

    name = "interpreted"

    def __init__(self, task, group: int = 1):
        self.interpreter = Interpreted(task, group=group)

    def train(self, programs: list[Program], seeds, scales) -> list:
        """See :meth:`Interpreter.train`; a run that fails scores ``inf`` (logged, see :func:`guarded`).

        Programs are grouped by opcode stream; each call trains up to ``group`` of one stream.

        Args:
          programs: valid programs.
          seeds: the seeds.
          scales: the lr scales.

        Returns:
          One ``[scale, seed]`` table per program; ``None`` for one that cannot be encoded.

        Raises:
          UserError: a call ran out of device memory.
        """
        out: list = [None] * len(programs)
        groups: dict[bytes, list[tuple[int, Encoded]]] = {}
        for i, p in enumerate(programs):
            try:
                e = encode(p)
            except NotEncodable:
                continue
            groups.setdefault(opcode_signature(e), []).append((i, e))
        group = self.interpreter.group
        for members in groups.values():
            for start in range(0, len(members), group):
                chunk = members[start:start + group]
                table = guarded(lambda chunk=chunk: self.interpreter.grid_losses([e for _, e in chunk], seeds, scales),
                                (len(chunk), len(scales), len(seeds)), self.name)
                for (i, _), row in zip(chunk, table):
                    out[i] = row
        return out

    def compiles(self) -> int:
        """See :meth:`Interpreter.compiles`.

        Returns:
          The interpreter's compilations.
        """
        return self.interpreter.compiles()


class Compiled:
    """``compiled``: every program compiled into its own training loop (``grid`` lanes: scales x seeds).

    Args:
      task: the proxy task.
    """

    name = "compiled"

    def __init__(self, task):
        self.task, self.count = task, 0

    def train(self, programs: list[Program], seeds, scales) -> list:
        """See :meth:`Interpreter.train`; never ``None``: a run that fails scores ``inf`` (logged, see :func:`guarded`).

        Args:
          programs: valid programs.
          seeds: the seeds.
          scales: the lr scales.

        Returns:
          One ``[scale, seed]`` table per program.

        Raises:
          UserError: a run ran out of device memory.
        """
        enable_persistent_cache()
        out = []
        for p in programs:
            def run(p=p):
                fn = compiled_trainer(self.task, p, grid=True)
                self.count += 1
                return np.asarray(fn(jnp.asarray(seeds, jnp.int32), jnp.asarray(scales, jnp.float32)))[None]
            out.append(guarded(run, (1, len(scales), len(seeds)), self.name)[0])
        return out

    def compiles(self) -> int:
        """See :meth:`Interpreter.compiles`.

        Returns:
          The programs compiled (one compilation each).
        """
        return self.count


class PopulationStrategy(Population):
    """``population``: :class:`symopt.evaluation.population.Population`, never raising.

    It splits calls that do not fit in memory itself; a call that fails otherwise scores ``inf`` (logged).
    Its arguments are :class:`~symopt.evaluation.population.Population`'s.
    """

    def train(self, programs: list[Program], seeds, scales) -> list:
        """See :meth:`Interpreter.train`; a failure scores every program ``inf`` (logged).

        Args:
          programs: valid programs.
          seeds: the seeds.
          scales: the lr scales.

        Returns:
          One ``[scale, seed]`` table per program; ``None`` for one that cannot be encoded.
        """
        try:
            return super().train(programs, seeds, scales)
        except Exception as exc:  # noqa: BLE001 - a failing run scores inf, never raises
            log.warning("%s run failed (%s: %s); scoring inf", self.name, type(exc).__name__, exc)
            return [np.full((len(scales), len(seeds)), np.inf) for _ in programs]


REGISTRY: dict[str, Callable] = {"interpreted": PerProgram, "compiled": Compiled, "population": PopulationStrategy}
NAMES = tuple(REGISTRY)


def build(name: str, task, **options) -> Interpreter:
    """The strategy ``name`` for ``task``.

    Args:
      name: one of :data:`NAMES`.
      task: the proxy task.
      **options: the strategy's own (``group`` for ``interpreted``, ``capacity`` for ``population``).

    Returns:
      A new :class:`Interpreter`.

    Raises:
      UserError: an unknown name.

    >>> import proxies
    >>> build("population", proxies.get_task("synth_linear_tiny")).name
    'population'
    """
    if name not in REGISTRY:
        raise UserError(f"unknown evaluation strategy {name!r} (known: auto, {', '.join(NAMES)})")
    return REGISTRY[name](task, **options)


def guarded(run: Callable[[], np.ndarray], shape: tuple, name: str) -> np.ndarray:
    """``run()``, or a table of ``inf`` of ``shape`` when it fails (logged).

    Running out of device memory on a per-program path is a configuration error (one line), not a bad program.

    Args:
      run: the training call.
      shape: the shape of its answer.
      name: the strategy (for the log line).

    Returns:
      ``run()``'s answer, or ``inf`` everywhere when it raised.

    Raises:
      UserError: ``run`` ran out of device memory.

    >>> guarded(lambda: 1 / 0, (1, 2), "compiled")
    array([[inf, inf]])
    """
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - a failing run scores inf, never raises
        if is_out_of_memory(exc):
            lanes = int(np.prod(shape))
            raise UserError(f"{lanes} lanes (programs x funnel.lr_grid scales x seeds) do not fit in memory; "
                            "shorten funnel.lr_grid or the stage's seeds") from None
        log.warning("%s run failed (%s: %s); scoring inf", name, type(exc).__name__, exc)
        return np.full(shape, np.inf)
