"""The functional cache: fitness per (program key, stage), shared by equivalent programs.

The key is :func:`search_space.hashing.functional_hash` (invariant to names, dead code,
statement order and commutative argument order) and, with ``fingerprint=True``, a
numeric fingerprint (AutoML-Zero's FEC): the updates of a few steps on fixed random
inputs, rounded and hashed, which also merges algebraic equivalents (``g + g`` and ``2 * g``).
A plain in-memory object; the search driver owns it and checkpoints it with ``to_json``.

>>> from search_space.seeds import load_seed
>>> c = FunctionalCache()
>>> k = c.key(load_seed("lion"))
>>> c.get(k, "A") is None
True
>>> c.put(k, "A", 0.9); c.get(k, "A"), c.hits, c.misses
(0.9, 1, 1)
"""

from __future__ import annotations

import hashlib

import numpy as np

from filekit.nonfinite import inf_to_none, none_to_inf
from search_space.hashing import functional_hash
from search_space.program import Program

FINGERPRINT_STEPS = 3
FINGERPRINT_DIGITS = 5


def fingerprint(program: Program) -> str:
    """Hash of the program's updates over a few steps on fixed random inputs (rounded)."""
    import jax.numpy as jnp  # lazy: JAX only for the optional numeric fingerprint

    from search_space import execute  # lazy: imports JAX

    rng = np.random.default_rng(12345)
    w = {"a": jnp.asarray(rng.normal(size=(4,)), jnp.float32), "b": jnp.asarray(rng.normal(size=(2, 3)), jnp.float32)}
    states = execute.init_states(program, w)
    parts = []
    with np.errstate(all="ignore"):
        for k in range(FINGERPRINT_STEPS):
            g = {"a": jnp.asarray(rng.normal(size=(4,)), jnp.float32),
                 "b": jnp.asarray(rng.normal(size=(2, 3)), jnp.float32)}
            update, states = execute.step(program, w, g, states, jnp.float32(0.5 + 0.25 * k))
            u = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in (update["a"], update["b"])])
            parts.append(np.array2string(u, precision=FINGERPRINT_DIGITS, floatmode="maxprec_equal",
                                         formatter={"float_kind": lambda x: f"{x:.{FINGERPRINT_DIGITS}g}"}))
            w = {n: w[n] - update[n] for n in w}
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class FunctionalCache:
    """``key(program)``, ``get(key, stage) -> fitness | None`` (None = miss), ``put(key, stage, fitness)``."""

    def __init__(self, fingerprint: bool = False):
        self.fingerprint = fingerprint
        self.table: dict[str, dict[str, float]] = {}
        self.hits = 0
        self.misses = 0

    def key(self, program: Program) -> str:
        if self.fingerprint:   # numeric behaviour alone: algebraic equivalents share the key
            return "fec:" + fingerprint(program)
        return functional_hash(program)

    def get(self, key: str, stage: str) -> float | None:
        value = self.table.get(key, {}).get(stage)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, stage: str, fitness: float | None) -> None:
        """Store ``fitness`` (``None``/NaN are stored as ``inf``, the worst fitness)."""
        self.table.setdefault(key, {})[stage] = none_to_inf(fitness)

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def __len__(self) -> int:
        return len(self.table)

    @property
    def hit_rate(self) -> float:
        n = self.hits + self.misses
        return self.hits / n if n else 0.0

    def stats(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "hit_rate": self.hit_rate, "entries": len(self.table)}

    def to_json(self) -> dict:
        """JSON-able state (inf fitness as ``null``)."""
        return {"fingerprint": self.fingerprint, "hits": self.hits, "misses": self.misses,
                "table": inf_to_none(self.table)}

    @classmethod
    def from_json(cls, data: dict) -> FunctionalCache:
        c = cls(fingerprint=bool(data.get("fingerprint", False)))
        c.hits, c.misses = int(data.get("hits", 0)), int(data.get("misses", 0))
        c.table = {k: {s: none_to_inf(v) for s, v in t.items()}
                   for k, t in data.get("table", {}).items()}
        return c
