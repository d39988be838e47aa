"""Hall of fame: the best unique programs (by functional hash), with their stage fitnesses.

Entries rank deeper in the funnel first, then by fitness at the deepest stage reached: a program
scored only on stage A never outranks one that was promoted and scored on B, however low its stage A
ratio (a stage A ratio says little about B: programs that overfit stage A's task reach 0.15 there and
0.9 on B).  The search's own selection may rank otherwise (``funnel.rank``); the hall of fame is what
the search returns and meta-validates, so it only trusts the deepest measurement.

>>> h = HallOfFame(2, ("A", "B"))
>>> for i, f in enumerate((3.0, 1.0, 2.0, 1.0)):
...     _ = h.add({"hash": "h%d" % (i % 3), "program": "", "fitness": {"A": f}, "eval_id": i, "parent": None})
>>> [e["hash"] for e in h.entries()]
['h1', 'h0']
>>> _ = h.add({"hash": "b", "program": "", "fitness": {"A": 2.5, "B": 0.9}, "eval_id": 9, "parent": None})
>>> [e["hash"] for e in h.entries()]       # promoted to B: first, whatever the A-only ratios
['b', 'h1']
"""

from __future__ import annotations

from symopt.search.funnel import selection_score

KEYS = ("hash", "program", "fitness", "eval_id", "parent")


class HallOfFame:
    """The ``size`` best unique programs: stage reached first, then fitness there, then ``eval_id``.

    Args:
      size: the most entries.
      stages: the stages, in order.
    """

    def __init__(self, size: int, stages: tuple[str, ...]):
        self.size, self.stages = size, tuple(stages)
        self._by_hash: dict[str, dict] = {}

    def _key(self, e: dict) -> tuple:
        return (*selection_score(e["fitness"], self.stages, "stage"), e["eval_id"])

    def add(self, record: dict) -> bool:
        """Offer an evaluated candidate.

        A program already held is replaced only by a better record of it (keeping its scores).

        Args:
          record: a log record (``hash``, ``program``, ``fitness``, ``eval_id``, ``parent``).

        Returns:
          True if the hall of fame changed.
        """
        entry = {k: record[k] for k in KEYS}
        old = self._by_hash.get(entry["hash"])
        if old is not None and self._key(old) <= self._key(entry):
            return False
        if old is None and len(self._by_hash) >= self.size and self._key(entry) >= self._key(self.entries()[-1]):
            return False
        if old is not None:
            entry.update({k: old[k] for k in ("meta", "heldout") if k in old})
        self._by_hash[entry["hash"]] = entry
        if len(self._by_hash) > self.size:
            del self._by_hash[self.entries()[-1]["hash"]]
        return True

    def entries(self) -> list[dict]:
        """The entries, best first.

        Returns:
          The entries (``hash``, ``program``, ``fitness``, ``eval_id``, ``parent``, and ``meta`` and
          ``heldout`` once scored).
        """
        return sorted(self._by_hash.values(), key=self._key)

    def get(self, hash_: str) -> dict | None:
        """The entry of a program.

        Args:
          hash_: its functional hash.

        Returns:
          The entry, or ``None`` when it is not held.
        """
        return self._by_hash.get(hash_)

    def best(self) -> dict | None:
        """The best entry.

        Returns:
          It, or ``None`` when empty.
        """
        e = self.entries()
        return e[0] if e else None

    def set_scores(self, hash_: str, meta, heldout) -> None:
        """Attach meta-validation scores to an entry (ignored when it is not held).

        Args:
          hash_: the program's functional hash.
          meta: its meta-validation fitness.
          heldout: its fitness on the held-out seeds.
        """
        if hash_ in self._by_hash:
            self._by_hash[hash_].update(meta=meta, heldout=heldout)

    def state(self) -> list[dict]:
        """The JSON-able entries (for checkpoints).

        Returns:
          :meth:`entries`.
        """
        return self.entries()

    def restore(self, entries: list[dict]) -> None:
        """Continue from the entries of :meth:`state`.

        Args:
          entries: the snapshot.
        """
        self._by_hash = {e["hash"]: dict(e) for e in entries}
