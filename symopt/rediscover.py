"""The main job: search from a seed, meta-validate, simplify by measurement, recognise, export.

``rediscover(options) -> dict`` runs the whole pipeline and returns the summary that
``symopt rediscover --json`` prints::

    {"run_dir", "family", "program", "fitness_vs_seed": {stage: ratio},
     "meta_validation_vs_seed": ratio, "export_dir"}

Fitness values are loss ratios against AdamW on the same tasks and seeds, each program at
its best lr scale of ``funnel.lr_grid`` and AdamW tuned more finely (see
:mod:`symopt.evaluation.fitness`): lower is better, ``None`` means the program diverged.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

from filekit.atomic import write_atomic
from filekit.nonfinite import inf_to_none
from search_space.parser import parse
from search_space.program import Program, format_program
from symopt import interrupts
from symopt.config import Config
from symopt.errors import UserError
from symopt.export import export_program
from symopt.export.provenance import provenance, provenance_json
from symopt.inspect.lineage import lineage
from symopt.recognise import recognise
from symopt.rundir import RESULT, RunDir
from symopt.search import device, run_search
from symopt.search.driver import start_parts
from symopt.search.pool_evaluator import PoolEvaluator
from symopt.search.run import make_pool
from symopt.simplify import simplify

# The main job's defaults: the whole job (warm-up, search, meta-validation, simplification, scoring)
# stays within ~10 minutes on 2 cores; the search uses stages A and B (stage C, meta-validation and the
# held-out seeds, on stage A where selection is hardest, judge the result).  A budget of candidates
# (not a time) ends the search, so a seed gives the same run on any machine with the same worker
# count; the time is only a cap for slow machines.  Selection ranks by stage reached first
# (``funnel.rank = "stage"``): measured on seeds 0-4, the programs it returns meta-validate at a median
# 0.75 of tuned AdamW's loss against 0.90 with ratios compared across stages (README, Research results).
DEFAULTS = {"search": {"time": 480.0, "budget": 3500, "seed_program": "adamw"},
            "funnel": {"meta_top": 2, "heldout_stage": "A", "search_stages": 2, "rank": "stage"},
            "ray": {"workers": 2, "batch_size": 8}}
# Where the evaluators run on an accelerator (symopt.search.device): the search is bounded by time
# (what one accelerator scores in that time is tens of thousands of candidates), so that the whole
# job stays within ~5 minutes; --budget or --time replace it as on CPUs.
ACCELERATOR_DEFAULTS = {"search": {"time": 150.0, "budget": 0}}
# The measured simplifier judges each step on stage A's held-out seeds, within their noise (up to 5 %); a
# program whose gains live on the larger tasks can lose them there.  A result that meta-validates worse
# than the program it came from by more than this keeps the exact simplification (the same function).
MEASURED_META_TOLERANCE = 0.05


@dataclasses.dataclass
class Options:
    measure: bool = True            # measured pruning and rounding in the simplifier
    export_to: str | None = None    # also replace the shipped result (e.g. "discovered/")
    command: str = "symopt rediscover"
    resume: str | None = None       # continue the job in this run directory


def _pick(hof: list[dict], evaluator, top: int, log: Callable[[str], None]) -> tuple[Program, dict, float | None]:
    """The best of the top ``top`` hall-of-fame entries on meta-validation (scores the search
    logged are reused; the others are scored now)."""
    candidates = [(parse(h["program"]), h) for h in hof[: max(1, top)]]
    todo = [i for i, (_, h) in enumerate(candidates) if "meta" not in h]
    fresh = dict(zip(todo, evaluator.evaluate([candidates[i][0] for i in todo], "meta"))) if todo else {}
    scores = [fresh[i] if i in fresh else (math.inf if h["meta"] is None else h["meta"])
              for i, (_, h) in enumerate(candidates)]
    for (_, h), s in zip(candidates, scores):
        log(f"  meta-validation {h['hash']}: {_fmt(s)}")
    best = min(range(len(candidates)), key=lambda i: (scores[i], i))
    program, entry = candidates[best]
    return program, entry, inf_to_none(scores[best])


def _export(final: Program, name: str, run_dir: Path, prov: dict, rec, o: Options, log) -> tuple[Path, bool]:
    """Export the result to ``RUN/export/`` (and ``o.export_to``); a program the exporters cannot
    express (e.g. one that reads ``lr`` other than as a factor) keeps its program and provenance there."""
    export_dir = run_dir / "export"
    write_atomic(run_dir / "derivation.json", json.dumps(prov["derivation"], indent=1) + "\n")
    try:
        export_program(final, name, export_dir, prov, recognition=rec)
    except UserError as exc:
        export_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(export_dir / f"{name}.program", format_program(final))
        write_atomic(export_dir / f"{name}.provenance.json",
                     provenance_json({**prov, "exported": False, "not_exported_because": str(exc)}))
        log(f"not exported as optax/torch modules ({exc}); the program and its provenance are in {export_dir}/")
        if o.export_to:
            log(f"{o.export_to} left as it was: only an exported optimizer replaces the shipped one")
        return export_dir, False
    if o.export_to:     # exported again, not copied: the modules' examples import from the target package
        export_program(final, name, Path(o.export_to), prov, recognition=rec)
        log(f"replaced the shipped result in {o.export_to}/")
    return export_dir, True


def lineage_summary(path: list[dict], seed: str, width: int = 100) -> list[str]:
    """The mutations from the seed to the found program, one line each, with stage A's fitness.

    >>> lineage_summary([{"hash": "a", "mutation": "seed", "fitness": {"A": 1.0}},
    ...                  {"hash": "b", "mutation": "delete 2: m = interp(g, m, 0.9)", "fitness": {"A": 0.9}}],
    ...                 "adamw")
    ['lineage: 1 mutation from adamw', '  1. delete 2: m = interp(g, m, 0.9)  (A 0.9000)']
    """
    steps = [p for p in path if p.get("mutation") not in (None, "seed")]
    if path and "error" in path[0]:
        return [f"lineage: not available ({path[0]['error']})"]
    out = [f"lineage: {len(steps)} mutation{'s' if len(steps) != 1 else ''} from {seed}"]
    for k, p in enumerate(steps, 1):
        text = p["mutation"] if len(p["mutation"]) <= width else p["mutation"][: width - 3] + "..."
        a = (p.get("fitness") or {}).get("A")
        out.append(f"  {k}. {text}  (A {_fmt(a)})")
    return out


def _worse(after, before, tolerance: float = MEASURED_META_TOLERANCE) -> bool:
    """Whether a meta-validation ratio ``after`` is worse than ``before`` beyond ``tolerance`` (relative).

    >>> _worse(1.15, 0.76), _worse(0.77, 0.76), _worse(0.5, None)
    (True, False, False)
    """
    return before is not None and math.isfinite(before) and not after <= before * (1.0 + tolerance)


def _fmt(x) -> str:
    return "diverged" if x is None or not math.isfinite(x) else f"{x:.4f}"


def rediscover(cfg: Config, o: Options, log: Callable[[str], None] = print, progress=None) -> dict:
    """Run the pipeline for the resolved search config ``cfg`` (see :func:`symopt.config.load_config`)."""
    started = time.time()
    run_dir, entry, derivation, scores = _search_and_score(cfg, o, log, progress, started)
    final = derivation.program
    rec = recognise(final)
    meta = inf_to_none(scores.pop("meta"))
    fitness = {s: inf_to_none(v) for s, v in scores.items()}
    lineage_rec = _lineage(run_dir, entry["hash"])
    prov = provenance("search", o.command, run=str(run_dir), seed=cfg.search.seed, lineage=lineage_rec,
                      stage_fitness={**fitness, "meta": meta}, derivation=derivation.to_json(),
                      config=cfg.to_dict())
    export_dir, exported = _export(final, rec.family or "found", run_dir, prov, rec, o, log)
    interrupts.shield()      # the job is done: a Ctrl-C from here on only waits for the shut-down (exit 0)
    summary = {
        "run_dir": str(run_dir), "family": rec.family, "program": format_program(final),
        "constants": rec.constants, "fitness_vs_seed": fitness, "meta_validation_vs_seed": meta,
        "export_dir": str(export_dir), "exported": exported, "seconds": round(time.time() - started, 1),
    }
    write_atomic(run_dir / RESULT, json.dumps({**summary, "hash": entry["hash"]}, indent=1) + "\n")
    log("")
    log(f"found: {rec.family or 'a new program'}" + (f" {rec.constants}" if rec.constants else ""))
    log(format_program(final).rstrip())
    for line in lineage_summary(lineage_rec, cfg.search.seed_program):
        log(line)
    tuned_note = " with its lr tuned (each program at its best lr scale of funnel.lr_grid)" \
        if len(cfg.funnel.lr_grid) > 1 else ""
    log("fitness vs AdamW" + tuned_note + " (loss ratio, < 1 is better): "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in fitness.items()) + f", meta-validation {_fmt(meta)}")
    log(f"{'exported to' if exported else 'written to'} {export_dir}/ ({summary['seconds']:.0f} s in all)")
    return summary


def _search_and_score(cfg: Config, o: Options, log, progress, started: float):
    """Search (or continue the search of ``o.resume``), pick the best of the top on meta-validation,
    simplify it and score it on every stage and on meta-validation, all on the search's warm workers:
    ``(run_dir, entry, derivation, scores)``.  The run directory is locked for the whole job."""
    sc, funnel = cfg.search, cfg.funnel.name
    start_parts(cfg)                      # everything a start can refuse, before anything starts or is written
    if o.resume is None:
        RunDir.check_new(sc.run_dir)
    limit = f"budget {sc.budget}" if sc.budget else f"time {sc.time:.0f} s"
    log(f"{'continuing the search' if o.resume else 'searching'} from {sc.seed_program} on funnel {funnel!r} "
        f"(space {sc.space}, {cfg.ray.workers} worker(s), {limit})")
    if o.resume is None:
        cfg, where = device.adapt(cfg)
        if where != "cpu":
            log(f"evaluators on an accelerator ({where}): batches of {cfg.ray.batch_size}, population "
                f"{cfg.evolution.population}")
    pool = make_pool(cfg)
    try:
        if o.resume:       # held until the job ends: the search, then the simplified result exported into it
            RunDir.open(o.resume).lock()
        else:
            RunDir.reserve(sc.run_dir)
        result = run_search(cfg, pool=pool, progress=progress, resume=o.resume)
        run_dir = Path(result.run_dir)
        if not result.hall_of_fame:
            raise UserError(f"{run_dir}: the search produced no valid program")
        evaluator = PoolEvaluator(pool, funnel)    # the search's warm workers do the rest
        top = max(1, cfg.funnel.meta_top)
        log(f"search done in {time.time() - started:.0f} s; the best of the top {top} on meta-validation")
        best, entry, picked_meta = _pick(result.hall_of_fame, evaluator, top, log)
        interrupts.check()
        log("simplifying the best program" + (" (with measured pruning)" if o.measure else ""))
        derivation = simplify(best, measure=o.measure, evaluator=evaluator)
        interrupts.check()
        log("scoring the result on every stage and on meta-validation")
        stages = [s.name for s in evaluator.funnel.stages] + ["meta"]
        scores = evaluator.evaluate_stages(derivation.program, stages)
        if o.measure and _worse(scores["meta"], picked_meta):
            log(f"the measured simplification scores {_fmt(scores['meta'])} on meta-validation, the program "
                f"{_fmt(picked_meta)}: keeping the exact simplification")
            derivation = simplify(best)
            scores = evaluator.evaluate_stages(derivation.program, stages)
    finally:
        pool.close()
    return run_dir, entry, derivation, scores


def _lineage(run_dir: Path, hash_: str) -> list[dict]:
    """The mutations from the seed to ``hash_`` (informative: a damaged log must not lose the result)."""
    try:
        return [{"hash": p["hash"], "mutation": p.get("mutation"), "fitness": p.get("fitness")}
                for p in lineage(RunDir.open(run_dir), hash_)]
    except Exception as exc:  # noqa: BLE001
        return [{"error": str(exc)}]
