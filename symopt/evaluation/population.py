"""The population strategy: many programs with different opcode streams trained as lanes of one call.

Every (program, lr scale, seed) of a call is one lane of one vmapped training loop, so a call
trains thousands of programs at once: what fills an accelerator, where one program per call
leaves it idle (each statement of each step a tiny kernel).  A statement computes every
function of its *tier* and selects each lane's own (:func:`symopt.evaluation.interpreter.make_step`
with ``functions``); the tiers are the shipped spaces' function sets, smallest first (``compact``:
17 functions, mostly one arithmetic operation each; then the whole table), so a program pays only
for the functions of the smallest tier that holds all of its own.

Compiled shapes stay few: programs are padded to the length bucket of the longest in their tier,
and a call's program count to one of :data:`SIZE_BUCKETS` (the loop over statements runs to the
call's longest program, a traced bound: no compilation per program).  A call that does not fit in
device memory is split into calls of the next smaller size (one log line, that size remembered); a program the
interpreter cannot encode comes back as ``None`` for the caller's per-program fallback.
"""

from __future__ import annotations

import functools
import logging

import jax
import jax.numpy as jnp
import numpy as np

from search_space.ops import OPCODES, OPS
from search_space.program import Program
from search_space.spaces import load_space
from symopt.evaluation.encoding import Encoded, NotEncodable, bucket_length, encode, functions_of, pad, stack
from symopt.evaluation.interpreter import GROUPS, function_group, make_lanes

log = logging.getLogger(__name__)

SIZE_BUCKETS = (4, 16, 64, 256, 1024, 4096)   # programs per call, padded up to one of these
TIER_SPACES = ("compact",)                    # then the whole table


@functools.cache
def default_tiers() -> tuple[tuple[str, ...], ...]:
    """The function sets a statement may compute, smallest first.

    Returns:
      The functions of each space of ``TIER_SPACES`` (in opcode order), then every function of the table.

    >>> tiers = default_tiers()
    >>> len(tiers[0]) < len(tiers[-1]) == len(OPS)
    True
    """
    tiers = [tuple(sorted(load_space(name).functions, key=OPCODES.get)) for name in TIER_SPACES]
    return (*tiers, tuple(sorted(OPS, key=OPCODES.get)))


def size_bucket(n: int, capacity: int) -> int:
    """Programs per call for ``n`` programs: the smallest bucket holding them, at most ``capacity``.

    Args:
      n: the programs left to train.
      capacity: the most programs per call.

    Returns:
      A bucket of ``SIZE_BUCKETS`` (or ``capacity``, when smaller).

    >>> size_bucket(3, 4096), size_bucket(100, 4096), size_bucket(5000, 1024)
    (4, 256, 1024)
    """
    for b in SIZE_BUCKETS:
        if n <= b or b >= capacity:
            return min(b, capacity)
    return min(SIZE_BUCKETS[-1], capacity)


_GROUP_OF_CODE = np.array([function_group(f) for f in sorted(OPCODES, key=OPCODES.get)] + [-1], np.int32)  # NOP: none


def present(encodings: list[Encoded]) -> np.ndarray:
    """Which function groups some program calls at each slot.

    Args:
      encodings: programs of one padded length.

    Returns:
      bool ``[slots, len(GROUPS)]``.
    """
    codes = np.stack([e.opcode for e in encodings])                   # [P, L]
    groups = _GROUP_OF_CODE[codes]
    return np.stack([(groups == g).any(axis=0) for g in range(len(GROUPS))], axis=1)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says the device ran out of memory.

    Args:
      exc: the exception a training call raised.

    Returns:
      True for a ``MemoryError`` or an XLA ``RESOURCE_EXHAUSTED`` / ``Out of memory`` error.

    >>> is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: while allocating")), is_out_of_memory(ValueError("x"))
    (True, False)
    """
    text = f"{type(exc).__name__}: {exc}"
    return isinstance(exc, MemoryError) or "RESOURCE_EXHAUSTED" in text or "Out of memory" in text


class Population:
    """Trains programs of any opcode streams as lanes of shared calls, for one task.

    Args:
      task: the proxy task.
      capacity: the most programs per call (one of ``SIZE_BUCKETS``; lowered to the next smaller one
        when a call does not fit in memory).
      tiers: the function sets, smallest first (default :func:`default_tiers`).
      gated: compute the transcendental and reduction groups of a statement only where some program
        of the call needs them (see :func:`~symopt.evaluation.interpreter.make_step`; default: on a CPU).

    Attributes:
      calls: the training calls made so far.
    """

    name = "population"

    def __init__(self, task, capacity: int = SIZE_BUCKETS[-1], tiers: tuple[tuple[str, ...], ...] | None = None,
                 gated: bool | None = None):
        self.task, self.capacity = task, capacity
        # gating a function group costs a conditional per statement: worth it where computing the group
        # is dear (CPU cores), not where a conditional is (an accelerator waits for its predicate)
        self.gated = jax.devices()[0].platform == "cpu" if gated is None else gated
        self.tiers = tiers or default_tiers()
        self._codes = [frozenset(OPCODES[f] for f in t) for t in self.tiers]
        self._jitted: dict[int, object] = {}
        self._shapes: set[tuple] = set()      # (tier, programs, slots) of every call: one compilation each
        self.calls = 0

    def _lanes(self, tier: int):
        if tier not in self._jitted:
            lanes = make_lanes(self.task, self.tiers[tier], Encoded(0, 0, 0, 0, 0, 0), self.gated)
            self._jitted[tier] = jax.jit(lanes)
        return self._jitted[tier]

    def tier_of(self, e: Encoded) -> int:
        """The smallest tier that holds every function ``e`` calls.

        Args:
          e: one program's arrays.

        Returns:
          The tier's index in ``tiers``.
        """
        used = functions_of(e)
        return next(k for k, codes in enumerate(self._codes) if used <= codes)

    def train(self, programs: list[Program], seeds, scales) -> list[np.ndarray | None]:
        """Validation losses of ``programs`` at every lr scale and seed.

        Programs are grouped by tier, and each tier's padded to the length bucket of its longest.

        Args:
          programs: valid programs (any opcode streams, any mix of tiers and lengths).
          seeds: the seeds, one lane each.
          scales: the lr scales, one lane each.

        Returns:
          Per program, float32 ``[scale, seed]`` losses (``inf``: diverged), or ``None`` for a program
          that cannot be encoded.
        """
        out: list = [None] * len(programs)
        by_tier: dict[int, list[tuple[int, Encoded]]] = {}
        for i, p in enumerate(programs):
            try:
                e = encode(p)
            except NotEncodable:
                continue
            by_tier.setdefault(self.tier_of(e), []).append((i, e))
        for tier, members in sorted(by_tier.items()):
            length = bucket_length(max(int(e.n) for _, e in members))
            encs = [pad(e, length) for _, e in members]
            for (i, _), table in zip(members, self.grid_losses(encs, seeds, scales, tier)):
                out[i] = table
        return out

    def grid_losses(self, encodings: list[Encoded], seeds, scales, tier: int | None = None) -> np.ndarray:
        """Validation losses of encodings of one length, in calls split to fit in memory.

        Args:
          encodings: programs of one padded length, all of ``tier``'s functions.
          seeds: the seeds.
          scales: the lr scales.
          tier: the tier (default: the smallest holding every program).

        Returns:
          float32 ``[program, scale, seed]`` (``inf``: diverged).

        Raises:
          Exception: what a call raised, unless it ran out of memory with more than the smallest
            size bucket of programs (then the call is split).
        """
        if tier is None:
            tier = max(self.tier_of(e) for e in encodings)
        seeds = jnp.asarray(np.asarray(seeds, np.int32))
        scales = jnp.asarray(np.asarray(scales, np.float32))
        parts, start = [], 0
        while start < len(encodings):
            size = size_bucket(len(encodings) - start, self.capacity)
            chunk = encodings[start:start + size]
            try:
                parts.append(self._call(tier, chunk, size, seeds, scales))
            except Exception as exc:   # noqa: BLE001 - out of memory: split and go on; anything else raises
                if not is_out_of_memory(exc) or size <= SIZE_BUCKETS[0]:
                    raise
                self.capacity = max(b for b in SIZE_BUCKETS if b < size)    # the next smaller bucket
                log.warning("%d programs x %d lanes do not fit in device memory; splitting calls to %d programs",
                            size, len(scales) * len(seeds), self.capacity)
                continue
            start += len(chunk)
        return np.concatenate(parts)

    def _call(self, tier: int, chunk: list[Encoded], size: int, seeds, scales) -> np.ndarray:
        rows = chunk + [chunk[0]] * (size - len(chunk))           # padding rows repeat a real program
        prog = jax.tree_util.tree_map(jnp.asarray, stack(rows))
        n = jnp.int32(max(int(e.n) for e in chunk))
        self.calls += 1
        self._shapes.add((tier, size, len(chunk[0].opcode)))
        return np.asarray(self._lanes(tier)(prog, n, seeds, scales, jnp.asarray(present(chunk))))[:len(chunk)]

    def compiles(self) -> int:
        """Compiled shapes used so far (one per tier, program count and length).

        Returns:
          Their number.
        """
        return len(self._shapes)
