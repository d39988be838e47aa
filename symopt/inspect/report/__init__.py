"""``symopt report``: a static, offline HTML page of a run (``DIR/index.html`` + PNG plots).

>>> import tempfile; from symopt.rundir import RunDir
>>> rd = RunDir.create(tempfile.mkdtemp() + "/r", "[search]\\n")
>>> write_report(rd).name                     # an empty run still gets a page
'index.html'
"""

from __future__ import annotations

import os
from pathlib import Path

from filekit.atomic import write_atomic
from search_space.analysis import analyze
from search_space.program import format_program, format_return, format_signature, format_statement
from symopt.errors import UserError
from symopt.inspect import lineage as lin
from symopt.inspect.families import census
from symopt.inspect.report import page, plots, series
from symopt.inspect.rundata import evaluations, fitness_text, hall_of_fame, meta_validation, program_of, stages_of
from symopt.inspect.show import family_of
from symopt.rundir import REPORT, RunDir
from symopt.simplify import simplify

TOP = 5


def _program_lines(program) -> list[tuple[str, str]]:
    live = analyze(program).live
    lines = [("", format_signature(program))]
    lines += [("" if ok else "dead", f"    {format_statement(s)}" + ("" if ok else "  # dead"))
              for s, ok in zip(program.statements, live)]
    return lines + [("", f"    {format_return(program)}")]


def _best_programs(rd: RunDir, hof: list[dict]) -> str:
    if not hof:
        return page.note("No program in the hall of fame yet.")
    parts = []
    for i, e in enumerate(hof[:TOP]):
        prog = program_of(e["program"], f"{rd.path}/hall_of_fame.json entry {i + 1}")
        extra = "".join(f"  {k}={e[k]}" for k in ("meta", "heldout") if k in e)
        parts.append(f"<h3>#{i + 1} {page.escape(e['hash'])}</h3>"
                     + page.note(f"fitness {fitness_text(e.get('fitness') or {})}{extra}; "
                                 f"family: {family_of(prog)}; dead statements greyed")
                     + page.code(_program_lines(prog)))
    return "\n".join(parts)


def _lineage(records: list[dict], best: dict | None, where: str) -> str:
    if best is None:
        return page.note("No best program yet.")
    g = lin.build_graph(records)
    if best["hash"] not in g:
        return page.note(f"{best['hash']} is not in the log yet.")
    nodes = [{"hash": n, **{k: g.nodes[n][k] for k in ("mutation", "fitness", "program")}}
             for n in lin.ancestry(g, best["hash"])]
    lines: list[tuple[str, str]] = []
    for i, node in enumerate(nodes):
        lines.append(("", f"[{i}] {node['hash']}  {node['mutation'] or 'seed'}"))
        if i:
            lines.append(("", f"    fitness: {lin.fitness_change(nodes[i - 1]['fitness'], node['fitness'])}"))
            lines += [("add" if d[0] == "+" else "del", f"    {d}")
                      for d in lin.statement_diff(nodes[i - 1]["program"], node["program"], where)]
    return page.note(f"{len(nodes) - 1} mutations from the seed to the best program.") + page.code(lines)


def _derivation(rd: RunDir, best: dict | None) -> str:
    if best is None:
        return page.note("No best program yet.")
    prog = program_of(best["program"], f"{rd.path}/hall_of_fame.json entry 1")
    try:
        d = simplify(prog, measure=False)
    except Exception as exc:  # noqa: BLE001 - the report must still be written
        return page.note(f"Simplification failed: {type(exc).__name__}: {exc}")
    steps = [s for s in getattr(d, "steps", []) if getattr(s, "kind", "exact") == "exact"]
    rows = [[str(i + 1), getattr(s, "rule", ""), getattr(s, "why", "")] for i, s in enumerate(steps)]
    result = page.code([("", line) for line in format_program(d.program).splitlines()])
    return (page.table(["step", "rule", "why"], rows) if rows else page.note("No exact simplification applies.")) \
        + "<p>Result:</p>" + result


def _families(rd: RunDir) -> str:
    rows = census(rd)
    if not rows:
        return page.note("No program of the log belongs to a family the recogniser knows.")
    body = [[r["family"], str(r["programs"]), str(r["first"]), str(r["promoted"]), r["best"]["hash"][:16],
             fitness_text(r["best"]["fitness"]), r["best"]["fate"]] for r in rows]
    return page.table(["family", "programs", "first candidate", "promoted", "best", "fitness", "its fate"], body) \
        + page.note("Programs the recogniser names, by family (distinct functional hashes); the best is the one "
                    "deepest in the funnel, then lowest there. symopt show RUN --family NAME lists every "
                    "program of a family with its fate.")


def write_report(rd: RunDir, out: str | os.PathLike | None = None) -> Path:
    """Write ``out/index.html`` (default ``RUN/report/``) and its PNGs; return the index path."""
    out = Path(out) if out is not None else rd.child(REPORT)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create report directory ({exc.strerror or exc})") from None
    records = sorted(evaluations(rd), key=lambda r: r.get("eval_id", 0))
    hof, meta = hall_of_fame(rd), meta_validation(rd)
    window = int(rd.config().get("evolution", {}).get("population", 100) or 100)
    stages = {s: series.stage_series(records, s, window) for s in stages_of(records)}
    summ = series.summary(records)
    plots.fitness_plot(stages, out / "fitness.png")
    plots.meta_plot(series.meta_series(meta), out / "meta_validation.png")
    plots.cache_plot(series.cache_series(records), series.rate_series(records), out / "throughput.png")
    where = str(rd.child("evaluations.jsonl"))
    best = hof[0] if hof else None
    summary_rows = [["candidates logged", str(summ["candidates"])],
                    ["real evaluations", str(summ["evaluated"])],
                    ["cache hit rate", f"{summ['cache_hit_rate']:.3f}"],
                    ["search time (s)", f"{summ['elapsed_s']:.1f}"],
                    ["candidates/s", f"{summ['candidates_per_s']:.2f}"],
                    ["real evaluations/s", f"{summ['evaluations_per_s']:.2f}"],
                    ["best", f"{best['hash']}  {fitness_text(best.get('fitness') or {})}" if best else "-"]]
    sections = [
        page.section("Summary", page.table(["", ""], summary_rows),
                     page.note("Fitness is validation loss relative to AdamW on the same task and seeds: "
                               "lower is better, 1 = AdamW. Read from the log as it is now.")),
        page.section("Fitness over evaluations", page.image("fitness.png", "fitness per stage"),
                     page.note(f"Population median: median of the last {window} candidates reaching the stage.")),
        page.section("Meta-validation over search time", page.image("meta_validation.png", "meta-validation")),
        page.section("Cache hit rate and evaluations/s", page.image("throughput.png", "cache and throughput")),
        page.section(f"Best programs (top {TOP})", _best_programs(rd, hof)),
        page.section("Families found", _families(rd)),
        page.section("Lineage of the best program", _lineage(records, best, where)),
        page.section("Simplification of the best program (exact steps)", _derivation(rd, best)),
    ]
    index = out / "index.html"
    write_atomic(index, page.page(f"symopt run {rd.path.name}", sections), error=UserError)
    return index
