"""The tuned reference's losses, remembered per machine next to JAX's compilation cache.

Every fitness is a ratio to AdamW's loss at its best lr scale (:meth:`Evaluator.reference_losses`),
so the reference trains on each stage at many scales before the first program is scored.  Its
losses are stored in ``<cache dir>/references.json`` under the key of
:func:`symopt.evaluation.strategy_cache.key` (task configuration, lanes per call, device, JAX
version) plus the strategy, one entry per (seed, lr scale): later workers and runs on this machine
read them instead of training again, and every process of a run divides by the very same numbers
(a resumed run scores exactly like the uninterrupted one).  A damaged file is ignored, never an error.
"""

from __future__ import annotations

from filekit import machine_cache
from symopt.evaluation.strategy_cache import key

FILE = "references.json"


def _entry(seed: int, scale: float) -> str:
    return f"{int(seed)}|{float(scale)!r}"


def recall(task, n_lanes: int, strategy: str) -> dict:
    """The reference's losses stored for this task, lane width and strategy on this machine.

    Args:
      task: the proxy task.
      n_lanes: lanes per call (seeds x lr scales).
      strategy: the evaluation strategy's name.

    Returns:
      ``{(seed, scale): loss}`` (``inf`` for a diverged run); empty when none is stored.
    """
    table = machine_cache.read(FILE).get(f"{key(task, n_lanes)}|{strategy}", {})
    out = {}
    for k, v in table.items() if isinstance(table, dict) else ():
        try:
            seed, scale = k.split("|")
            out[(int(seed), float(scale))] = float("inf") if v is None else float(v)
        except (ValueError, TypeError):
            continue
    return out


def remember(task, n_lanes: int, strategy: str, losses: dict) -> None:
    """Add losses to the store (a read-only cache directory costs nothing but time).

    Args:
      task: the proxy task.
      n_lanes: lanes per call (seeds x lr scales).
      strategy: the evaluation strategy's name.
      losses: ``{(seed, scale): loss}``.
    """
    data = machine_cache.read(FILE)
    table = data.setdefault(f"{key(task, n_lanes)}|{strategy}", {})
    for (seed, scale), loss in losses.items():
        table[_entry(seed, scale)] = loss if loss != float("inf") else None
    machine_cache.write(FILE, data)
