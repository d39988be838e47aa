"""PNG plots for the report (matplotlib figures without pyplot: no display, no backend state)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float)
    return np.where(np.isfinite(x), x, np.nan)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return path


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", transform=ax.transAxes)


def fitness_plot(stages: dict[str, dict], path: Path) -> Path:
    """Best-so-far and population median per stage against the candidate index."""
    fig = Figure(figsize=(4.2 * max(1, len(stages)), 3.2))
    axes = fig.subplots(1, max(1, len(stages)), squeeze=False)
    if not stages:
        _empty(axes[0][0], "evaluations")
    for ax, (name, s) in zip(axes[0], stages.items()):
        if len(s["index"]) == 0:
            _empty(ax, "candidates at this stage")
        else:
            mark = "o" if len(s["index"]) < 5 else None
            ax.plot(s["index"], _finite(s["best"]), label="best so far", color="C0", marker=mark)
            ax.plot(s["index"], _finite(s["median"]), label="population median", color="C1", alpha=0.8, marker=mark)
            ax.axhline(1.0, color="grey", lw=0.8, ls="--", label="seed (AdamW) = 1")
            ax.legend(fontsize=7)
        ax.set_title(f"stage {name}")
        ax.set_xlabel("candidate")
        ax.set_ylabel("fitness (lower is better)")
    return _save(fig, path)


def meta_plot(meta: dict, path: Path) -> Path:
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.subplots()
    if len(meta["time"]) == 0:
        _empty(ax, "meta-validation")
    else:
        ax.plot(meta["time"], _finite(meta["meta"]), "o-", label="meta-validation (best of hall of fame)")
        if np.isfinite(meta["heldout"]).any():
            ax.plot(meta["time"], _finite(meta["heldout"]), "s--", label="held-out seeds")
        ax.legend(fontsize=7)
    ax.set_xlabel("search time (s)")
    ax.set_ylabel("fitness (lower is better)")
    ax.set_title("meta-validation over search time")
    return _save(fig, path)


def cache_plot(cache: dict, rates: dict, path: Path) -> Path:
    fig = Figure(figsize=(9, 3.2))
    a1, a2 = fig.subplots(1, 2)
    if len(cache["time"]) == 0:
        _empty(a1, "candidates")
    else:
        a1.plot(cache["time"], cache["hit_rate"])
        a1.set_ylim(0, 1)
    a1.set_xlabel("search time (s)")
    a1.set_ylabel("cumulative cache hit rate")
    a1.set_title("functional cache hit rate")
    if len(rates["time"]) == 0:
        _empty(a2, "timed candidates")
    else:
        a2.plot(rates["time"], rates["candidates_per_s"], label="candidates/s")
        a2.plot(rates["time"], rates["evaluations_per_s"], label="real evaluations/s")
        a2.legend(fontsize=7)
    a2.set_xlabel("search time (s)")
    a2.set_title("throughput")
    return _save(fig, path)


def _smooth(y: np.ndarray, frac: float = 0.02) -> np.ndarray:
    """Centred running mean over ``frac`` of the points (minibatch losses are noisy); NaN stays NaN."""
    k = max(1, int(len(y) * frac)) | 1
    if k == 1:
        return y
    pad = np.pad(np.asarray(y, float), k // 2, mode="edge")
    return np.convolve(pad, np.ones(k) / k, mode="valid")


def curves_plot(curves: dict[str, list[tuple[np.ndarray, np.ndarray]]], title: str, path: Path) -> Path:
    """Training-loss curves, one colour per program, mean line and min-max band over seeds."""
    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    for k, (name, runs) in enumerate(curves.items()):
        steps = runs[0][0]
        ys = np.stack([_finite(r[1]) for r in runs])
        with np.errstate(all="ignore"):
            mean = np.nanmean(ys, axis=0) if np.isfinite(ys).any() else ys[0]
        ax.plot(steps, _smooth(mean), color=f"C{k}", label=name)
        if len(runs) > 1 and np.isfinite(ys).any():
            ax.fill_between(steps, _smooth(np.nanmin(ys, axis=0)), _smooth(np.nanmax(ys, axis=0)),
                            color=f"C{k}", alpha=0.2)
    finite = [v for runs in curves.values() for r in runs for v in np.asarray(r[1]).ravel() if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 20:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (running mean over 2% of steps)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)
