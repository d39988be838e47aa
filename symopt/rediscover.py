"""The main job: search from a seed, meta-validate, simplify by measurement, recognise, export.

``rediscover(options) -> dict`` runs the whole pipeline and returns the summary that
``symopt rediscover --json`` prints::

    {"run_dir", "family", "program", "fitness_vs_seed": {stage: ratio},
     "meta_validation_vs_seed": ratio, "export_dir"}

Fitness values are loss ratios against the seed program (AdamW) on the same tasks and
seeds: lower is better, 1.0 is the seed, ``None`` means the program diverged.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from pathlib import Path
from typing import Callable

from search_space.parse import parse
from search_space.printer import format_program
from search_space.program import Program
from symopt.errors import UserError


# The main job's defaults: a time-boxed search (the whole job stays within ~10 minutes on 2 cores).
DEFAULTS = {"search": {"time": 360.0, "budget": 0, "seed_program": "adamw"}, "ray": {"workers": 2}}


@dataclasses.dataclass
class Options:
    meta_top: int = 3               # hall-of-fame entries re-scored on meta-validation at the end
    measure: bool = True            # measured pruning and rounding in the simplifier
    export_to: str | None = None    # also replace the shipped result (e.g. "discovered/")
    command: str = "symopt rediscover"


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _pick(hof: list[dict], evaluator, top: int, log: Callable[[str], None]) -> tuple[Program, dict, float | None]:
    """Re-score the best ``top`` of the hall of fame on meta-validation; keep the best there."""
    candidates = [(parse(h["program"]), h) for h in hof[: max(1, top)]]
    scores = evaluator.evaluate([p for p, _ in candidates], "meta")
    for (_, h), s in zip(candidates, scores):
        log(f"  meta-validation {h['hash']}: {_fmt(s)}")
    best = min(range(len(candidates)), key=lambda i: (scores[i], i))
    program, entry = candidates[best]
    return program, entry, _finite(scores[best])


def _fmt(x) -> str:
    return "diverged" if x is None or not math.isfinite(x) else f"{x:.4f}"


def rediscover(cfg: dict, o: Options, log: Callable[[str], None] = print, progress=None) -> dict:
    """Run the pipeline for the resolved search config ``cfg`` (see :func:`symopt.config.load_config`)."""
    from symopt.evaluation import make_evaluator
    from symopt.export import export_program
    from symopt.export.provenance import provenance
    from symopt.inspect.lineage import lineage
    from symopt.recognise import recognise
    from symopt.rundir import RunDir
    from symopt.search import run_search
    from symopt.simplify import simplify

    started = time.time()
    sc, funnel = cfg["search"], cfg["funnel"]["name"]
    limit = f"budget {sc['budget']}" if sc["budget"] else f"time {sc['time']:.0f} s"
    log(f"searching from {sc['seed_program']} on funnel {funnel!r} (space {sc['space']}, "
        f"{cfg['ray']['workers']} worker(s), {limit})")
    result = run_search(cfg, progress=progress)
    run_dir = Path(result.run_dir)
    if not result.hall_of_fame:
        raise UserError(f"{run_dir}: the search produced no valid program")
    evaluator = make_evaluator(funnel)
    log(f"search done in {time.time() - started:.0f} s; meta-validating the best {o.meta_top}")
    best, entry, _ = _pick(result.hall_of_fame, evaluator, o.meta_top, log)

    log("simplifying the best program" + (" (with measured pruning)" if o.measure else ""))
    derivation = simplify(best, measure=o.measure, evaluator=evaluator)
    final = derivation.program
    rec = recognise(final)
    stages = [s.name for s in evaluator.funnel.stages]
    fitness = {s: _finite(evaluator.evaluate([final], s)[0]) for s in stages}
    meta = _finite(evaluator.evaluate([final], "meta")[0])

    name = rec.family or "found"
    try:
        path = lineage(RunDir.open(run_dir), entry["hash"])
        lineage_rec = [{"hash": p["hash"], "mutation": p.get("mutation")} for p in path]
    except Exception as exc:  # lineage is informative; a damaged log must not lose the result
        lineage_rec = [{"error": str(exc)}]
    prov = provenance(
        "search", o.command, run=str(run_dir), seed=sc["seed"], lineage=lineage_rec,
        stage_fitness={**fitness, "meta": meta},
        derivation=[{"rule": s.rule, "kind": s.kind, "before": s.before, "after": s.after} for s in derivation.steps],
    )
    export_dir = run_dir / "export"
    export_program(final, name, export_dir, prov, recognition=rec)
    (run_dir / "derivation.json").write_text(json.dumps(prov["derivation"], indent=1) + "\n", encoding="utf-8")
    if o.export_to:
        target = Path(o.export_to)
        target.mkdir(parents=True, exist_ok=True)
        for f in export_dir.iterdir():
            if f.is_file():
                shutil.copy2(f, target / f.name)
        log(f"replaced the shipped result in {target}/")

    summary = {
        "run_dir": str(run_dir),
        "family": rec.family,
        "program": format_program(final),
        "constants": rec.constants,
        "fitness_vs_seed": fitness,
        "meta_validation_vs_seed": meta,
        "export_dir": str(export_dir),
        "seconds": round(time.time() - started, 1),
    }
    log("")
    log(f"found: {rec.family or 'a new program'}" + (f" {rec.constants}" if rec.constants else ""))
    log(format_program(final).rstrip())
    log("fitness vs " + sc["seed_program"] + " (loss ratio, < 1 is better): "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in fitness.items()) + f", meta-validation {_fmt(meta)}")
    log(f"exported to {export_dir}/ ({summary['seconds']:.0f} s in all)")
    return summary
