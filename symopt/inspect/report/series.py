"""Time series of a run log for the report (pure numpy, no plotting).

The log holds candidates, not the population, so the "population median" of a stage is the
median fitness of the last ``window`` candidates that reached that stage (``window`` = the
run's population size): in regularized evolution the population is exactly the last
``population`` children, so this is the population's median (cache hits included, invalid
programs excluded).

>>> recs = [{"fitness": {"A": a}, "cached": c, "time": t} for a, c, t in
...         [(1.0, False, 1.0), (None, False, 2.0), (0.5, True, 3.0), (0.7, False, 4.0)]]
>>> s = stage_series(recs, "A", window=2)
>>> s["best"].tolist(), s["median"].tolist()
([1.0, 1.0, 0.5, 0.5], [1.0, 1.0, 0.5, 0.6])
>>> cache_series(recs)["hit_rate"].tolist()
[0.0, 0.0, 0.3333333333333333, 0.25]
"""

from __future__ import annotations

import math

import numpy as np

from filekit.nonfinite import none_to_inf


def stage_series(records: list[dict], stage: str, window: int = 100) -> dict:
    """Over the candidates that reached ``stage``: index in the log, best so far, rolling median."""
    idx, best, med = [], [], []
    cur, recent = math.inf, []
    for i, r in enumerate(records):
        if stage not in r.get("fitness", {}):
            continue
        v = none_to_inf(r["fitness"][stage])
        if math.isfinite(v):
            cur = min(cur, v)
        recent.append(v)
        recent = recent[-window:]
        finite = [x for x in recent if math.isfinite(x)]
        idx.append(i + 1)
        best.append(cur)
        med.append(float(np.median(finite)) if finite else math.inf)
    return {"index": np.asarray(idx, int), "best": np.asarray(best, float), "median": np.asarray(med, float)}


def cache_series(records: list[dict]) -> dict:
    """Cumulative cache hit rate and candidates/s over run time."""
    t = np.asarray([float(r.get("time") or 0.0) for r in records], float)
    hits = np.cumsum([bool(r.get("cached")) for r in records])
    n = np.arange(1, len(records) + 1)
    return {"time": t, "hit_rate": hits / np.maximum(n, 1), "candidates": n}


def rate_series(records: list[dict], bins: int = 20) -> dict:
    """Candidates/s and real (non-cached) evaluations/s in ``bins`` equal slices of run time."""
    t = np.asarray([float(r.get("time") or 0.0) for r in records], float)
    if len(t) == 0 or t.max() <= 0:
        return {"time": np.zeros(0), "candidates_per_s": np.zeros(0), "evaluations_per_s": np.zeros(0)}
    edges = np.linspace(0.0, t.max(), bins + 1)
    real = np.asarray([not r.get("cached") for r in records])
    width = edges[1] - edges[0]
    all_counts, _ = np.histogram(t, edges)
    real_counts, _ = np.histogram(t[real], edges)
    return {"time": (edges[:-1] + edges[1:]) / 2, "candidates_per_s": all_counts / width,
            "evaluations_per_s": real_counts / width}


def summary(records: list[dict]) -> dict:
    """Totals: candidates, real evaluations, cache hit rate, run time, rates."""
    n = len(records)
    cached = sum(bool(r.get("cached")) for r in records)
    elapsed = max((float(r.get("time") or 0.0) for r in records), default=0.0)
    busy = sum(float(r.get("seconds") or 0.0) for r in records)
    return {"candidates": n, "evaluated": n - cached, "cached": cached,
            "cache_hit_rate": cached / n if n else 0.0, "elapsed_s": elapsed, "busy_s": busy,
            "candidates_per_s": n / elapsed if elapsed > 0 else 0.0,
            "evaluations_per_s": (n - cached) / elapsed if elapsed > 0 else 0.0}


def meta_series(meta: list[dict]) -> dict:
    """Per meta-validation round (time): the best meta and held-out score among the programs scored."""
    rounds: dict[float, list[dict]] = {}
    for m in meta:
        rounds.setdefault(float(m.get("time") or 0.0), []).append(m)
    times = sorted(rounds)

    def best(key):
        return np.asarray([min((none_to_inf(m.get(key)) for m in rounds[t]), default=math.inf) for t in times], float)

    return {"time": np.asarray(times, float), "meta": best("meta"), "heldout": best("heldout")}
